"""Everything about one job: image, tasks, environment, exit code, times, why it failed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from brigtui.engine.model import format_size
from brigtui.engine.store import JobRecord
from brigtui.widgets.build_model import format_duration, glyph
from brigtui.widgets.log_view import LogView

if TYPE_CHECKING:
    from brigtui.app import BrigtuiApp


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def describe_job(job: JobRecord) -> Table:
    """Return the job's fields as a two-column table (secret values are masked in the store)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    spec = job.spec
    table.add_row("status", f"{glyph(job.status)} {job.status}")
    table.add_row("image", job.image + (" (uses the share)" if job.uses_share else ""))
    if job.exit_code is not None:
        table.add_row("exit code", str(job.exit_code))
    if job.error:
        table.add_row("why", Text(job.error, style="red"))
    table.add_row("created", job.created_at)
    table.add_row("started", job.started_at or "not yet")
    table.add_row("finished", job.finished_at or "not yet")
    duration = _seconds_between(job.started_at, job.finished_at)
    if duration is not None:
        table.add_row("duration", format_duration(duration))
    if job.output_size is not None:
        table.add_row("output", format_size(job.output_size))
    tasks = spec.get("tasks") or []
    table.add_row("tasks", "\n".join(f"$ {task}" for task in tasks) or "none")
    env = spec.get("env") or {}
    table.add_row("env", "\n".join(f"{k}={_short(v)}" for k, v in sorted(env.items())) or "none")
    for key in ("shell", "timeout", "privileged", "service_account"):
        if spec.get(key) not in (None, False, ""):
            table.add_row(key.replace("_", " "), str(spec[key]))
    if job.reused_from:
        table.add_row("reused from", job.reused_from)
    return table


def _short(value: object, limit: int = 200) -> str:
    text = str(value).replace("\n", "⏎")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value))} characters)"


class JobDetailScreen(Screen[None]):
    """The job's record above its log; Esc goes back."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="Esc"),
        Binding("backspace", "app.pop_screen", "Back", show=False),
        Binding("slash", "search", "Search log", key_display="/"),
    ]

    def __init__(self, build_id: str, job: str) -> None:
        super().__init__()
        self.build_id = build_id
        self.job = job
        self.job_finished = False
        self.record: JobRecord | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"job {self.job} of build {self.build_id}", classes="title")
        with VerticalScroll(id="detail"):
            yield Static("loading…", id="fields")
        yield Static("log", classes="title")
        yield LogView(id="detail-log")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self._timer = self.set_interval(1.0, self._refresh_running)

    def _refresh_running(self) -> None:
        """Follow a running job: new log lines now, its record until it finishes."""
        self.query_one(LogView).poll()
        if self.job_finished:
            self._timer.stop()
        else:
            self.load()

    @work(thread=True, exit_on_error=False)
    def load(self) -> None:
        record = cast("BrigtuiApp", self.app).engine.store.get_job(self.build_id, self.job)
        self.app.call_from_thread(self._show, record)

    def _show(self, record: JobRecord | None) -> None:
        fields = self.query_one("#fields", Static)
        if record is None:
            fields.update(f"job {self.job} of build {self.build_id} is not recorded")
            return
        self.record = record
        fields.update(describe_job(record))
        self.job_finished = record.finished_at is not None
        log = self.query_one(LogView)
        log.follow(Path(record.log_path) if record.log_path else None,
                   placeholder="the job has not started")

    def action_search(self) -> None:
        # The dashboard's search bar covers the common case; here the log scrolls to matches.
        self.app.push_screen(_SearchPrompt(), self._search)

    def _search(self, term: str | None) -> None:
        log = self.query_one(LogView)
        if term:
            log.search(term)
        else:
            log.clear_search()


class _SearchPrompt(ModalScreen[str | None]):
    """A one-line prompt for a search term."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        from textual.widgets import Input

        yield Input(placeholder="search the job's log; Enter searches, Esc cancels")

    def on_input_submitted(self, event: object) -> None:
        from textual.widgets import Input

        self.dismiss(self.query_one(Input).value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
