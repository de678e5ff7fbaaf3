"""Import boundaries: the engine and the headless command line load no UI and no cluster client."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import brigtui, brigtui.cli, brigtui.commands.run, brigtui.commands.history
import brigtui.engine.engine, brigtui.engine.build, brigtui.engine.store
import brigtui.engine.executors.local, brigtui.engine.recovery, brigtui.engine.dryrun
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("textual", "kubernetes"))
print(",".join(loaded))
"""


def test_engine_imports_no_textual_or_kubernetes() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""


def test_engine_sources_never_import_textual() -> None:
    from pathlib import Path

    engine = Path(__file__).resolve().parent.parent / "brigtui" / "engine"
    offenders = [
        str(path)
        for path in engine.rglob("*.py")
        if "import textual" in path.read_text() or "from textual" in path.read_text()
    ]
    assert offenders == []
