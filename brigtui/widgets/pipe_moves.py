"""The running part of the pipe pane: copy a share file, start a build, watch it, read its output.

`PipePaneScreen` builds on this class; the split keeps each module short. Every blocking
step runs in a thread worker that posts a message back to the pane.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

from textual import work
from textual.screen import Screen
from textual.worker import get_current_worker

from brigtui.engine.build import BuildRunner
from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError, JobSpecError
from brigtui.engine.messages import EngineMessage, JobStateChanged
from brigtui.engine.model import format_size
from brigtui.pipe_pane_model import (
    DEFAULT_IMAGE,
    PREVIEW_BYTES,
    PipeState,
    Progress,
    bytes_read_from,
    copy_share_file,
    preview_text,
    share_file_source,
    staging_dir,
)
from brigtui.share.handover import Source, start_filter, start_job_alone
from brigtui.tui_watch import find_scripts
from brigtui.widgets.pipe_messages import MoveProgressed, OutputRead

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
"""How often the pane looks at how much of the input a running build has read."""


class PipeMoves(Screen[None]):
    """Runs the filter or the target job for the pane, and keeps its state current."""

    engine: Engine
    folder: Path
    state: PipeState
    _runner: BuildRunner | None
    _copy_cancelled: threading.Event

    def render_state(self) -> None:
        raise NotImplementedError

    def say(self, text: str, *, error: bool = False) -> None:
        raise NotImplementedError

    def _check_env(self) -> bool:
        raise NotImplementedError

    # The move: copy a share file if needed, start the build, watch it, read its output

    def start_move(self, role: str) -> None:
        if role == "filter":
            self.state.filter_status = "running"
        else:
            self.state.run_status = "copying"
            self.state.run_build = None
            self.state.result_preview = ""
            self.state.job_states = {}
        self._copy_cancelled.clear()
        self.move(role)

    @work(group="move", exclusive=True, exit_on_error=False)
    async def move(self, role: str) -> None:
        """Run the filter (`role` filter) or the target job (`role` run) and show the outcome."""
        state = self.state
        try:
            # A share file becomes a local file first, with progress.
            source = state.source if role == "filter" else state.input_source()
            if source is None:
                source = await self._copy_share_file()
                state.source = source
            assert source is not None

            # Start the build: the filter job, or the target job alone.
            script = await self._build_script(role)
            runner = self._start_build(role, script, source)
        except (BrigtuiError, OSError) as error:
            self._move_failed(role, error)
            return
        except Exception as error:
            # Unexpected: reset the pane, then let the app show the failed worker.
            self._move_failed(role, error)
            raise
        self._runner = runner
        if role == "run":
            state.run_build = runner.id
            state.run_status = "running"
            state.progress = None
        self.render_state()

        # Watch how much of the input the build has read, until it ends.
        assert runner.task is not None
        watch = self.watch_delivery(source, runner) if role == "run" else None
        # Shielded: closing the pane cancels this worker but must not cancel the build.
        outcome = await asyncio.shield(runner.task)
        if watch is not None:
            watch.cancel()
        self._runner = None
        self.read_output(role, runner.id, outcome.status.value, outcome.error)

    async def _copy_share_file(self) -> Source:
        choice = self.state.choice
        if choice is None or choice.inspector is None or choice.share_path is None:
            raise BrigtuiError("the source is not loaded yet; wait for its preview, or press s")
        total = choice.size or 0
        folder = staging_dir(self.engine.state_dir)
        inspector, path = choice.inspector, choice.share_path

        def report(done: int) -> None:
            self.post_message(MoveProgressed("copying", done, total))

        local = await asyncio.to_thread(copy_share_file, inspector, path, total, folder, report,
                                        self._copy_cancelled.is_set)
        self.state.staged.append(local)
        return share_file_source(local, choice.build_id, path)

    async def _build_script(self, role: str) -> Path:
        """Return the script a build records: the target's, else the source build's, else any."""
        script = self.state.script if role == "run" else (self.state.script or self.state.source_script)
        if script is not None:
            return script
        scripts = await asyncio.to_thread(find_scripts, self.folder)
        if not scripts:
            raise BrigtuiError(f"no event script in {self.folder} to run the filter from; add one")
        return scripts[0]

    def _start_build(self, role: str, script: Path, source: Source) -> BuildRunner:
        state = self.state
        if role == "filter":
            image = (state.choice.image if state.choice else "") or DEFAULT_IMAGE
            return start_filter(self.engine, script, source, state.filter_command, image)
        assert state.spec is not None
        return start_job_alone(self.engine, script, state.spec, source, state.how, state.name)

    def _move_failed(self, role: str, error: BaseException) -> None:
        state = self.state
        if role == "filter":
            state.filter_status = "failed"
        else:
            state.run_status = "cancelled" if isinstance(error, InterruptedError) else "failed"
        state.progress = None
        state.offer_stdin = isinstance(error, JobSpecError) and state.how == "env"
        logger.info("The pipe pane's %s did not start: %s", role, error)
        self.say(str(error), error=True)

    @work(thread=True, group="delivery", exit_on_error=False)
    def watch_delivery(self, source: Source, runner: BuildRunner) -> None:
        """Post how much of the input file the build has read, while it runs."""
        path = source.result.output_path if source.result is not None else source.file
        assert path is not None
        worker = get_current_worker()
        last = -1
        while not worker.is_cancelled and runner.id in self.engine.running:
            done = bytes_read_from(path)
            if done is not None and done != last:
                self.post_message(MoveProgressed("delivering", done, source.size))
                last = done
            time.sleep(POLL_SECONDS)

    @work(thread=True, group="output", exit_on_error=False)
    def read_output(self, role: str, build_id: str, status: str, error: str | None) -> None:
        """Read the head of the filter's or the target job's output for the preview."""
        job = "filter"
        if role == "run" and self.state.spec is not None:
            job = self.state.spec.name
        try:
            result = self.engine.result_of(build_id, job)
            with result.open() as handle:
                head = handle.read(PREVIEW_BYTES)
        except (BrigtuiError, OSError) as problem:
            self.post_message(OutputRead(role, build_id, status, None, "", error or str(problem)))
            return
        source = Source(result=result, label=f"filter {self.state.filter_command!r}")
        head = self.engine.secret_masker().bytes(head)
        self.post_message(OutputRead(role, build_id, status, source,
                                     preview_text(head, result.size), error))

    def on_move_progressed(self, message: MoveProgressed) -> None:
        # A copy report that arrives after the build started is stale.
        stale = message.phase == "copying" and self.state.run_status == "running"
        if self.state.busy() and not stale:
            self.state.progress = Progress(message.phase, message.done, message.total)
            self.render_state()

    def on_output_read(self, message: OutputRead) -> None:
        state = self.state
        size = format_size(message.source.size) if message.source is not None else "no output"
        if message.role == "filter":
            state.filter_status = "succeeded" if message.status == "succeeded" else "failed"
            state.filter_source = message.source
            state.filter_preview = message.preview or "(no output)"
            state.progress = None
            state.message = "" if message.error is None else f"✗ filter: {message.error}"
            self._check_env()
        else:
            state.run_status = message.status
            state.progress = None
            state.result_preview = message.preview or "(no output)"
            state.message = f"build {message.build_id} {message.status} · {size}"
            if message.error:
                state.message = f"✗ build {message.build_id} {message.status}: {message.error}"
        self.render_state()

    # Engine messages about the pane's own build

    def _engine_listener(self, message: EngineMessage) -> None:
        runner = self._runner
        if isinstance(message, JobStateChanged) and runner is not None \
                and message.build_id == runner.id:
            self.app.call_later(self._job_changed, message)

    def _job_changed(self, message: JobStateChanged) -> None:
        self.state.job_states[message.job] = message.status
        self.render_state()

