"""Fixtures for the app's Pilot tests: a copy of the example pipelines and a message log."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message

from brigtui.engine.messages import EngineMessage
from brigtui.tui_messages import EngineReported

EXAMPLES = Path(__file__).resolve().parents[2] / "pipelines"
ROOT_SCRIPTS = sorted(
    path.name for path in EXAMPLES.glob("*.py") if "brigtui" in path.read_text()
)
"""The example event scripts at the top of the pipelines folder."""
PIPE_SCRIPT = "one.py" if (EXAMPLES / "one.py").exists() else "pass_output.py"
"""The example whose job `one` prints animals.txt and job `two` greps it for rhino."""
OTHER_SCRIPT = next(name for name in ROOT_SCRIPTS if name != PIPE_SCRIPT)

WATCH_SETTINGS = """\
watch:
  debounce_ms: 100
  max_delay_ms: 1000
"""


class AppMessages:
    """Every message the app handles, with a way to await one (instead of sleeping)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._changed = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.messages.append(message)
        self._changed.set()

    def engine(self) -> list[EngineMessage]:
        """Engine messages in the order the dashboard received them."""
        return [m for batch in self.messages if isinstance(batch, EngineReported)
                for m in batch.messages]

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 30.0) -> None:
        """Wait until `predicate()` is true, re-checking after each new message."""
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)


@pytest.fixture
def app_messages() -> AppMessages:
    return AppMessages()


def processes_running(command: str) -> list[int]:
    """Return the ids of processes whose command line is exactly `command`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if line == command:
            found.append(int(entry.name))
    return found


@pytest.fixture
def nap_seconds() -> str:
    """A sleep duration no other process uses, to find the slow job's process."""
    return f"60.{random.randrange(10**6):06d}"


@pytest.fixture
def tui_pipelines(pipelines: Path, monkeypatch: pytest.MonkeyPatch, nap_seconds: str) -> Path:
    """The example pipelines with a short watch debounce, and a slow script for cancelling."""
    monkeypatch.delenv("BRIGTUI_HOME", raising=False)
    (pipelines / "brigtui.yaml").write_text(WATCH_SETTINGS)
    slow = pipelines / "slow" / "slow.py"
    slow.parent.mkdir()
    slow.write_text(
        "from brigtui import Job, events\n\n\n"
        "@events.on(\"exec\")\n"
        "async def exec_handler(event, project):\n"
        f"    await Job(\"nap\", \"alpine:3.19\", [\"sleep {nap_seconds}\"]).run()\n"
    )
    return pipelines
