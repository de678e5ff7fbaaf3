"""End to end: the installed `brigtui` command in tmux at 80x24, driven by keys and saves."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.conftest import PIPE_SCRIPT, ROOT_SCRIPTS, processes_running

BRIGTUI = Path(sys.executable).parent / "brigtui"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Pane:
    """A tmux session running one command; read with `screen`, type with `keys`."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"brigtui-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        shell = f"env -u COLORTERM {exports} {command}; echo \"exit status $?\"; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
                        shell], check=True)

    def screen(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                                capture_output=True, text=True, check=True)
        return result.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        """Poll the screen until every text shows (a real terminal has no events to await)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts} not on screen after {timeout} s:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture(params=["colour", "no-colour"])
def pane(request: pytest.FixtureRequest, tui_pipelines: Path) -> Iterator[Pane]:
    env = {"TERM": "xterm-256color"}
    if request.param == "no-colour":
        env["NO_COLOR"] = "1"
    started = Pane(f"{shlex.quote(str(BRIGTUI))} {shlex.quote(str(tui_pipelines))}", env)
    yield started
    started.close()


def test_brigtui_in_tmux(pane: Pane, tui_pipelines: Path, nap_seconds: str) -> None:
    # Start-up lists the example scripts and the watch state.
    pane.wait_for(*ROOT_SCRIPTS, "watching")

    # Saving a script runs it; the graph shows both jobs succeeded, by glyph.
    script = tui_pipelines / PIPE_SCRIPT
    script.write_text(script.read_text() + "\n# saved in the tmux test\n")
    screen = pane.wait_for("✓ one", "✓ two", f"changed: {PIPE_SCRIPT}")
    assert "succeeded" in screen

    # Help opens with ? and closes with Esc.
    pane.keys("?")
    pane.wait_for("brigtui keys")
    pane.keys("Escape")

    # A slow build runs; ctrl+q requests confirmation, y cancels it and quits with status 0.
    slow = tui_pipelines / "slow" / "slow.py"
    slow.write_text(slow.read_text() + "\n# go\n")
    pane.wait_for("▶ nap")
    assert processes_running(f"sleep {nap_seconds}")
    pane.keys("C-q")
    pane.wait_for("Quit? (y/n)")
    pane.keys("y")
    pane.wait_for("exit status 0")
    assert processes_running(f"sleep {nap_seconds}") == []


def brigtui_pids(folder: Path) -> list[int]:
    """Ids of `brigtui FOLDER` processes that this test started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(BRIGTUI).encode() in argv and str(folder).encode() in argv:
            pids.append(int(entry.name))
    return pids


def wait_until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.mark.parametrize("how", ["sigterm", "sighup"])
def test_signal_cancels_builds(tui_pipelines: Path, nap_seconds: str, how: str) -> None:
    import os
    import signal

    from brigtui.engine.store import Store

    pane = Pane(f"{shlex.quote(str(BRIGTUI))} {shlex.quote(str(tui_pipelines))}",
                {"TERM": "xterm-256color"})
    try:
        pane.wait_for("slow/slow.py", "watching")
        slow = tui_pipelines / "slow" / "slow.py"
        slow.write_text(slow.read_text() + "\n# go\n")
        pane.wait_for("▶ nap")
        assert processes_running(f"sleep {nap_seconds}")
        (pid,) = brigtui_pids(tui_pipelines)

        # SIGTERM from a process manager, or SIGHUP when the terminal goes away.
        if how == "sigterm":
            os.kill(pid, signal.SIGTERM)
        else:
            pane.close()
        wait_until(lambda: not brigtui_pids(tui_pipelines))
        assert processes_running(f"sleep {nap_seconds}") == []
    finally:
        pane.close()
    store = Store(tui_pipelines.parent / ".brigtui")
    try:
        assert [build.status for build in store.list_builds()] == ["cancelled"]
    finally:
        store.close()
