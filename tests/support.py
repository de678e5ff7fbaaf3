"""Helpers for tests: message recording, script writing, running a build."""

from __future__ import annotations

import textwrap
from pathlib import Path

from brigtui.engine.build import BuildOutcome
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.messages import EngineMessage


class Recorder:
    """Collects engine messages for assertions."""

    def __init__(self) -> None:
        self.messages: list[EngineMessage] = []

    def __call__(self, message: EngineMessage) -> None:
        self.messages.append(message)

    def of(self, kind: type) -> list:
        return [m for m in self.messages if isinstance(m, kind)]


def write_script(folder: Path, name: str, body: str) -> Path:
    """Write an event script; `body` is dedented and prefixed with the usual imports."""
    path = folder / name
    path.write_text(
        "from brigtui import Group, Job, events\n" + textwrap.dedent(body).lstrip("\n")
    )
    return path


async def run(engine: Engine, script: Path, event: str = "exec", payload: object = None) -> BuildOutcome:
    return await engine.run_build(BuildRequest(script, event, payload))


def peak_rss_kib() -> int:
    """Peak resident memory of this process since its last exec, in KiB.

    getrusage's ru_maxrss would also count the peak of the process that forked this one,
    because Linux keeps it across exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")
