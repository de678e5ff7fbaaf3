"""Planning a build without running it: which jobs a script creates, with which specs."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigtui.config import resolve_secrets, settings_as_dict
from brigtui.engine.context import JobRun, enter_build
from brigtui.engine.errors import BrigtuiError, JobSpecError
from brigtui.engine.executors.base import BuildInfo, JobSpec
from brigtui.engine.ids import new_build_id, utc_now
from brigtui.engine.jobspec import freeze_job, masked_spec
from brigtui.engine.masking import Masker
from brigtui.engine.model import Event, Job, Project, Result
from brigtui.engine.script import load_script

if TYPE_CHECKING:
    from brigtui.engine.engine import BuildRequest, Engine


@dataclass
class BuildPlan:
    specs: list[dict[str, Any]] = field(default_factory=list)
    """Job specs with secret values masked."""
    raw_specs: list[JobSpec] = field(default_factory=list)
    """Job specs as the script made them, secret values included; never print these."""
    manifests: list[dict[str, Any]] = field(default_factory=list)
    """Objects the executor would create (Kubernetes only)."""
    error: str | None = None


class _PlanningBuild:
    """A BuildContext whose jobs succeed at once with empty output."""

    def __init__(self, build_id: str, work_dir: Path) -> None:
        self.id = build_id
        self.work_dir = work_dir
        self.jobs: dict[str, Job] = {}
        self.specs: list[JobSpec] = []

    def register_job(self, job: Job) -> None:
        if job.name in self.jobs:
            raise JobSpecError(f"job name '{job.name}' is used twice in this build")
        self.jobs[job.name] = job

    def start_job(self, job: Job) -> JobRun:
        self.jobs.setdefault(job.name, job)
        spec, _ = freeze_job(job)
        self.specs.append(spec)
        output = self.work_dir / f"{job.name}.out"
        output.write_bytes(b"")
        now = utc_now()
        result = Result(job.name, 0, output, 0, output, now, now, self.id)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        future.set_result(result)
        return JobRun(job, asyncio.ensure_future(future))


    async def run_pipe(self, jobs: list[Job]) -> list[Result]:
        return [await self.start_job(job) for job in jobs]


async def plan_build(engine: Engine, request: BuildRequest) -> BuildPlan:
    """Run the script's handler with jobs that do nothing; collect the jobs and manifests."""
    settings = engine.load_settings()
    try:
        secrets = resolve_secrets(settings, engine.folder)
    except BrigtuiError as error:
        return BuildPlan(error=str(error))
    executor = engine.executor_for(settings)
    masker = Masker(secrets.values())
    project = Project(settings.project or engine.folder.name, engine.folder,
                      settings_as_dict(settings), secrets)
    build_id = new_build_id()
    with tempfile.TemporaryDirectory(prefix="brigtui-plan-") as scratch:
        build = _PlanningBuild(build_id, Path(scratch))
        try:
            enter_build(build, None)  # type: ignore[arg-type]
            script = load_script(request.script, lambda *args, **kwargs: None)
            enter_build(build, script.handlers)
            handler = script.handlers.get(request.event)
            if handler is None:
                return BuildPlan(error=f"{request.script}: no handler for event '{request.event}'")
            result = handler(Event(build_id, request.event, request.payload, "dry-run"), project)
            if asyncio.iscoroutine(result):
                await result
        except BrigtuiError as error:
            return BuildPlan(error=str(error))
        except Exception as error:
            return BuildPlan(error=f"{request.script}: the handler raised {error!r}")
        info = BuildInfo(
            id=build_id,
            project=project.name,
            source_dir=request.source_dir,
            state_dir=engine.state_dir,
            work_dir=Path(scratch),
            share_dir=engine.state_dir / "shares" / build_id,
            note=lambda text: None,
        )
        manifests = executor.dry_run(info, build.specs)
    specs = [masked_spec(spec, masker) for spec in build.specs]
    return BuildPlan(specs=specs, raw_specs=build.specs, manifests=_mask_documents(manifests, masker))


def _mask_documents(documents: list[dict[str, Any]], masker: Masker) -> list[dict[str, Any]]:
    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return masker.text(value)
        if isinstance(value, dict):
            return {key: mask(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mask(item) for item in value]
        return value

    return [mask(document) for document in documents]


__all__ = ["BuildPlan", "plan_build"]
