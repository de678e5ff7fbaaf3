"""Helpers for tests: message recording, script writing, running a build."""

from __future__ import annotations

import os
import subprocess
import sys
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


def run_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `brigtui ARGS` in a new process; return it and its peak memory in KiB."""
    code = (
        "import sys; from brigtui.cli import main; from tests.support import peak_rss_kib; "
        "code = main(sys.argv[1:]); print(peak_rss_kib(), file=sys.stderr); sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600
    )
    peak = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "0"
    return completed, int(peak) if peak.isdigit() else 0
