"""Snapshots of the dashboard at the sizes people use: 80x24 over SSH, 120x40 locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from brigtui.app import BrigtuiApp
from brigtui.engine.messages import (
    BuildFinished,
    BuildStarted,
    HandoverRecorded,
    JobCreated,
    JobStateChanged,
)
from brigtui.tui_messages import EngineReported
from brigtui.widgets.build_list import BuildList
from tests.tui.conftest import PIPE_SCRIPT

BUILD = "20261204-120000-abcd"


async def show_finished_build(pilot: Pilot[Any]) -> None:
    """Wait for the script list, then feed one finished build with fixed times."""
    app = pilot.app
    assert isinstance(app, BrigtuiApp)
    while not app.dashboard.query_one(BuildList).scripts:
        await pilot.pause()
    script = str(app.folder / PIPE_SCRIPT)
    app.dashboard.post_message(EngineReported([
        BuildStarted(BUILD, script, "exec", f"changed: {PIPE_SCRIPT}", "local"),
        JobCreated(BUILD, "one", "alpine:3.19", False, 1),
        JobCreated(BUILD, "two", "alpine:3.19", False, 2),
        JobStateChanged(BUILD, "one", "running"),
        JobStateChanged(BUILD, "one", "succeeded", 0),
        JobStateChanged(BUILD, "two", "running"),
        HandoverRecorded(BUILD, BUILD, "one", "two", "env", 17),
        JobStateChanged(BUILD, "two", "failed", 1, "job 'two' failed with exit code 1"),
        BuildFinished(BUILD, "failed", "job 'two' failed with exit code 1"),
    ]))
    await pilot.pause()

    # Freeze the times, so durations read the same in every run.
    build = app.dashboard.board.builds[BUILD]
    build.started, build.finished = 100.0, 102.5
    for number, job in enumerate(build.jobs.values()):
        job.started, job.finished = 100.0 + number, 101.25 + number
    build.version += 1
    app.dashboard.build_list.refresh_builds({BUILD})
    app.dashboard.graph.update_graph(force=True)
    app.dashboard.update_titles()
    await pilot.pause()


class TestDashboardSnapshots:
    """The dashboard with the example scripts and one failed build."""

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)])
    def test_dashboard(self, snap_compare: Any, tui_pipelines: Path,
                       size: tuple[int, int]) -> None:
        """Scripts, the build's graph (one succeeded, two failed) and the status line."""
        app = BrigtuiApp(tui_pipelines, watch=False)
        assert snap_compare(app, terminal_size=size, run_before=show_finished_build)
        app.engine.close()

    def test_help_80x24(self, snap_compare: Any, tui_pipelines: Path) -> None:
        """Help lists keys, glyphs and edge kinds, and fits 80x24."""
        app = BrigtuiApp(tui_pipelines, watch=False)

        async def open_help(pilot: Pilot[Any]) -> None:
            await show_finished_build(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=open_help)
        app.engine.close()
