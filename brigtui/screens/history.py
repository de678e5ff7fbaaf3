"""Every recorded build, newest first, with filters; Enter opens one as it ran.

Filters: `/` takes text such as `status:failed script:deploy event:push timeout`, and
s, p and e step through the statuses, scripts and events that occur. The rows come from
one light query in a thread, and filtering runs in memory.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from brigtui.engine.engine import Engine
from brigtui.history_query import (
    ACTIVE_STATUSES,
    STATUSES,
    HistoryFilter,
    HistoryRow,
    cycle_value,
    distinct,
    filter_rows,
    history_version,
    load_rows,
    parse_filter,
)
from brigtui.screens.rerun import ACTION_BINDINGS, BuildActions
from brigtui.widgets.history_table import HistoryTable, header_text

if TYPE_CHECKING:
    from brigtui.screens.dashboard import DashboardScreen

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 2.0
"""How often the list is read again while a listed build is still running."""


class HistoryScreen(BuildActions):
    """The build history of the pipelines folder's store."""

    DEFAULT_CSS = """
    HistoryScreen .title { height: 1; background: $boost; text-wrap: nowrap; }
    HistoryScreen #history-header { height: 1; text-wrap: nowrap; }
    HistoryScreen #history-table { height: 1fr; scrollbar-size: 1 1; }
    HistoryScreen #history-filter { height: 1; border: none; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", key_display="Esc", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "cycle('status')", "Status"),
        Binding("p", "cycle('script')", "Script", show=False),
        Binding("e", "cycle('event')", "Event", show=False),
        *ACTION_BINDINGS,
    ]

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.rows: list[HistoryRow] = []
        self.filtered_rows: list[HistoryRow] = []
        self.filter = HistoryFilter()
        self.filter_error: str | None = None
        self.loaded = False
        self.version: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("reading the build history…", id="history-title", classes="title")
        yield Static(header_text(), id="history-header")
        yield HistoryTable(id="history-table")
        yield Input(placeholder="status:failed script:NAME event:NAME words · s p e step "
                                "status, script, event", id="history-filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history-filter", Input).display = False
        self.table.focus()
        self.load()
        self.set_interval(RELOAD_SECONDS, self._reload_if_running)

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.load(only_if_changed=True)

    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    def selected_build_id(self) -> str | None:
        row = self.table.current
        return row.id if row is not None else None

    # Loading

    @work(thread=True, exclusive=True, group="history-load", exit_on_error=False)
    def load(self, only_if_changed: bool = False) -> None:
        """Read every recorded build (one light query), off the event loop.

        With `only_if_changed`, first compare a cheap aggregate of the builds table with
        the one of the last load, and read the rows only when it differs.
        """
        database = self.engine.store.path
        version = history_version(database)
        if only_if_changed and version == self.version:
            return
        rows = load_rows(database, self.engine.folder)
        self.app.call_from_thread(self._loaded, rows, version)

    def _loaded(self, rows: list[HistoryRow], version: tuple[object, ...]) -> None:
        self.rows = rows
        self.version = version
        self.loaded = True
        self.apply_filter()

    def _reload_if_running(self) -> None:
        if self.loaded and any(row.status in ACTIVE_STATUSES for row in self.rows):
            self.load(only_if_changed=True)

    # Filtering

    def apply_filter(self) -> None:
        keep = self.selected_build_id()
        self.filtered_rows = filter_rows(self.rows, self.filter)
        self.table.set_rows(self.filtered_rows, keep=keep)
        self._show_title()

    def _show_title(self) -> None:
        count = f"{len(self.filtered_rows)} of {len(self.rows)} builds"
        title = Text.assemble(("history ", "bold"), count)
        described = self.filter.describe()
        if described:
            title.append(f" · filter: {described}")
        if self.filter_error:
            title.append(f" · ✗ {self.filter_error}", "red")
        self.query_one("#history-title", Static).update(title)

    def set_filter(self, history_filter: HistoryFilter) -> None:
        self.filter = history_filter
        self.filter_error = None
        self.query_one("#history-filter", Input).value = history_filter.describe()
        self.apply_filter()

    def action_filter(self) -> None:
        field = self.query_one("#history-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#history-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        try:
            parsed = parse_filter(event.value)
        except ValueError as error:
            # Keep the last valid filter and show what is wrong with the text.
            self.filter_error = str(error)
            self._show_title()
            return
        self.filter = parsed
        self.filter_error = None
        self.apply_filter()

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_cycle(self, key: str) -> None:
        """Step the status, script or event filter to the next value that occurs."""
        current = self.filter
        if key == "status":
            present = [status for status in STATUSES if any(r.status == status for r in self.rows)]
            status = next(iter(current.statuses)) if len(current.statuses) == 1 else None
            following = cycle_value(present, status)
            self.set_filter(replace(current, statuses=frozenset({following} if following else ())))
        elif key == "script":
            following = cycle_value(distinct(self.rows, "script_label"), current.script)
            self.set_filter(replace(current, script=following))
        else:
            following = cycle_value(distinct(self.rows, "event"), current.event)
            self.set_filter(replace(current, event=following))
        self.notify(f"{key}: {following or 'all'}", timeout=2)

    def action_back(self) -> None:
        """Leave the filter field; else clear the filter; else close the history."""
        field = self.query_one("#history-filter", Input)
        if field.has_focus:
            field.display = bool(field.value)
            self.table.focus()
        elif self.filter != HistoryFilter() or self.filter_error:
            field.display = False
            self.set_filter(HistoryFilter())
        else:
            self.app.pop_screen()

    # Opening a build

    @on(HistoryTable.Chosen)
    def _build_chosen(self, message: HistoryTable.Chosen) -> None:
        from brigtui.screens.recorded_build import RecordedBuildScreen

        self.app.push_screen(RecordedBuildScreen(self.engine, message.row.id))


def history_from_dashboard(dashboard: DashboardScreen) -> HistoryScreen:
    """Open the history on the dashboard's engine (a factory for the key registry)."""
    return HistoryScreen(dashboard.brig.engine)
