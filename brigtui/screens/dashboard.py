"""The dashboard: scripts and builds on the left, the job graph and a log on the right."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from brigtui.engine.errors import ScriptError
from brigtui.engine.messages import (
    BuildFinished,
    BuildNoted,
    BuildPrinted,
    BuildStarted,
    JobLogged,
    JobStateChanged,
)
from brigtui.engine.store import BuildRecord
from brigtui.screens.registry import DASHBOARD_ACTIONS, bindings, screen_bindings, screen_entry
from brigtui.tui_messages import (
    BuildSelected,
    EngineReported,
    JobOpened,
    JobSelected,
    ScriptChecked,
    ScriptsScanned,
    WatchStateChanged,
)
from brigtui.widgets.build_list import BuildList
from brigtui.widgets.build_model import BuildBoard, BuildView, format_duration, glyph
from brigtui.widgets.job_graph import JobGraph
from brigtui.widgets.log_view import LogView
from brigtui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from brigtui.app import BrigtuiApp

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 200
"""Recorded builds read at start-up to fill the script list."""


class DashboardScreen(Screen[None]):
    """The main screen, where the app starts."""

    BINDINGS = bindings(DASHBOARD_ACTIONS) + screen_bindings()

    def __init__(self) -> None:
        super().__init__()
        self.board = BuildBoard()
        self.build: BuildView | None = None
        self.job: str | None = None
        self.log_target = "job"
        """`job` shows the selected job's log, `build` the build's own log."""
        self.script_errors: dict[Path, ScriptError] = {}
        self._search_scope = "log"

    @property
    def brig(self) -> BrigtuiApp:
        return cast("BrigtuiApp", self.app)

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield BuildList(self.brig.folder, self.board, id="builds")
            with Vertical(id="right"):
                yield Static(id="graph-title", classes="title")
                yield JobGraph(id="graph")
                yield Static(id="log-title", classes="title")
                yield LogView(id="log")
        yield Static(id="errors")
        yield Input(placeholder="search (Enter to search, Esc to leave)", id="search")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusLine)
        status.executor = self.brig.executor_label
        self._show_errors()
        self.update_titles()
        self.query_one(BuildList).focus()
        self.set_interval(1.0, self._tick)
        self.load_history()

    # Widgets

    @property
    def build_list(self) -> BuildList:
        return self.query_one(BuildList)

    @property
    def graph(self) -> JobGraph:
        return self.query_one(JobGraph)

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    # Start-up: recorded builds

    @work(thread=True, group="history", exit_on_error=False)
    def load_history(self) -> None:
        """Read the recorded builds (in a thread) and list them under their scripts."""
        records = self.brig.engine.store.list_builds(limit=HISTORY_LIMIT)
        self.app.call_from_thread(self._show_history, records)

    def _show_history(self, records: list[BuildRecord]) -> None:
        # A state folder shared through $BRIGTUI_HOME contains other folders' builds too.
        records = [r for r in records if Path(r.script).is_relative_to(self.brig.folder)]
        for record in records:
            if record.id not in self.board.builds:
                self.board.builds[record.id] = BuildView(
                    record.id, record.script, record.event, record.trigger, record.status
                )
        self.build_list.add_builds([self.board.builds[record.id] for record in records])
        listed = [i for ids in self.build_list.builds.values() for i in ids]
        self._load_recorded_builds(listed)

    @work(thread=True, group="history", exit_on_error=False)
    def _load_recorded_builds(self, build_ids: list[str]) -> None:
        """Read jobs and times of the listed builds, so their rows and graphs are complete."""
        for build_id in build_ids:
            record = self.brig.engine.store.get_build(build_id)
            if record is not None:
                self.app.call_from_thread(self._loaded_record, record)

    def _loaded_record(self, record: BuildRecord) -> None:
        live = self.board.builds.get(record.id)
        if live is not None and live.finished is None and record.id in self.brig.engine.running:
            return  # a live build: engine messages keep it current
        build = self.board.load(record)
        self.build_list.refresh_builds({build.id})
        if self.build is not None and self.build.id == build.id:
            self._show_build(build)

    # Messages from the app

    def on_scripts_scanned(self, message: ScriptsScanned) -> None:
        self.build_list.set_scripts(message.scripts)
        for script in list(self.script_errors):
            if script not in message.scripts:
                del self.script_errors[script]
        self._show_errors()

    def on_script_checked(self, message: ScriptChecked) -> None:
        if message.error is None:
            self.script_errors.pop(message.path, None)
            self.build_list.set_error(message.path, None)
        else:
            self.script_errors[message.path] = ScriptError(message.path, message.line,
                                                           message.error)
            self.build_list.set_error(message.path, message.error)
        self._show_errors()

    def on_watch_state_changed(self, message: WatchStateChanged) -> None:
        status = self.query_one(StatusLine)
        status.watch_state = message.state
        status.pending = len(message.pending)
        status.queued = len(message.queued)
        self.build_list.set_pending({Path(p) for p in message.pending})

    def on_engine_reported(self, message: EngineReported) -> None:
        changed: set[str] = set()
        for item in message.messages:
            before = self.board.builds.get(item.build_id)
            version = before.version if before is not None else -1
            build = self.board.apply(item)
            if build is None:
                continue
            if build.version != version or build is not before:
                changed.add(build.id)  # log notices change no state: no redraw for them
            if isinstance(item, BuildStarted):
                self._build_started(build)
            elif isinstance(item, JobLogged | BuildPrinted | BuildNoted | JobStateChanged):
                self._log_grew(build, item)
            elif isinstance(item, BuildFinished):
                # The record has the exact job times; messages only tell when they arrived.
                self._load_recorded_builds([build.id])
        if changed:
            self.build_list.refresh_builds(changed)
        if self.build is not None and self.build.id in changed:
            self.graph.update_graph()
            self.update_titles()
        self.query_one(StatusLine).running = len(self.brig.engine.running)

    def _build_started(self, build: BuildView) -> None:
        self.build_list.add_builds([build])
        self.query_one(StatusLine).last_trigger = f"{build.trigger} → {Path(build.script).name}"

        # Follow the new build unless the cursor is pinned on an older build's row.
        current = self.build_list.current
        if current is None or current.build_id is None:
            self.build_list.move_to_script(Path(build.script))
            self._show_build(build)

    def _log_grew(self, build: BuildView, item: object) -> None:
        if build is not self.build:
            return
        following_job = self.log_target == "job" and getattr(item, "job", None) == self.job
        if isinstance(item, JobStateChanged) and following_job:
            self._follow_log()
            return
        following_build = self.log_target == "build" and isinstance(item, BuildPrinted | BuildNoted)
        if following_build or (isinstance(item, JobLogged) and following_job):
            self.log_view.poll()

    # Selection

    @on(BuildSelected)
    def _build_selected(self, message: BuildSelected) -> None:
        if message.build_id is None:
            self._show_build(None)
            return
        build = self.board.builds.get(message.build_id)
        if build is not None:
            self._show_build(build)

    @on(JobSelected)
    def _job_selected(self, message: JobSelected) -> None:
        if self.build is None or message.build_id != self.build.id:
            return
        if message.job != self.job:
            self.job = message.job
            if self.log_target == "job":
                self._follow_log()
            self.update_titles()

    @on(JobOpened)
    def _job_opened(self, message: JobOpened) -> None:
        from brigtui.screens.job_detail import JobDetailScreen

        self.app.push_screen(JobDetailScreen(message.build_id, message.job))

    def _show_build(self, build: BuildView | None) -> None:
        changed = build is not self.build
        self.build = build
        self.graph.show(build)
        if changed:
            self.job = self.graph.selected if build is not None else None
            self._follow_log()
        self.update_titles()

    def _follow_log(self) -> None:
        build = self.build
        if build is None:
            self.log_view.follow(None, placeholder="no build yet: save a file, or press r")
            return
        self._find_log(build.id, self.job if self.log_target == "job" else None)

    @work(thread=True, group="find-log", exit_on_error=False)
    def _find_log(self, build_id: str, job: str | None) -> None:
        store = self.brig.engine.store
        path: str | None
        if job is None:
            record = store.get_build(build_id, with_jobs=False)
            path = record.log_path if record else None
            title = "build log"
        else:
            job_record = store.get_job(build_id, job)
            path = job_record.log_path if job_record else None
            title = f"log of job {job}"
        placeholder = f"job {job} has not started" if job else "no build log"
        self.app.call_from_thread(self._found_log, build_id, job,
                                  Path(path) if path else None, title, placeholder)

    def _found_log(self, build_id: str, job: str | None, path: Path | None, title: str,
                   placeholder: str) -> None:
        if self.build is None or self.build.id != build_id:
            return
        expected_job = self.job if self.log_target == "job" else None
        if job != expected_job:
            return
        self.log_view.follow(path, title, placeholder)
        self.update_titles()

    def update_titles(self) -> None:
        """Write the graph's and the log's title lines from the current selection."""
        build = self.build
        graph_title = self.query_one("#graph-title", Static)
        log_title = self.query_one("#log-title", Static)

        # Titles stay one line high whatever their text, so they skip the layout pass. A layout
        # pass renders the whole screen, which slowed key presses during log floods.
        if build is None:
            graph_title.update(Text("no build selected", style="dim"), layout=False)
            log_title.update(Text("log", style="dim"), layout=False)
            return
        graph_title.update(Text.assemble(
            (f"{glyph(build.status)} {build.status} ", "bold"),
            f"{Path(build.script).name} [{build.event}] {format_duration(build.duration())} ",
            (f"· {build.trigger} · {build.id}", "dim"),
        ), layout=False)
        if self.log_target == "build" or self.job is None:
            heading = "build log (l: job log)"
        else:
            heading = f"log of job {self.job} (l: build log)"
        if self.log_view.search_term is not None:
            heading += f" · search {self.log_view.search_term!r}"
        log_title.update(Text(heading, style="bold"), layout=False)

    def _show_errors(self) -> None:
        errors = self.query_one("#errors", Static)
        if not self.script_errors:
            errors.display = False
            return
        text = Text()
        for script, error in sorted(self.script_errors.items()):
            where = f"{self.build_list.script_name(script)}, line {error.line}" if error.line \
                else self.build_list.script_name(script)
            if text:
                text.append("\n")
            text.append("✗ ", "red bold")
            text.append(f"{where}: {error.message}")
        text.append("  (fix and save: the watch goes on)", "dim")
        errors.update(text)
        errors.display = True

    def _tick(self) -> None:
        running = {b.id for b in self.board.builds.values() if b.finished is None}
        if running:
            self.build_list.refresh_builds(running)
        if self.build is not None and self.build.finished is None:
            self.graph.update_graph(force=True)
            self.update_titles()

    # Actions

    def _selected_script(self) -> Path | None:
        current = self.build_list.current
        if current is not None:
            return current.script
        return Path(self.build.script) if self.build is not None else None

    def action_rerun(self) -> None:
        script = self._selected_script()
        if script is None:
            self.notify("No script selected.", severity="warning")
            return
        event = self.build.event if self.build and Path(self.build.script) == script else None
        self.brig.request_rerun(script, "manual", event)

    def action_cancel(self) -> None:
        engine = self.brig.engine
        target = self.build.id if self.build and self.build.id in engine.running else None
        if target is None and engine.running:
            target = sorted(engine.running)[-1]
        if target is None:
            self.notify("No build is running.", severity="warning")
            return
        engine.cancel_build(target)
        self.notify(f"Cancelling build {target}.")

    def action_logs(self) -> None:
        self.log_target = "build" if self.log_target == "job" else "job"
        self._follow_log()
        self.update_titles()
        self.log_view.focus()

    def action_run_dialog(self) -> None:
        from brigtui.screens.run_dialog import RunDialog, RunRequest

        def run(request: RunRequest | None) -> None:
            if request is not None:
                self.brig.start_manual_build(request.script, request.event, request.payload)

        scripts = self.build_list.scripts
        self.app.push_screen(RunDialog(scripts, self._selected_script(), self.brig.folder), run)

    def action_search(self) -> None:
        self._search_scope = "list" if self.build_list.has_focus else "log"
        search = self.query_one("#search", Input)
        search.placeholder = ("filter scripts" if self._search_scope == "list"
                              else "search the log") + " (Enter, Esc to leave)"
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        term = event.value.strip()
        if self._search_scope == "list":
            self.build_list.set_filter(term)
            self.build_list.focus()
        elif term:
            self.log_view.search(term)
            self.log_view.focus()
        self.update_titles()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.display or self.log_view.search_term is not None or self.build_list.filter:
            search.value = ""
            search.display = False
            self.log_view.clear_search()
            if self.build_list.filter:
                self.build_list.set_filter("")
            self.update_titles()
        self.build_list.focus()

    def action_toggle_auto(self) -> None:
        self.brig.toggle_auto_rerun()

    def action_run_pending(self) -> None:
        self.brig.run_pending()

    def action_open(self) -> None:
        if self.build is not None and self.job is not None:
            self.post_message(JobOpened(self.build.id, self.job))

    def action_open_screen(self, name: str) -> None:
        self.app.push_screen(screen_entry(name).factory(self))
