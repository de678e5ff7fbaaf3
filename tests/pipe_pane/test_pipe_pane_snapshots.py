"""Snapshots of the pipe pane at 80x24: a move in progress, and a value refused for env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from brigtui.engine.engine import Engine
from brigtui.engine.executors.base import JobSpec
from brigtui.pipe_pane_model import Progress, SourceChoice
from tests.pipe_pane.support import PaneApp

BUILD = "20261204-120000-abcd"
RUN = "20261204-120500-ef01"
TARGET = JobSpec("two", "alpine:3.19", ['grep "rhino" <<< "$DATA"'], {"DATA": ""}, False, None,
                 None, "IfNotPresent", False, None, {}, {}, {}, False)


async def moving(pilot: Pilot[Any]) -> None:
    """Show a 100 MiB share file 45% read by job two's build."""
    app = pilot.app
    assert isinstance(app, PaneApp)
    state = app.pane.state
    state.choice = SourceChoice(BUILD, share_path="big.bin", size=100 * 1024 * 1024)
    state.source_preview = "id,name,kind\n1,black rhino,mammal\n2,red fox,mammal"
    state.filter_command = "grep rhino"
    state.filter_status = "none"
    state.set_target(app.folder / "pass_output.py", TARGET)
    state.set_how("stdin")
    state.run_status = "running"
    state.run_build = RUN
    state.progress = Progress("delivering", 45 * 1024 * 1024, 100 * 1024 * 1024)
    state.job_states = {"two": "running"}
    app.pane.render_state()
    await pilot.pause()


async def refused(pilot: Pilot[Any]) -> None:
    """Show a 300 KiB output refused for the env variable DATA, with stdin offered."""
    app = pilot.app
    assert isinstance(app, PaneApp)
    state = app.pane.state
    state.choice = SourceChoice(BUILD, job="big", size=300 * 1024)
    state.source_preview = "x" * 200
    state.set_target(app.folder / "pass_output.py", TARGET)
    state.offer_stdin = True
    state.message = ("✗ 300.0 KiB is too large for an environment variable on the local executor "
                     "(at most 128.0 KiB); send it as standard input or as a file in the share")
    app.pane.render_state()
    await pilot.pause()


class TestPipePaneSnapshots:
    """The pane's look at 80x24, in fixed states (no build ids or times that change)."""

    def test_move_in_progress(self, snap_compare: Any, engine: Engine, pipelines: Path) -> None:
        """Steps with glyphs, a filter not yet run, and the read progress bar."""
        assert snap_compare(PaneApp(engine, pipelines), terminal_size=(80, 24), run_before=moving)

    def test_env_refused_offers_stdin(self, snap_compare: Any, engine: Engine, pipelines: Path) -> None:
        """The refusal's reason and the offer of standard input, before anything runs."""
        assert snap_compare(PaneApp(engine, pipelines), terminal_size=(80, 24), run_before=refused)
