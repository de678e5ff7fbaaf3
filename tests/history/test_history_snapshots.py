"""Snapshots of the history and the timeline at 80x24 with NO_COLOR, on fixed records."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from brigtui.engine.engine import Engine
from brigtui.screens.history import HistoryScreen
from brigtui.screens.timeline import TimelineScreen
from brigtui.widgets.timeline import Timeline
from tests.history.conftest import HistoryApp
from tests.history.synthetic import fill_store

BUILDS = 40


async def history_loaded(pilot: Pilot[Any]) -> None:
    while len(pilot.app.screen_stack) < 2 or not pilot.app.screen.loaded:  # type: ignore[attr-defined]
        await pilot.pause(0.05)
    await pilot.pause()


async def timeline_loaded(pilot: Pilot[Any]) -> None:
    while len(pilot.app.screen_stack) < 2 or pilot.app.screen.query_one(Timeline).data is None:
        await pilot.pause(0.05)
    await pilot.pause()


class TestHistorySnapshots:
    """The history list and a timeline of recorded builds."""

    def test_history_80x24(self, snap_compare: Any, engine: Engine) -> None:
        """Newest builds first, glyphs beside states, the keys in the footer."""
        fill_store(engine.store, engine.folder, BUILDS)
        app = HistoryApp(engine, HistoryScreen)
        assert snap_compare(app, terminal_size=(80, 24), run_before=history_loaded)

    def test_history_filtered_80x24(self, snap_compare: Any, engine: Engine) -> None:
        """A typed filter narrows the list and shows in the title."""
        fill_store(engine.store, engine.folder, BUILDS)
        app = HistoryApp(engine, HistoryScreen)

        async def filtered(pilot: Pilot[Any]) -> None:
            await history_loaded(pilot)
            await pilot.press("slash", *"status:failed deploy", "enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=filtered)

    def test_timeline_80x24(self, snap_compare: Any, engine: Engine) -> None:
        """Bars on one axis, the failed job's glyph, the slowest and slow marks."""
        fill_store(engine.store, engine.folder, BUILDS)
        failed = engine.store.list_builds(status="failed", limit=1)[0]
        app = HistoryApp(engine, lambda e: TimelineScreen(e.store, failed.id))
        assert snap_compare(app, terminal_size=(80, 24), run_before=timeline_loaded)
