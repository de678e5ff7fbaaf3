"""A full-screen timeline of one build, opened from the history or the dashboard."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer

from brigtui.build_compare import usual_durations
from brigtui.engine.store import BuildRecord, Store
from brigtui.screens.key_commands import ScreenKeyCommands
from brigtui.widgets.build_model import BuildView
from brigtui.widgets.timeline import Timeline, timeline_from_record, timeline_from_view

if TYPE_CHECKING:
    from brigtui.screens.dashboard import DashboardScreen

logger = logging.getLogger(__name__)

RELOAD_SECONDS = 1.0
"""How often the record of a build that still runs is read again."""


class TimelineScreen(Screen[None]):
    """The timeline of a recorded build, which follows the build while it runs.

    With `view` (a build the dashboard follows), the bars come from the in-memory view and
    grow without reading the store. The store then only provides the usual durations.
    """

    DEFAULT_CSS = """
    TimelineScreen #timeline-scroll { height: 1fr; }
    """

    COMMANDS = {ScreenKeyCommands}
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="Esc"),
        Binding("q", "app.pop_screen", "Back", show=False),
    ]

    def __init__(self, store: Store, build_id: str | None, view: BuildView | None = None) -> None:
        super().__init__()
        self.store = store
        self.build_id = build_id
        self.view = view
        self.usual: dict[str, float] = {}
        self.finished = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="timeline-scroll"):
            yield Timeline(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#timeline-scroll").focus()
        if self.build_id is None:
            self.finished = True
            self.timeline.show(None)
            return
        self.load()
        self.set_interval(RELOAD_SECONDS, self._reload_if_running)

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    def _reload_if_running(self) -> None:
        if not self.finished and self.view is None:
            self.load(with_usual=False)

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def load(self, with_usual: bool = True) -> None:
        """Read the build (and, the first time, the usual durations of its jobs)."""
        assert self.build_id is not None
        record = self.store.get_build(self.build_id)
        usual = usual_durations(self.store, record) if record and with_usual else None
        self.app.call_from_thread(self._loaded, record, usual)

    def _loaded(self, record: BuildRecord | None, usual: dict[str, float] | None) -> None:
        if usual is not None:
            self.usual = usual
        if record is None:
            self.finished = True
            self.notify(f"Build {self.build_id} is not recorded (gc may have removed it).",
                        severity="error")
            return
        self.finished = record.finished_at is not None
        view = self.view
        if view is not None:
            self.timeline.follow(lambda: timeline_from_view(view, self.usual))
        else:
            self.timeline.show(timeline_from_record(record, self.usual))


def timeline_from_dashboard(dashboard: DashboardScreen) -> TimelineScreen:
    """Open the timeline of the dashboard's selected build, drawn from its live view."""
    build = dashboard.build
    return TimelineScreen(dashboard.brig.engine.store, build.id if build else None, view=build)
