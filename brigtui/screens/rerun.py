"""Rerun and resume from the history: a dialog that shows what will run, then the new build.

`BuildActions` gives a screen the keys that act on one recorded build: rerun, resume,
compare and timeline. The screen provides the selected build's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.store import BuildRecord
from brigtui.history_query import ACTIVE_STATUSES, ResumePreview, preview_resume, share_available
from brigtui.screens.key_commands import ScreenKeyCommands

logger = logging.getLogger(__name__)

ACTION_BINDINGS = [
    Binding("r", "rerun", "Rerun"),
    Binding("R", "resume", "Resume", key_display="R"),
    Binding("u", "resume", "Resume", show=False),
    Binding("d", "compare", "Compare"),
    Binding("t", "timeline", "Timeline"),
]
"""Keys of the build actions. `R` (shift+r) and `u` both resume, for terminals where
shifted letters are awkward to send."""


@dataclass(frozen=True)
class RerunChoice:
    """The user's confirmed choice: resume or a plain rerun, and which files the build runs."""

    resume: bool
    current_files: bool


class RerunDialog(ModalScreen[RerunChoice | None]):
    """Says what a rerun or a resume will do; Enter or y starts it, f switches the files."""

    DEFAULT_CSS = """
    RerunDialog { align: center middle; }
    RerunDialog #rerun-dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("enter", "start", "Start"),
        Binding("y", "start", "Start", show=False),
        Binding("f", "toggle_files", "Current files"),
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
        Binding("n", "cancel", "Cancel", show=False),
    ]

    def __init__(self, build: BuildRecord, preview: ResumePreview | None) -> None:
        super().__init__()
        self.build = build
        self.preview = preview
        self.current_files = False

    def compose(self) -> ComposeResult:
        with Vertical(id="rerun-dialog"):
            yield Static(id="rerun-text")
            yield Static(Text("Enter/y: start   f: snapshot or current files   Esc/n: cancel",
                              style="dim"))

    def on_mount(self) -> None:
        self._describe()

    def _describe(self) -> None:
        build = self.build
        verb = "Resume" if self.preview is not None else "Rerun"
        text = Text.assemble((f"{verb} build {build.id}\n", "bold"),
                             f"{build.script}, event '{build.event}'\n")
        files = ("the current files in the folder" if self.current_files
                 else "the snapshot of the files the build ran with")
        text.append(f"runs {files}\n")
        if self.preview is not None:
            text.append(self.preview.summary() + "\n")
            if not self.preview.share_available and any(
                job.uses_share for job in build.jobs
            ):
                text.append("The build's share is gone: jobs that use it start on an empty "
                            "share.\n", "bold")
        self.query_one("#rerun-text", Static).update(text)

    def action_toggle_files(self) -> None:
        self.current_files = not self.current_files
        self._describe()

    def action_start(self) -> None:
        self.dismiss(RerunChoice(self.preview is not None, self.current_files))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BuildActions(Screen[None]):
    """A screen whose keys rerun, resume, compare or time the selected recorded build."""

    COMMANDS = {ScreenKeyCommands}

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def selected_build_id(self) -> str | None:
        raise NotImplementedError

    def _selected(self) -> str | None:
        build_id = self.selected_build_id()
        if build_id is None:
            self.notify("No build selected.", severity="warning")
        return build_id

    def action_rerun(self) -> None:
        build_id = self._selected()
        if build_id is not None:
            self._prepare_rerun(build_id, resume=False)

    def action_resume(self) -> None:
        build_id = self._selected()
        if build_id is not None:
            self._prepare_rerun(build_id, resume=True)

    def action_compare(self) -> None:
        from brigtui.screens.compare import CompareScreen

        build_id = self._selected()
        if build_id is not None:
            self.app.push_screen(CompareScreen(self.engine, build_id))

    def action_timeline(self) -> None:
        from brigtui.screens.timeline import TimelineScreen

        build_id = self._selected()
        if build_id is not None:
            self.app.push_screen(TimelineScreen(self.engine.store, build_id))

    @work(thread=True, group="rerun-prepare", exclusive=True, exit_on_error=False)
    def _prepare_rerun(self, build_id: str, resume: bool) -> None:
        """Read the build and, for a resume, whether its share still exists (file system)."""
        build = self.engine.store.get_build(build_id)
        preview = None
        if build is not None and resume:
            preview = preview_resume(build, share_available(build))
        self.app.call_from_thread(self._ask, build_id, build, preview, resume)

    def _ask(self, build_id: str, build: BuildRecord | None, preview: ResumePreview | None,
             resume: bool) -> None:
        if build is None:
            self.notify(f"Build {build_id} is not recorded (gc may have removed it).",
                        severity="error")
            return
        if resume and build.status in ACTIVE_STATUSES:
            self.notify(f"Build {build_id} is still {build.status}; resume it once it ends.",
                        severity="warning")
            return

        def chosen(choice: RerunChoice | None) -> None:
            if choice is not None:
                self.start_rerun(build_id, choice)

        self.app.push_screen(RerunDialog(build, preview), chosen)

    def start_rerun(self, build_id: str, choice: RerunChoice) -> str | None:
        """Start the rerun on the event loop, because the engine schedules the build there.

        Return the new build's id, or None after telling the user why it could not start.
        """
        try:
            runner = self.engine.rerun(
                build_id, resume=choice.resume, current_files=choice.current_files
            )
        except BrigtuiError as error:
            logger.warning("Could not rerun build %s: %s", build_id, error)
            self.notify(f"Could not rerun build {build_id}: {error}", severity="error",
                        timeout=10)
            return None
        verb = "Resuming" if choice.resume else "Rerunning"
        self.notify(f"{verb} build {build_id} as build {runner.id}.")
        self.rerun_started(runner.id)
        return runner.id

    def rerun_started(self, build_id: str) -> None:
        """Show the new build; screens refine this."""
        from brigtui.screens.recorded_build import RecordedBuildScreen

        self.app.push_screen(RecordedBuildScreen(self.engine, build_id))
