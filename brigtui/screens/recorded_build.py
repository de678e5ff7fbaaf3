"""One recorded build as it ran: summary, share state, job graph and logs.

The screen reads the store, not engine messages, so it shows builds of other brigtui
processes too. While the build runs, it reads the record again every second.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from brigtui.engine.engine import Engine
from brigtui.engine.ids import parse_iso
from brigtui.engine.store import BuildRecord
from brigtui.screens.rerun import ACTION_BINDINGS, BuildActions
from brigtui.tui_messages import JobOpened, JobSelected
from brigtui.widgets.build_model import BuildBoard, BuildView, format_duration, glyph
from brigtui.widgets.job_graph import JobGraph
from brigtui.widgets.log_view import LogView

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 1.0


def share_text(build: BuildRecord) -> str:
    """Return what became of the build's share, in words."""
    state = build.share_state
    if state == "kept":
        until = f" until {build.share_expires_at}" if build.share_expires_at else ""
        return f"kept{until} at {build.share_path}"
    return {
        "none": "no job used a share",
        "live": "in use by the running build",
        "discarded": "discarded when the build succeeded",
        "expired": "expired and removed by gc",
    }.get(state, state)


def summary_text(build: BuildRecord, folder: Path | None) -> Text:
    """Return the build's summary lines: state, script, trigger, times, share, error."""
    start, end = parse_iso(build.started_at), parse_iso(build.finished_at)
    took = format_duration((end - start).total_seconds()) if start and end else "running"
    script = Path(build.script)
    if folder is not None and script.is_relative_to(folder):
        script = script.relative_to(folder)
    text = Text.assemble(
        (f"{glyph(build.status)} {build.status} ", "bold"),
        f"{script} [{build.event}] {took} ",
        (f"· {build.id}\n", "dim"),
        f"trigger: {build.trigger} · started {build.started_at or build.created_at}"
        f" · {build.executor}\n",
        f"share: {share_text(build)}",
    )
    reused = [job for job in build.jobs if job.reused_from]
    if reused:
        sources = ", ".join(sorted({job.reused_from or "" for job in reused}))
        text.append(f"\n↺ {len(reused)} of {len(build.jobs)} jobs reused from {sources}")
    if build.error:
        text.append(f"\n✗ {build.error}", "red")
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def graph_view(board: BuildBoard, record: BuildRecord) -> BuildView:
    """Return the board's view of a recorded build, with each finished job's recorded state.

    The board replays starts and ends in time order and puts ends first on a tie, so a job
    that started and ended in the same millisecond (a reused job) would show as running.
    """
    view = board.load(record)
    for job in record.jobs:
        if job.finished_at and job.name in view.jobs:
            view.jobs[job.name].status = job.status
    return view


class RecordedBuildScreen(BuildActions):
    """A recorded build: Enter opens a job, l switches job and build log, Esc goes back."""

    DEFAULT_CSS = """
    RecordedBuildScreen .title { height: 1; background: $boost; text-wrap: nowrap; }
    RecordedBuildScreen #record-summary {
        height: auto; max-height: 5; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RecordedBuildScreen #record-graph { height: 40%; min-height: 3; scrollbar-size: 1 1; }
    RecordedBuildScreen #record-log { height: 1fr; min-height: 2; scrollbar-size: 1 1; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="Esc", show=False),
        Binding("l", "toggle_log", "Build/job log"),
        Binding("s", "open_share", "Share"),
        *ACTION_BINDINGS,
    ]

    def __init__(self, engine: Engine, build_id: str) -> None:
        super().__init__(engine)
        self.build_id = build_id
        self.record: BuildRecord | None = None
        self.board = BuildBoard()
        self.job: str | None = None
        self.show_build_log = False

    def selected_build_id(self) -> str | None:
        return self.build_id

    def action_open_share(self) -> None:
        """Open the share inspector on this build (read-only)."""
        from brigtui.screens.share_inspector import share_screen_for

        self.app.push_screen(share_screen_for(self.engine, self.build_id))

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="record-summary")
        yield JobGraph(id="record-graph")
        yield Static(id="record-log-title", classes="title")
        yield LogView(id="record-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(JobGraph).focus()
        self.load()
        self.set_interval(RELOAD_SECONDS, self._reload_if_running)

    def _reload_if_running(self) -> None:
        if self.record is not None and self.record.finished_at is None:
            self.load()
            self.query_one(LogView).poll()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def load(self) -> None:
        record = self.engine.store.get_build(self.build_id)
        self.app.call_from_thread(self._loaded, record)

    def _loaded(self, record: BuildRecord | None) -> None:
        summary = self.query_one("#record-summary", Static)
        if record is None:
            summary.update(f"build {self.build_id} is not recorded (gc may have removed it)")
            return
        first = self.record is None
        self.record = record
        summary.update(summary_text(record, self.engine.folder))
        graph = self.query_one(JobGraph)
        graph.show(graph_view(self.board, record))
        if first or self.job is None:
            self.job = graph.selected
        # Following the same file again only reads what it gained since.
        self._follow_log()

    @on(JobSelected)
    def _job_selected(self, message: JobSelected) -> None:
        if message.job != self.job:
            self.job = message.job
            self._follow_log()

    @on(JobOpened)
    def _job_opened(self, message: JobOpened) -> None:
        from brigtui.screens.job_detail import JobDetailScreen

        self.app.push_screen(JobDetailScreen(message.build_id, message.job))

    def action_toggle_log(self) -> None:
        self.show_build_log = not self.show_build_log
        self._follow_log()

    def _follow_log(self) -> None:
        record = self.record
        if record is None:
            return
        log = self.query_one(LogView)
        title = self.query_one("#record-log-title", Static)
        if self.show_build_log or self.job is None:
            path = record.log_path
            title.update(Text("build log (l: job log)", style="bold"))
            log.follow(Path(path) if path else None, "build log", "no build log")
            return
        job = next((j for j in record.jobs if j.name == self.job), None)
        path = job.log_path if job else None
        reused = f", reused from {job.reused_from}" if job and job.reused_from else ""
        title.update(Text(f"log of job {self.job}{reused} (l: build log)", style="bold"))
        log.follow(Path(path) if path else None, f"log of job {self.job}",
                   f"job {self.job} has no log (it never started)")

    def rerun_started(self, build_id: str) -> None:
        # Replace this screen, so Esc goes back to the history rather than the old build.
        self.app.switch_screen(RecordedBuildScreen(self.engine, build_id))
