"""The command line and the engine start without Textual; the app module stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["brigtui.cli", "brigtui.engine.engine",
                                    "brigtui.engine.watcher", "brigtui.tui_watch"])
def test_module_imports_without_textual(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('textual')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_help_imports_no_textual() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from brigtui.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print(any(m.startswith('textual') for m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout.strip() == "False"


def test_app_module_stays_small() -> None:
    lines = (REPO / "brigtui" / "app.py").read_text().count("\n")
    assert lines < 400
