"""The pipe pane: move data from a finished job (or a share file) through a filter into a job.

Each step is keyboard-driven and each blocking read runs in a thread worker that posts a
message back. Every filter and every run is a build of its own, so the history records
where each input came from.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from brigtui.engine.build import BuildRunner
from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.pipe_pane_model import PREVIEW_BYTES, PipeState, SourceChoice, preview_text
from brigtui.share.handover import HowIn, check_env_fits, recorded_source
from brigtui.widgets.pipe_messages import SourceLoaded
from brigtui.widgets.pipe_moves import PipeMoves
from brigtui.widgets.pipe_palette import PipePaneCommands
from brigtui.widgets.pipe_source_picker import SourcePicker
from brigtui.widgets.pipe_target_picker import TargetChoice, TargetPicker
from brigtui.widgets.pipe_view import PIPE_PANE_CSS, render_lines

if TYPE_CHECKING:
    from brigtui.screens.dashboard import DashboardScreen

logger = logging.getLogger(__name__)


class PipePaneScreen(PipeMoves):
    """Source, filter, target, run: four steps, one key each, the result below."""

    DEFAULT_CSS = PIPE_PANE_CSS
    AUTO_FOCUS = ""
    """Nothing has focus until a step needs typing, so the step keys work at once."""
    COMMANDS = {PipePaneCommands}
    BINDINGS = [
        Binding("s", "pick_source", "Source"),
        Binding("f", "edit_filter", "Filter"),
        Binding("t", "pick_target", "Target"),
        Binding("1", "how('env')", "Env", show=False),
        Binding("2", "how('stdin')", "Stdin", show=False),
        Binding("3", "how('share')", "Share", show=False),
        Binding("n", "edit_name", "Name", show=False),
        Binding("r", "run", "Run"),
        Binding("c", "cancel", "Cancel"),
        Binding("escape", "back", "Back", key_display="Esc"),
    ]

    def __init__(self, engine: Engine, folder: Path, build_id: str | None = None,
                 job: str | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.folder = folder
        self.state = PipeState()
        if build_id is not None and job is not None:
            self.state.choice = SourceChoice(build_id, job=job)
        self.first_build = build_id
        self._runner: BuildRunner | None = None
        self._copy_cancelled = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    def compose(self) -> ComposeResult:
        yield Static(id="pipe-title", classes="title")
        yield Static(id="source-line", classes="pipe-step")
        yield Static(id="source-preview", classes="pipe-preview")
        yield Static(id="filter-line", classes="pipe-step")
        yield Input(placeholder="shell command, such as grep rhino (Enter runs, empty removes)",
                    id="filter-input")
        yield Static(id="filter-preview", classes="pipe-preview")
        yield Static(id="target-line", classes="pipe-step")
        yield Input(placeholder="env variable or share file name (Enter keeps it)", id="name-input")
        yield Static(id="run-line", classes="pipe-step")
        yield Static(id="result-preview")
        yield Static(id="pipe-message")
        yield Footer()

    def on_mount(self) -> None:
        self._unsubscribe = self.engine.subscribe(self._engine_listener)
        self.render_state()
        if self.state.choice is not None:
            self.load_source(self.state.choice)

    def on_unmount(self) -> None:
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._copy_cancelled.set()
        self._release_source()
        self._remove_staged()

    # Drawing

    def render_state(self) -> None:
        """Write every line of the pane from the state (a no-op once the pane has closed)."""
        if self._closed:
            return
        for widget_id, text in render_lines(self.state).items():
            widget = self.query_one(f"#{widget_id}", Static)
            widget.update(text)
            if widget.has_class("pipe-preview"):
                widget.display = bool(text.plain)

    def say(self, text: str, *, error: bool = False) -> None:
        self.state.message = ("✗ " if error else "") + text
        self.render_state()

    # Step 1: the source

    def action_pick_source(self) -> None:
        if self.state.busy():
            self.say("a move is running: c cancels it", error=True)
            return
        self.app.push_screen(SourcePicker(self.engine, self.first_build), self._source_picked)

    def _source_picked(self, choice: SourceChoice | None) -> None:
        if choice is None:
            return
        self._release_source()
        self.state.choice = choice
        self.state.source = None
        self.state.source_preview = "reading…"
        self.state.forget_filter_output()
        self.state.offer_stdin = False
        self.state.message = ""
        self.render_state()
        self.load_source(choice)

    @work(thread=True, group="source", exclusive=True, exit_on_error=False)
    def load_source(self, choice: SourceChoice) -> None:
        """Read the source's size and head: from the job's stored output, or through the inspector."""
        script = None
        record = self.engine.store.get_build(choice.build_id, with_jobs=False)
        if record is not None:
            script = Path(record.script)
        try:
            if choice.share_path is not None and choice.inspector is not None:
                size = choice.inspector.measure(choice.share_path)[1]
                head = choice.inspector.read(choice.share_path, 0, PREVIEW_BYTES)
                source = None
            else:
                source = recorded_source(self.engine, choice.build_id, choice.job or "")
                size = source.size
                head = source.read_head(PREVIEW_BYTES)
        except (BrigtuiError, OSError) as error:
            self.post_message(SourceLoaded(None, None, "", script, str(error)))
            return
        head = self.engine.secret_masker().bytes(head)
        self.post_message(SourceLoaded(source, size, preview_text(head, size), script))

    def on_source_loaded(self, message: SourceLoaded) -> None:
        state = self.state
        state.source = message.source
        state.source_script = message.script
        state.source_preview = message.preview
        if state.choice is not None:
            state.choice.size = message.size
        if message.error is not None:
            logger.info("The pipe pane could not read %s: %s",
                        state.choice.label if state.choice else "its source", message.error)
            state.choice = None
            self.say(f"{message.error}; press s to pick another source", error=True)
            return
        self.render_state()

    # Step 2: the filter

    def action_edit_filter(self) -> None:
        if self.state.busy():
            self.say("a move is running: c cancels it", error=True)
            return
        field = self.query_one("#filter-input", Input)
        field.value = self.state.filter_command
        field.display = True
        field.focus()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._close_input(event.input)
        command = event.value.strip()
        self.state.filter_command = command
        self.state.forget_filter_output()
        if command:
            self.start_move("filter")
        self.render_state()

    # Step 3: the target and how the data goes in

    def action_pick_target(self) -> None:
        if self.state.busy():
            self.say("a move is running: c cancels it", error=True)
            return
        self.app.push_screen(TargetPicker(self.engine, self.folder), self._target_picked)

    def _target_picked(self, choice: TargetChoice | None) -> None:
        if choice is not None:
            self.state.set_target(*choice)
            self.state.message = ""
            self._check_env()
            self.render_state()

    def action_how(self, how: HowIn) -> None:
        self.state.set_how(how)
        self.state.message = ""
        self._check_env()
        self.render_state()

    def action_edit_name(self) -> None:
        if self.state.how == "stdin":
            self.say("standard input needs no name; press 1 for an env variable or 3 for a file")
            return
        field = self.query_one("#name-input", Input)
        field.value = self.state.name
        field.display = True
        field.focus()

    @on(Input.Submitted, "#name-input")
    def _name_submitted(self, event: Input.Submitted) -> None:
        self._close_input(event.input)
        if event.value.strip():
            self.state.name = event.value.strip()
        self.state.message = ""
        self._check_env()
        self.render_state()

    def _check_env(self) -> bool:
        """Refuse a value too large for an env variable before anything runs; offer stdin."""
        state = self.state
        size = state.input_size()
        reason = None
        if state.how == "env" and size is not None:
            try:
                reason = check_env_fits(self.engine, state.name, size)
            except BrigtuiError as error:
                reason = str(error)
        if reason is None:
            if state.offer_stdin:
                state.offer_stdin = False
                state.message = ""
            return True
        state.offer_stdin = True
        state.message = f"✗ {reason}"
        return False

    # Step 4: run, cancel, leave

    def action_run(self) -> None:
        state = self.state
        if state.busy():
            self.say("a move is running: c cancels it", error=True)
        elif state.choice is None:
            self.say("pick a source first: press s", error=True)
        elif state.spec is None or state.script is None:
            self.say("pick a target job first: press t", error=True)
        elif state.filter_command and state.filter_status != "succeeded":
            self.say("the filter has no output to use: fix it (f), or remove it (f, empty Enter)",
                     error=True)
        elif self._check_env():
            state.message = ""
            self.start_move("run")
        self.render_state()

    def action_cancel(self) -> None:
        if not self.state.busy():
            self.say("nothing is running")
            return
        self._copy_cancelled.set()
        if self._runner is not None:
            self.engine.cancel_build(self._runner.id)
        self.say("cancelling: the source stays as it is, the target job's build is cancelled")

    def action_back(self) -> None:
        for field in self.query(Input):
            if field.has_focus:
                self._close_input(field)
                return
        self.app.pop_screen()

    def _close_input(self, field: Input) -> None:
        field.display = False
        self.set_focus(None)

    # Clean-up

    def _release_source(self) -> None:
        choice = self.state.choice
        if choice is not None and choice.inspector is not None:
            inspector, choice.inspector = choice.inspector, None
            self.app.run_worker(inspector.close, thread=True, group="share-close",
                                exit_on_error=False)

    def _remove_staged(self) -> None:
        """Remove local copies of share files, once no build of the pane still reads them."""
        staged, self.state.staged = self.state.staged, []
        runner = self._runner
        if runner is not None and runner.task is not None and not runner.task.done():
            runner.task.add_done_callback(lambda _task: _unlink_all(staged))
        else:
            _unlink_all(staged)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def pane_for_dashboard(dashboard: DashboardScreen) -> PipePaneScreen:
    """Return the pane on the dashboard's selected build and job (its `p` key)."""
    build = dashboard.build
    job = dashboard.job if build is not None else None
    return PipePaneScreen(dashboard.brig.engine, dashboard.brig.folder,
                          build.id if build is not None else None, job)
