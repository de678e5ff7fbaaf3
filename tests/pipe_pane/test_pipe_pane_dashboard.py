"""The pipe pane opened from the real app's dashboard, on the selected build and job."""

from __future__ import annotations

from pathlib import Path

from brigtui.app import BrigtuiApp
from brigtui.engine.engine import BuildRequest
from brigtui.screens.pipe_pane import PipePaneScreen, pane_for_dashboard
from tests.pipe_pane.support import PaneMessages, line


async def test_dashboard_selection_opens_pane(pipelines: Path, pane_messages: PaneMessages) -> None:
    app = BrigtuiApp(pipelines, watch=False)
    try:
        async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
            outcome = await app.engine.run_build(BuildRequest(pipelines / "pass_output.py"))
            dashboard = app.dashboard
            await pane_messages.wait_for(
                lambda: dashboard.build is not None and dashboard.build.id == outcome.build_id
                and dashboard.job is not None)

            # Pushed from the app's own task, as a key binding does, so the hook gets its messages.
            pane = pane_for_dashboard(dashboard)
            app.call_later(app.push_screen, pane)
            await pane_messages.wait_for(pane_messages.sources)
            await pilot.pause()
            assert isinstance(app.screen, PipePaneScreen)
            assert f"✓ build {outcome.build_id} job {dashboard.job}" in line(pane, "source-line")

            # Esc goes back to the dashboard.
            await pilot.press("escape")
            assert app.screen is dashboard
    finally:
        app.engine.close()
