"""One build: load the script, run its handler, run its jobs, record everything."""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import inspect
import logging
import shlex
import shutil
import sys
import time
import traceback
import types
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigtui.engine.context import JobRun, enter_build
from brigtui.engine.errors import (
    BrigtuiError,
    JobFailed,
    JobSpecError,
    ScriptError,
)
from brigtui.engine.executors.base import SHARE_MOUNT, BuildInfo, JobRequest, JobSpec, OwnedFd
from brigtui.engine.handlers import EventHandlers
from brigtui.engine.ids import iso, utc_now
from brigtui.engine.jobspec import check_environment, freeze_job, masked_spec
from brigtui.engine.logfile import LogFile, OutputFile
from brigtui.engine.masking import Masker
from brigtui.engine.messages import (
    BuildFinished,
    BuildNoted,
    BuildPrinted,
    HandoverRecorded,
    JobCreated,
    JobLogged,
    JobStateChanged,
)
from brigtui.engine.model import (
    BuildStatus,
    Cause,
    Event,
    Job,
    JobStatus,
    Project,
    Result,
)
from brigtui.engine.resume import ResumePlan, input_hash, link_or_copy
from brigtui.engine.script import LoadedScript, describe, load_script, script_line
from brigtui.engine.snapshot import file_digest
from brigtui.engine.store import HandoverRecord, JobRecord
from brigtui.share.pipes import QueueLink, SpliceLink

if TYPE_CHECKING:
    from brigtui.engine.engine import BuildRequest, Engine
    from brigtui.engine.executors.base import Executor

logger = logging.getLogger(__name__)

LOG_NOTIFY_INTERVAL = 0.2
"""Seconds between JobLogged messages of one job, so a flood of output never floods the UI."""
STDIN_CHUNK = 256 * 1024
SIGPIPE_EXIT = 128 + 13


@dataclass
class BuildOutcome:
    build_id: str
    status: BuildStatus
    error: str | None = None
    script_error: bool = False
    """True when the script itself must be fixed (load failure, missing handler, bad job name)."""

    @property
    def exit_code(self) -> int:
        if self.status == BuildStatus.SUCCEEDED:
            return 0
        return 2 if self.script_error else 1


@dataclass
class PipeRole:
    """A job's place in a pipe: where its input comes from and where its output goes."""

    input: QueueLink | SpliceLink | None
    output: QueueLink | SpliceLink | None
    next_job: str | None


@dataclass
class JobState:
    job: Job
    seq: int
    status: JobStatus = JobStatus.PENDING
    result: Result | None = None
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=5))


class BuildRunner:
    """Runs one build; it is the BuildContext that Job and Group talk to."""

    def __init__(
        self,
        engine: Engine,
        request: BuildRequest,
        build_id: str,
        executor: Executor,
        project: Project,
    ) -> None:
        self.engine = engine
        self.request = request
        self.id = build_id
        self.executor = executor
        self.project = project
        self.store = engine.store
        self.masker = Masker(project.secrets.values())
        self.work_dir = engine.state_dir / "builds" / build_id
        self.log = LogFile(self.work_dir / "build.log", self.masker)
        self.info = BuildInfo(
            id=build_id,
            project=project.name,
            source_dir=request.source_dir,
            state_dir=engine.state_dir,
            work_dir=self.work_dir,
            share_dir=engine.state_dir / "shares" / build_id,
            note=self.note,
        )
        self.info.labels = executor.labels(self.info)
        self.jobs: dict[str, JobState] = {}
        self.tasks: list[asyncio.Task[Result]] = []
        self.runs: list[JobRun] = []
        self.share_created = False
        self._share_lock = asyncio.Lock()
        self._print_buffer = ""
        self._cancelled = False
        self._noted: set[str] = set()
        self.resume: ResumePlan | None = None
        self.pipe_roles: dict[str, PipeRole] = {}
        self.source_hash: str | None = None
        self.task: asyncio.Task[BuildOutcome] | None = None

    # BuildContext: what Job and Group call

    def register_job(self, job: Job) -> None:
        if job.name in self.jobs:
            raise JobSpecError(
                f"job name '{job.name}' is used twice in this build; "
                "give every job of a build its own name"
            )
        seq = len(self.jobs) + 1
        self.jobs[job.name] = JobState(job, seq)
        self.store.insert_job(
            build_id=self.id,
            name=job.name,
            seq=seq,
            status=JobStatus.PENDING.value,
            image=job.image,
            spec={},
            uses_share=int(job.storage.enabled),
            created_at=iso(utc_now()),
        )
        self.engine.emit(JobCreated(self.id, job.name, job.image, job.storage.enabled, seq))

    def start_job(self, job: Job) -> JobRun:
        if job.name not in self.jobs:
            self.register_job(job)
        elif self.jobs[job.name].job is not job:
            raise JobSpecError(
                f"job name '{job.name}' is used twice in this build; "
                "give every job of a build its own name"
            )
        task = asyncio.get_running_loop().create_task(
            self._run_job(self.jobs[job.name]), name=f"job-{self.id}-{job.name}"
        )
        self.tasks.append(task)
        run = JobRun(job, task)
        self.runs.append(run)
        return run

    async def run_pipe(self, jobs: list[Job]) -> list[Result]:
        """Run `jobs` at once, each one's standard output connected to the next one's input."""
        for job in jobs:
            if job.stdin is not None and job is not jobs[0]:
                raise JobSpecError(
                    f"job '{job.name}' gets its input from the pipe; do not also set its stdin"
                )

        # Connect neighbours: real pipes for host processes, a queue for everything else.
        links: list[QueueLink | SpliceLink] = []
        for _ in jobs[1:]:
            links.append(SpliceLink() if self.executor.accepts_fds else QueueLink())
        for position, job in enumerate(jobs):
            self.pipe_roles[job.name] = PipeRole(
                links[position - 1] if position > 0 else None,
                links[position] if position < len(links) else None,
                jobs[position + 1].name if position < len(links) else None,
            )
        for link in links:
            if isinstance(link, SpliceLink):
                link.start()

        # Start every job, then wait for all of them and for the relays to drain.
        runs = [job.run() for job in jobs]
        for run in runs:
            run.observed = True
        outcomes = await asyncio.gather(*(run.task for run in runs), return_exceptions=True)
        for link in links:
            if isinstance(link, SpliceLink):
                await link.wait()
                link.close()

        # Record each hand-over with its size, then report the first failure.
        for position, link in enumerate(links):
            record = HandoverRecord("", self.id, jobs[position].name, "", "pipe", None, link.bytes)
            self._record_handover(record, jobs[position + 1].name)
        failures = [(job, outcome) for job, outcome in zip(jobs, outcomes, strict=True)
                    if isinstance(outcome, BaseException)]
        for _, outcome in failures:
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
        # A job killed by SIGPIPE only shows that a later job stopped reading: name the cause.
        failures.sort(key=lambda item: getattr(item[1], "exit_code", None) == SIGPIPE_EXIT)
        if failures:
            job, outcome = failures[0]
            raise JobFailed(job.name, f"pipe failed: {outcome}") from outcome
        return [outcome for outcome in outcomes if isinstance(outcome, Result)]

    # The build's own log

    def note(self, text: str) -> None:
        """Write an engine message to the build's log."""
        self._noted.add(text)
        text = self.masker.text(text)
        self.log.write_line(f"[brigtui] {text}")
        self.engine.emit(BuildNoted(self.id, text))

    def script_print(self, *values: Any, sep: str | None = " ", end: str | None = "\n",
                     file: Any = None, flush: bool = False) -> None:
        """`print` inside event scripts: lines go to the build's log."""
        if file is not None and file not in (sys.stdout, sys.stderr):
            builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
            return
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        self._print_buffer += sep.join(str(value) for value in values) + end
        *lines, self._print_buffer = self._print_buffer.split("\n")
        for line in lines:
            self._print_line(line)

    def _print_line(self, line: str) -> None:
        line = self.masker.text(line)
        self.log.write_line(line)
        self.engine.emit(BuildPrinted(self.id, line))

    # The build

    async def run(self) -> BuildOutcome:
        """Run the build to its end and record it.

        A failed or cancelled build returns its outcome; only an error inside brigtui itself
        is logged and recorded as a failed build.
        """
        outcome: BuildOutcome
        try:
            outcome = await self._run_handlers()
        except asyncio.CancelledError:
            outcome = BuildOutcome(self.id, BuildStatus.CANCELLED, "the build was cancelled")
            await asyncio.shield(self._cancel_jobs())
        except Exception as error:  # an engine bug must still leave a finished record
            logger.exception("Build %s failed inside brigtui.", self.id)
            outcome = BuildOutcome(self.id, BuildStatus.FAILED, f"internal error: {error!r}")
            await asyncio.shield(self._cancel_jobs())
        if self._cancelled:
            outcome = BuildOutcome(self.id, BuildStatus.CANCELLED, "the build was cancelled")
        await asyncio.shield(self.finish(outcome))
        return outcome

    def cancel(self) -> None:
        self._cancelled = True
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _run_handlers(self) -> BuildOutcome:
        request = self.request

        # Load the script afresh, in this build's context so jobs created at load time register.
        script = self._load()
        if isinstance(script, BuildOutcome):
            return script
        enter_build(self, script.handlers)
        handler = script.handlers.get(request.event)
        if handler is None:
            known = ", ".join(script.handlers.names) or "none"
            message = (
                f"{request.script}: no handler for event '{request.event}' "
                f"(handlers: {known}); add @events.on({request.event!r}) or pick another event"
            )
            self.note(message)
            return BuildOutcome(self.id, BuildStatus.FAILED, message, script_error=True)

        # Run the event's handler, then wait for every job it started, awaited or not.
        event = Event(self.id, request.event, request.payload, request.trigger)
        error = await self._call_handler(handler, event, request.script)
        job_error = await self._wait_for_jobs()
        error = error or job_error

        # Brigade's follow-up events run in the same build: `after` on success, `error` else.
        if error is None:
            after = script.handlers.get("after")
            if after is not None and request.event != "after":
                cause = Cause(event, "succeeded")
                error = await self._call_handler(
                    after, Event(self.id, "after", request.payload, request.trigger, cause),
                    request.script,
                )
                error = error or await self._wait_for_jobs()
        else:
            on_error = script.handlers.get("error")
            if on_error is not None and request.event != "error":
                cause = Cause(event, str(error), error)
                failed = await self._call_handler(
                    on_error, Event(self.id, "error", request.payload, request.trigger, cause),
                    request.script,
                )
                failed = failed or await self._wait_for_jobs()
                if failed is not None:
                    self.note(f"the error handler failed too: {failed}")

        if error is None:
            return BuildOutcome(self.id, BuildStatus.SUCCEEDED)
        script_error = isinstance(error, ScriptError | JobSpecError)
        return BuildOutcome(self.id, BuildStatus.FAILED, self._describe(error), script_error)

    def _load(self) -> LoadedScript | BuildOutcome:
        enter_build(self, None)  # type: ignore[arg-type]
        if self.request.handler is not None:
            # A build started from code (the pipe pane) runs its own handler, not the script's.
            handlers = EventHandlers()
            handlers.on(self.request.event, self.request.handler)
            module = types.ModuleType(f"brigtui_handler_{self.id}")
            return LoadedScript(self.request.script, module, handlers)
        try:
            return load_script(self.request.script, self.script_print)
        except ScriptError as error:
            self.note(f"the script failed to load: {error}")
            self.store.update_build(self.id, error_line=error.line)
            return BuildOutcome(self.id, BuildStatus.FAILED, str(error), script_error=True)

    async def _call_handler(self, handler: Any, event: Event, script: Path) -> Exception | None:
        try:
            result = handler(event, self.project)
            if inspect.isawaitable(result):
                await result
        except JobFailed as error:
            # The job's own state change already gave the reason, so this note names only the line.
            line = script_line(error, script.resolve())
            if line:
                self.note(f"the handler stopped at {script.name}, line {line}, awaiting job '{error.job}'")
            self._noted.add(str(error))
            return error
        except BrigtuiError as error:
            line = script_line(error, script.resolve())
            wrapped = ScriptError(script, line, str(error))
            self.note(str(wrapped))
            return wrapped if isinstance(error, JobSpecError) else error
        except Exception as error:
            line = script_line(error, script.resolve())
            wrapped = ScriptError(script, line, f"the '{event.type}' handler raised {describe(error)}")
            self.note(str(wrapped))
            for line_text in traceback.format_exception(error):
                for part in line_text.rstrip("\n").split("\n"):
                    self.log.write_line(part)
            return _HandlerError(wrapped)
        finally:
            if self._print_buffer:
                self._print_line(self._print_buffer)
                self._print_buffer = ""
        return None

    async def _wait_for_jobs(self) -> Exception | None:
        """Wait for every started job, also those started while waiting.

        Return the first failure of a job the script never awaited. A failure the script
        awaited has already reached its code, which either handled it or raised.
        """
        first: Exception | None = None
        waited = 0
        while waited < len(self.runs):
            batch = self.runs[waited:]
            waited = len(self.runs)
            results = await asyncio.gather(*(run.task for run in batch), return_exceptions=True)
            for run, outcome in zip(batch, results, strict=True):
                if isinstance(outcome, asyncio.CancelledError):
                    raise outcome
                if isinstance(outcome, Exception) and first is None and not run.observed:
                    first = outcome
        return first

    async def _cancel_jobs(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def finish(self, outcome: BuildOutcome) -> None:
        keep_share = outcome.status != BuildStatus.SUCCEEDED and self.share_created

        # Let the executor remove what it created; the share stays only for a failed build.
        try:
            await self.executor.end_build(self.info, keep_share)
        except Exception as error:
            logger.exception("Cleaning up build %s failed.", self.id)
            self.note(f"warning: cleaning up failed: {error}")
        if self.share_created and not keep_share and self.info.share_dir.exists():
            await asyncio.to_thread(shutil.rmtree, self.info.share_dir, True)

        # Record the end of the build.
        share_state = "none"
        expires = None
        if self.share_created:
            share_state = "kept" if keep_share else "discarded"
            if keep_share:
                hours = self.engine.settings_for(self).share.keep_hours
                expires = iso(utc_now() + timedelta(hours=hours))
                self.note(f"the share is kept for inspection until {expires}")
        if outcome.status != BuildStatus.SUCCEEDED and outcome.error not in self._noted:
            self.note(f"build {outcome.status.value}: {outcome.error}")
        self.log.close()
        self.store.update_build(
            self.id,
            status=outcome.status.value,
            finished_at=iso(utc_now()),
            error=outcome.error,
            share_state=share_state,
            share_expires_at=expires,
        )
        self.engine.emit(BuildFinished(self.id, outcome.status.value, outcome.error))

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, _HandlerError):
            return str(error.error)
        return str(error)

    # Jobs

    async def _run_job(self, state: JobState) -> Result:
        job = state.job
        started = utc_now()
        log_path = self.work_dir / "jobs" / f"{job.name}.log"
        output_path = self.work_dir / "jobs" / f"{job.name}.out"
        role = self.pipe_roles.get(job.name, PipeRole(None, None, None))
        try:
            spec, handovers = freeze_job(job)
            check_environment(spec, self.executor)
            stdin, stdin_handover = self._stdin_stream(job, spec.name)
            if role.input is not None:
                spec.has_stdin = True
            if isinstance(job.stdin, Path) and not self.executor.host_share:
                spec.tasks.insert(0, self._share_stdin_task(job.stdin, spec))
            digest = input_hash(spec, await self._stdin_digest(job, spec.name), self.source_hash)
        except JobSpecError as error:
            await self._disconnect_pipes(None, role)
            self.store.update_job(self.id, job.name, spec=self._draft_spec(job))
            self._set_job_state(state, JobStatus.FAILED, error=str(error), finished=True)
            raise JobFailed(job.name, str(error)) from None

        # On resume, a job that succeeded with the same inputs is not run again.
        if self.resume is not None and job.name not in self.pipe_roles:
            reusable = self.resume.reusable(job.name, digest, spec.storage)
            if reusable is not None:
                return await self._reuse(state, spec, reusable, digest, handovers)
            if spec.storage and self.resume.share is None:
                self.info.note_once(
                    "share-gone",
                    f"the share of build {self.resume.original.id} is gone, so jobs that use "
                    "the share run again",
                )

        # Record the job as running with its spec (secret values masked).
        state.status = JobStatus.RUNNING
        self.store.update_job(
            self.id,
            job.name,
            status=JobStatus.RUNNING.value,
            spec=masked_spec(spec, self.masker),
            uses_share=int(spec.storage),
            started_at=iso(started),
            log_path=str(log_path),
            output_path=str(output_path),
            input_hash=digest,
        )
        self.engine.emit(JobStateChanged(self.id, job.name, JobStatus.RUNNING.value))
        for handover in handovers + ([stdin_handover] if stdin_handover else []):
            self._record_handover(handover, job.name)

        # Create the share the first time a storage-enabled job needs it.
        if spec.storage:
            await self._ensure_share()

        # Stream output into the log (masked) and the output file (exact) while the job runs.
        log = LogFile(log_path, self.masker)
        output = OutputFile(output_path)
        last_notice = 0.0

        def notify(force: bool = False) -> None:
            nonlocal last_notice
            now = time.monotonic()
            if force or now - last_notice >= LOG_NOTIFY_INTERVAL:
                last_notice = now
                self.engine.emit(JobLogged(self.id, job.name, log.size))

        async def on_stdout(chunk: bytes) -> None:
            if isinstance(role.output, QueueLink):
                await role.output.write(chunk)
                return
            output.write(chunk)
            log.write("stdout", chunk)
            notify()

        async def on_stderr(chunk: bytes) -> None:
            log.write("stderr", chunk)
            for line in chunk.decode("utf-8", errors="replace").splitlines():
                if line.strip():
                    state.stderr_tail.append(self.masker.text(line))
            notify()

        request = JobRequest(
            build=self.info,
            spec=spec,
            stdin=stdin,
            on_stdout=on_stdout,
            on_stderr=on_stderr,
            secrets=self.project.secrets,
        )
        if role.output is not None:
            log.write_line(f"[brigtui] standard output goes to job '{role.next_job}' through a pipe")
        self._connect_pipes(request, role)
        try:
            exit_code = await self._execute(request, state, log, output)
        finally:
            await asyncio.shield(self._disconnect_pipes(request, role))
        notify(force=True)

        # Turn the exit code into the job's final state and its Result.
        result = Result(
            job=job.name,
            exit_code=exit_code,
            output_path=output_path,
            size=output.size,
            log_path=log_path,
            started_at=started,
            finished_at=utc_now(),
            build_id=self.id,
            digest=output.digest,
        )
        self.store.update_job(self.id, job.name, output_digest=output.digest)
        state.result = result
        if exit_code != 0:
            message = f"job '{job.name}' failed with exit code {exit_code}"
            if exit_code == 127:
                message += " (a command was not found)"
            if state.stderr_tail:
                message += f": {state.stderr_tail[-1]}"
            self._set_job_state(state, JobStatus.FAILED, exit_code=exit_code, error=message,
                                finished=True, output_size=output.size)
            raise JobFailed(job.name, message, exit_code)
        self._set_job_state(state, JobStatus.SUCCEEDED, exit_code=0, finished=True,
                            output_size=output.size)
        return result

    async def _execute(
        self, request: JobRequest, state: JobState, log: LogFile, output: OutputFile
    ) -> int:
        """Run the job through the executor; turn timeouts and errors into job states."""
        job = state.job
        spec = request.spec
        try:
            async with asyncio.timeout(spec.timeout):
                exit_code = await self.executor.run_job(request)
        except TimeoutError:
            message = f"job '{job.name}' timed out after {spec.timeout:g} s and was stopped"
            self._close_job_files(log, output, message)
            self._set_job_state(state, JobStatus.FAILED, error=message, finished=True,
                                output_size=output.size)
            raise JobFailed(job.name, message) from None
        except asyncio.CancelledError:
            self._close_job_files(log, output, "cancelled")
            self._set_job_state(state, JobStatus.CANCELLED, error="cancelled", finished=True,
                                output_size=output.size)
            raise
        except JobFailed as error:
            self._close_job_files(log, output, str(error))
            self._set_job_state(state, JobStatus.FAILED, error=str(error), finished=True,
                                output_size=output.size)
            raise
        except Exception as error:
            logger.exception("Executor %s failed on job %s.", self.executor.name, job.name)
            message = f"job '{job.name}' could not run: {error}"
            self._close_job_files(log, output, message)
            self._set_job_state(state, JobStatus.FAILED, error=message, finished=True,
                                output_size=output.size)
            raise JobFailed(job.name, message) from error
        self._close_job_files(log, output, None)
        return exit_code


    def _draft_spec(self, job: Job) -> dict[str, Any]:
        """Return the fields of a job that could not start, masked and shortened, for its detail view."""
        env = {}
        for name, value in job.env.items():
            text = self.masker.text(str(value))
            env[str(name)] = text if len(text) <= 200 else f"{text[:200]}… ({len(text)} characters)"
        return {
            "name": job.name,
            "image": str(job.image),
            "tasks": [self.masker.text(str(task)) for task in job.tasks],
            "env": env,
            "storage": bool(job.storage.enabled),
            "shell": job.shell,
            "timeout": job.timeout,
        }

    def _connect_pipes(self, request: JobRequest, role: PipeRole) -> None:
        if isinstance(role.input, SpliceLink):
            request.stdin_fd = OwnedFd(role.input.take_reader_fd())
        elif isinstance(role.input, QueueLink):
            request.stdin = role.input.chunks()
        if isinstance(role.output, SpliceLink):
            request.stdout_fd = OwnedFd(role.output.take_writer_fd())

    async def _disconnect_pipes(self, request: JobRequest | None, role: PipeRole) -> None:
        """Close the job's pipe ends it did not take, and end the queues it used."""
        if request is not None:
            for holder in (request.stdin_fd, request.stdout_fd):
                if holder is not None:
                    holder.close()
        if isinstance(role.output, SpliceLink):
            role.output.abandon_writer()
        if isinstance(role.input, SpliceLink):
            role.input.abandon_reader()
        if isinstance(role.output, QueueLink):
            await role.output.close_writer()
        if isinstance(role.input, QueueLink):
            role.input.close_reader()

    async def _reuse(
        self,
        state: JobState,
        spec: JobSpec,
        original: JobRecord,
        digest: str,
        handovers: list[HandoverRecord],
    ) -> Result:
        """Finish a job with the recorded result of the original build, without running it."""
        assert self.resume is not None and original.output_path
        now = utc_now()
        log_path = self.work_dir / "jobs" / f"{spec.name}.log"
        output_path = self.work_dir / "jobs" / f"{spec.name}.out"
        source_build = self.resume.source_build(original)
        await asyncio.to_thread(link_or_copy, Path(original.output_path), output_path)
        with LogFile(log_path, self.masker) as log:
            log.write_line(
                f"[brigtui] reused the result of job '{spec.name}' from build {source_build}; "
                f"its log: {original.log_path}"
            )
        size = output_path.stat().st_size
        self.store.update_job(
            self.id,
            spec.name,
            status=JobStatus.REUSED.value,
            spec=masked_spec(spec, self.masker),
            uses_share=int(spec.storage),
            exit_code=0,
            started_at=iso(now),
            finished_at=iso(now),
            log_path=str(log_path),
            output_path=str(output_path),
            output_size=size,
            output_digest=original.output_digest,
            input_hash=digest,
            reused_from=source_build,
        )
        for handover in handovers:
            self._record_handover(handover, spec.name)
        state.status = JobStatus.REUSED
        self.engine.emit(JobStateChanged(self.id, spec.name, JobStatus.REUSED.value, 0))
        state.result = Result(
            job=spec.name,
            exit_code=0,
            output_path=output_path,
            size=size,
            log_path=log_path,
            started_at=now,
            finished_at=now,
            build_id=self.id,
            digest=original.output_digest or "",
        )
        return state.result

    async def _stdin_digest(self, job: Job, name: str) -> str | None:
        source = job.stdin
        if source is None:
            return None
        if isinstance(source, Result):
            return source.digest or await asyncio.to_thread(file_digest, source.output_path)
        if isinstance(source, Path) and not self.executor.host_share:
            return hashlib.sha256(str(source).encode()).hexdigest()
        if isinstance(source, Path):
            return await asyncio.to_thread(file_digest, self.share_path(source, name))
        data = source.encode() if isinstance(source, str) else bytes(source)
        return hashlib.sha256(data).hexdigest()

    def _close_job_files(self, log: LogFile, output: OutputFile, reason: str | None) -> None:
        output.close()
        if reason:
            log.write_line(f"[brigtui] {reason}")
        log.close()

    def _set_job_state(
        self,
        state: JobState,
        status: JobStatus,
        *,
        exit_code: int | None = None,
        error: str | None = None,
        finished: bool = False,
        output_size: int | None = None,
    ) -> None:
        state.status = status
        fields: dict[str, Any] = {"status": status.value, "exit_code": exit_code, "error": error}
        if finished:
            fields["finished_at"] = iso(utc_now())
        if output_size is not None:
            fields["output_size"] = output_size
        self.store.update_job(self.id, state.job.name, **fields)
        self.engine.emit(JobStateChanged(self.id, state.job.name, status.value, exit_code, error))

    async def _ensure_share(self) -> None:
        async with self._share_lock:
            if not self.share_created:
                await self.executor.ensure_share(self.info)
                self.share_created = True
                self.store.update_build(
                    self.id, share_path=str(self.info.share_dir), share_state="live"
                )

    def _record_handover(self, record: HandoverRecord, target: str) -> None:
        record.build_id = self.id
        record.target_job = target
        self.store.insert_handover(record)
        self.engine.emit(
            HandoverRecorded(
                self.id, record.source_build, record.source_job, target, record.how, record.bytes
            )
        )

    def _stdin_stream(
        self, job: Job, name: str
    ) -> tuple[AsyncIterator[bytes] | None, HandoverRecord | None]:
        source = job.stdin
        if source is None:
            return None, None
        if isinstance(source, Result):
            handover = HandoverRecord(
                "", source.build_id, source.job, name, "stdin", None, source.size
            )
            return _file_chunks(source.output_path), handover
        if isinstance(source, Path) and not self.executor.host_share:
            return None, None  # the job reads the file itself: see _share_stdin_task
        if isinstance(source, Path):
            return _file_chunks(self.share_path(source, name)), None
        if isinstance(source, str):
            return _bytes_chunks(source.encode()), None
        if isinstance(source, bytes | bytearray | memoryview):
            return _bytes_chunks(bytes(source)), None
        raise JobSpecError(
            f"job '{name}': stdin must be a Result, bytes, str or a Path in the share, "
            f"not {type(source).__name__}"
        )

    def _share_stdin_task(self, path: Path, spec: JobSpec) -> str:
        """Return a first task that makes a share file the job's standard input.

        Executors whose share is not a host folder need it, because the file lives in the
        cluster's claim, where only the job can read it.
        """
        if not spec.storage:
            raise JobSpecError(
                f"job '{spec.name}': stdin from the share file {path} needs storage=True"
            )
        inside = not path.is_absolute() or path.is_relative_to(SHARE_MOUNT)
        relative = path.relative_to(SHARE_MOUNT) if path.is_absolute() and inside else path
        if not inside or ".." in relative.parts:
            raise JobSpecError(f"job '{spec.name}': stdin path {path} is not in the share")
        return f"exec < {shlex.quote(f'{SHARE_MOUNT}/{relative.as_posix()}')}"

    def share_path(self, path: Path, job: str) -> Path:
        """Map a path in the share (relative, or under /mnt/brigade/share) to the host file."""
        if path.is_absolute() and not path.is_relative_to(SHARE_MOUNT):
            raise JobSpecError(
                f"job '{job}': stdin path {path} is not in the share; use a path under "
                f"{SHARE_MOUNT} or relative to it"
            )
        relative = path.relative_to(SHARE_MOUNT) if path.is_absolute() else path
        host = (self.info.share_dir / relative).resolve()
        if not host.is_relative_to(self.info.share_dir.resolve()):
            raise JobSpecError(f"job '{job}': stdin path {path} leaves the share")
        if not host.is_file():
            raise JobSpecError(
                f"job '{job}': stdin file {path} is not in this build's share; "
                "a storage-enabled job must write it first"
            )
        return host


class _HandlerError(Exception):
    """A handler raised an ordinary exception, wrapped with the ScriptError that names its line."""

    def __init__(self, error: ScriptError) -> None:
        super().__init__(str(error))
        self.error = error


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, STDIN_CHUNK):
            yield chunk


async def _bytes_chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), STDIN_CHUNK):
        yield data[start : start + STDIN_CHUNK]
