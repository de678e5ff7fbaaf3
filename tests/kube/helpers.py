"""Running one event script on the simulated cluster and reading back what it recorded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brigtui.config import Settings
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.messages import BuildNoted, BuildPrinted
from brigtui.engine.store import BuildRecord
from tests.support import Recorder, write_script


@dataclass
class Finished:
    status: str
    error: str | None
    record: BuildRecord
    printed: list[str]
    notes: list[str]

    def job(self, name: str) -> Any:
        return next(job for job in self.record.jobs if job.name == name)

    def output(self, name: str) -> bytes:
        return Path(self.job(name).output_path or "").read_bytes()

    def log(self, name: str) -> str:
        return Path(self.job(name).log_path or "").read_text()


async def run_script(folder: Path, body: str, settings: Settings, state: Path | None = None,
                     name: str = "script.py") -> Finished:
    """Write `body` as an event script in `folder`, run its exec event, return the record."""
    folder.mkdir(parents=True, exist_ok=True)
    script = write_script(folder, name, body)
    engine = Engine(folder, state_dir=state or folder.parent / "state", settings=settings)
    recorder = Recorder()
    engine.subscribe(recorder)
    try:
        outcome = await engine.run_build(BuildRequest(script))
        record = engine.store.get_build(outcome.build_id)
    finally:
        engine.close()
    assert record is not None
    return Finished(
        outcome.status.value,
        outcome.error,
        record,
        [message.text for message in recorder.of(BuildPrinted)],
        [message.text for message in recorder.of(BuildNoted)],
    )
