"""The inspector's shell in a real terminal: the app suspends, the sandboxed shell takes the
terminal at /mnt/brigade/share, and the app comes back when the shell exits."""

from __future__ import annotations

import shlex
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from tests.tui.test_tui_tmux import Pane

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or shutil.which("bwrap") is None,
    reason="needs tmux and bubblewrap",
)

REPO = Path(__file__).resolve().parent.parent.parent

APP = """
import sys
from pathlib import Path
from textual.app import App
from brigtui.screens.share_inspector import ShareInspectorScreen
from brigtui.share.inspect_local import LocalInspector

class InspectorApp(App[None]):
    def on_mount(self) -> None:
        share = Path(sys.argv[1])
        self.push_screen(ShareInspectorScreen(lambda: LocalInspector(share, "b1", "bubblewrap"), "b1"))

InspectorApp().run()
"""


def test_shell_takes_terminal_and_returns(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "evidence.txt").write_text("kept\n")
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(APP))
    command = f"{shlex.quote(sys.executable)} {script} {share}"
    pane = Pane(command, {"TERM": "xterm-256color", "SHELL": "/bin/sh", "PYTHONPATH": str(REPO)})
    try:
        pane.wait_for("evidence.txt", "1 files")
        pane.keys("t")
        pane.wait_for("$")
        pane.keys("echo in-$(pwd); touch new-file; cat evidence.txt", "Enter")
        screen = pane.wait_for("in-/mnt/brigade/share", "kept")
        assert "Read-only file system" in screen
        pane.keys("exit 5", "Enter")
        pane.wait_for("the shell ended with exit code 5", "evidence.txt")
        assert sorted(path.name for path in share.iterdir()) == ["evidence.txt"]
        pane.keys("Escape")
        pane.keys("C-q")
        pane.wait_for("exit status 0")
    finally:
        pane.close()
