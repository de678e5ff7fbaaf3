"""The engine: starts builds, tracks the running ones, and sends messages to subscribers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brigtui.config import (
    Settings,
    load_settings,
    resolve_secrets,
    secret_masker,
    settings_as_dict,
)
from brigtui.engine.build import BuildOutcome, BuildRunner
from brigtui.engine.errors import BrigtuiError, UsageError
from brigtui.engine.executors import create_executor
from brigtui.engine.executors.base import Executor, JobSpec
from brigtui.engine.ids import iso, new_build_id, parse_iso, process_identity, utc_now
from brigtui.engine.masking import Masker
from brigtui.engine.messages import BuildFinished, BuildNoted, BuildStarted, EngineMessage
from brigtui.engine.model import BuildStatus, Project, Result
from brigtui.engine.recovery import mark_interrupted
from brigtui.engine.resume import ResumePlan
from brigtui.engine.snapshot import restore_snapshot, take_snapshot
from brigtui.engine.store import BuildRecord, Store

logger = logging.getLogger(__name__)

STATE_DIR_NAME = ".brigtui"
Listener = Callable[[EngineMessage], None]


def state_dir_for(folder: Path) -> Path:
    """`$BRIGTUI_HOME`, else `.brigtui/` beside the pipelines folder."""
    home = os.environ.get("BRIGTUI_HOME")
    if home:
        return Path(home).expanduser().resolve()
    return folder.resolve().parent / STATE_DIR_NAME


@dataclass
class BuildRequest:
    script: Path
    event: str = "exec"
    payload: Any = None
    trigger: str = "manual"
    source_dir: Path = field(default=Path())
    """Project source mounted at /src; the script's folder when not given."""
    rerun_of: str | None = None
    resume: bool = False
    """Reuse the results of jobs of `rerun_of` that succeeded with the same inputs."""
    record_script: Path | None = None
    """Script path to record when the build runs a restored copy of it."""
    build_id: str | None = None
    executor: str | None = None
    """Executor for this build, over the engine's and brigtui.yaml's (reruns keep theirs)."""
    restore: dict[str, str] | None = None
    """Snapshot manifest to restore into `source_dir` before the build runs (reruns)."""
    handler: Callable[[Any, Any], Awaitable[None]] | None = None
    """A handler to run instead of the script's (the pipe pane runs one job alone this way)."""

    def __post_init__(self) -> None:
        self.script = self.script.resolve()
        if self.source_dir == Path():
            self.source_dir = self.script.parent
        self.source_dir = self.source_dir.resolve()


class Engine:
    """Runs builds of the event scripts of one pipelines folder."""

    def __init__(
        self,
        folder: Path,
        *,
        state_dir: Path | None = None,
        executor: str | None = None,
        settings: Settings | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.state_dir = state_dir or state_dir_for(self.folder)
        self.store = Store(self.state_dir)
        self.executor_name = executor
        self._fixed_settings = settings
        self.overrides = dict(overrides or {})
        """Settings given on the command line, as dotted keys (`kubernetes.context`)."""
        self._listeners: list[Listener] = []
        self._executors: dict[tuple[str, str], Executor] = {}
        self._settings: dict[str, Settings] = {}
        self.running: dict[str, BuildRunner] = {}

        # Builds whose brigtui process died are marked now; `brigtui gc` removes their leftovers.
        self.interrupted = mark_interrupted(self.store)

    # Subscribers

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every engine message; return a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, message: EngineMessage) -> None:
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                logger.exception("A listener failed on %s.", type(message).__name__)

    # Settings and executors

    def load_settings(self) -> Settings:
        """Read brigtui.yaml afresh, so an edit applies to the next build."""
        settings = self._fixed_settings or load_settings(self.folder)
        for dotted, value in self.overrides.items():
            section, _, key = dotted.rpartition(".")
            target = getattr(settings, section) if section else settings
            setattr(target, key, value)
        return settings

    def secret_masker(self) -> Masker:
        """Build a masker for the project's current secret values (see config.secret_masker)."""
        return secret_masker(self.folder, self._fixed_settings)

    def settings_for(self, build: BuildRunner) -> Settings:
        return self._settings.get(build.id) or self.load_settings()

    def executor_for(self, settings: Settings, requested: str | None = None) -> Executor:
        name = self.executor_name or requested or settings.executor
        section = repr(getattr(settings, name, None))
        key = (name, section)
        if key not in self._executors:
            self._executors[key] = create_executor(name, settings)
        return self._executors[key]

    # Builds

    def start_build(self, request: BuildRequest) -> BuildRunner:
        """Record a build and start it in a task; return its runner at once.

        Raises BrigtuiError (before recording anything) for invalid settings, a missing
        secret or an unknown executor.
        """
        settings = self.load_settings()
        secrets = resolve_secrets(settings, self.folder)
        executor = self.executor_for(settings, request.executor)
        project = Project(
            name=settings.project or self.folder.name,
            folder=request.source_dir,
            settings=settings_as_dict(settings),
            secrets=secrets,
        )
        build_id = request.build_id or self._unique_build_id()
        runner = BuildRunner(self, request, build_id, executor, project)
        self._settings[build_id] = settings

        # Record the build before anything runs, so a crash from here on leaves a record.
        host, pid, started = process_identity()
        now = iso(utc_now())
        runner.work_dir.mkdir(parents=True, exist_ok=True)
        self.store.insert_build(
            id=build_id,
            project=project.name,
            script=str(request.record_script or request.script),
            source_dir=str(request.source_dir),
            event=request.event,
            payload=json.dumps(request.payload) if request.payload is not None else None,
            status=BuildStatus.RUNNING.value,
            trigger=request.trigger,
            executor=executor.name,
            created_at=now,
            started_at=now,
            log_path=str(runner.log.path),
            owner_host=host,
            owner_pid=pid,
            owner_started=started,
            rerun_of=request.rerun_of,
            resumed=int(request.resume),
        )
        self.running[build_id] = runner
        self.emit(BuildStarted(build_id, str(request.record_script or request.script),
                               request.event, request.trigger, executor.describe()))
        runner.task = asyncio.get_running_loop().create_task(
            self._run(runner, executor), name=f"build-{build_id}"
        )
        return runner

    async def run_build(self, request: BuildRequest) -> BuildOutcome:
        """Run one build to its end."""
        runner = self.start_build(request)
        assert runner.task is not None
        return await runner.task

    def cancel_build(self, build_id: str) -> bool:
        runner = self.running.get(build_id)
        if runner is None:
            return False
        runner.cancel()
        return True

    async def cancel_all(self) -> None:
        """Cancel every running build and wait until each one has cleaned up."""
        runners = list(self.running.values())
        for runner in runners:
            runner.cancel()
        tasks = [runner.task for runner in runners if runner.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self.store.close()

    async def _run(self, runner: BuildRunner, executor: Executor) -> BuildOutcome:
        try:
            # A rerun first restores the files the original build ran with.
            if runner.request.restore is not None:
                missing = await asyncio.to_thread(
                    restore_snapshot, runner.request.restore, self.state_dir, runner.request.source_dir
                )
                if missing:
                    runner.note(f"warning: the snapshot lacks {len(missing)} files: {', '.join(missing[:5])}")

            # Snapshot the source the build runs with, off the event loop.
            snapshot = await asyncio.to_thread(
                take_snapshot, runner.request.source_dir, self.state_dir
            )
            self.store.put_snapshot(snapshot.digest, snapshot.manifest, iso(utc_now()) or "")
            self.store.update_build(runner.id, source_hash=snapshot.digest)
            runner.source_hash = snapshot.digest
            if not snapshot.complete:
                runner.note("note: some source files were too large or too many to snapshot")

            # A resume starts from the original build's records and a copy of its share.
            if runner.request.resume and runner.request.rerun_of:
                await self._prepare_resume(runner, executor)

            # Prepare the executor, then run the build.
            try:
                await executor.start_build(runner.info)
            except BrigtuiError as error:
                runner.note(str(error))
                outcome = BuildOutcome(runner.id, BuildStatus.FAILED, str(error))
                await runner.finish(outcome)
                return outcome
            return await runner.run()
        except asyncio.CancelledError:
            outcome = BuildOutcome(runner.id, BuildStatus.CANCELLED, "the build was cancelled")
            await asyncio.shield(runner.finish(outcome))
            return outcome
        finally:
            self.running.pop(runner.id, None)
            self._settings.pop(runner.id, None)

    async def _prepare_resume(self, runner: BuildRunner, executor: Executor) -> None:
        original = self.store.get_build(runner.request.rerun_of or "")
        if original is None:
            return
        plan = ResumePlan.load(original)
        if plan.share is not None and not executor.host_share:
            runner.note(f"the {executor.name} executor cannot copy a kept share; jobs that use "
                        "the share run again")
            plan.share = None
        if plan.share is not None:
            await executor.ensure_share(runner.info)
            await asyncio.to_thread(plan.copy_share, runner.info.share_dir)
            runner.share_created = True
            self.store.update_build(runner.id, share_path=str(runner.info.share_dir),
                                    share_state="live")
            runner.note(f"resuming on a copy of the share of build {original.id}")
        runner.resume = plan

    def rerun(self, reference: str, *, resume: bool = False, current_files: bool = False) -> BuildRunner:
        """Start a new build with the event, payload and source of a recorded build.

        Without `current_files`, the build runs the snapshot of the files the original ran
        with. With `resume`, jobs that succeeded there with the same inputs are reused.
        """
        original = self.store.find_build(reference, self.folder)
        if original is None:
            raise UsageError(f"build '{reference}' not found; 'brigtui builds' lists the builds")
        script = Path(original.script)
        source_dir = Path(original.source_dir) if original.source_dir else script.parent
        build_id = self._unique_build_id()
        payload = json.loads(original.payload) if original.payload else None
        verb = "resume" if resume else "rerun"

        # The build runs either the current files or a restored copy of the snapshot.
        if current_files:
            if not script.is_file():
                raise UsageError(f"{script} no longer exists; rerun without --current-files")
            run_script, run_source = script, source_dir
            restore = None
        else:
            run_source, run_script, restore = self._restore_snapshot(original, build_id, script, source_dir)
        request = BuildRequest(
            run_script, original.event, payload, f"{verb} of {original.id}", run_source,
            rerun_of=original.id, resume=resume, record_script=script, build_id=build_id,
            restore=restore, executor=original.executor,
        )
        return self.start_build(request)

    def _restore_snapshot(
        self, original: BuildRecord, build_id: str, script: Path, source_dir: Path
    ) -> tuple[Path, Path, dict[str, str]]:
        """Check that the original build's snapshot has its script; return where it goes.

        The files are written by the new build's own task, so the caller never waits on them.
        """
        manifest = self.store.get_snapshot(original.source_hash or "")
        inside = script.is_relative_to(source_dir)
        relative = script.relative_to(source_dir).as_posix() if inside else script.name
        if manifest is None or relative not in manifest:
            raise UsageError(
                f"build {original.id} has no snapshot of {script.name}; rerun it with "
                "--current-files to use the files as they are now"
            )
        digest = manifest[relative]
        if not (self.state_dir / "objects" / digest[:2] / digest[2:]).exists():
            raise UsageError(
                f"the snapshot of {script.name} from build {original.id} is incomplete; "
                "rerun it with --current-files"
            )
        target = self.state_dir / "builds" / build_id / "source"
        target.mkdir(parents=True, exist_ok=True)
        return target, target / relative, manifest

    def result_of(self, build_id: str, job: str) -> Result:
        """Build the Result of a recorded job, to hand to another job as input."""
        record = self.store.get_job(build_id, job)
        if record is None or not record.output_path:
            raise UsageError(f"build {build_id} has no finished job '{job}' with recorded output")
        if record.status not in ("succeeded", "reused", "failed"):
            raise UsageError(f"job '{job}' of build {build_id} is {record.status}; its output is incomplete")
        output = Path(record.output_path)
        if not output.exists():
            raise UsageError(f"the output of job '{job}' of build {build_id} is gone ({output})")
        started = parse_iso(record.started_at) or utc_now()
        finished = parse_iso(record.finished_at) or started
        return Result(
            job=job,
            exit_code=record.exit_code or 0,
            output_path=output,
            size=output.stat().st_size,
            log_path=Path(record.log_path or output.with_suffix(".log")),
            started_at=started,
            finished_at=finished,
            build_id=build_id,
            digest=record.output_digest or "",
        )

    async def job_specs(self, script: Path, event: str = "exec") -> list[JobSpec]:
        """The jobs a script's handler creates for `event`, found by a dry run."""
        from brigtui.engine.dryrun import plan_build

        plan = await plan_build(self, BuildRequest(script, event, None, "plan"))
        if plan.error:
            raise UsageError(plan.error)
        return plan.raw_specs

    def _unique_build_id(self) -> str:
        while True:
            build_id = new_build_id()
            if self.store.get_build(build_id, with_jobs=False) is None:
                return build_id


__all__ = [
    "BuildFinished",
    "BuildNoted",
    "BuildOutcome",
    "BuildRequest",
    "Engine",
    "state_dir_for",
]
