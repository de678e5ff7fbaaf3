"""The history screens driven by keys, at 80x24 with NO_COLOR, on real builds."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, RichLog, Static

from brigtui.app import BrigtuiApp
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.store import BuildRecord, Store
from brigtui.screens import registry
from brigtui.screens.compare import CompareScreen
from brigtui.screens.history import HistoryScreen, history_from_dashboard
from brigtui.screens.job_detail import JobDetailScreen
from brigtui.screens.recorded_build import RecordedBuildScreen
from brigtui.screens.rerun import RerunDialog
from brigtui.screens.timeline import TimelineScreen, timeline_from_dashboard
from brigtui.widgets.build_model import BuildBoard
from brigtui.widgets.history_table import HistoryTable
from brigtui.widgets.job_graph import JobGraph
from brigtui.widgets.log_view import LogView
from brigtui.widgets.timeline import Timeline
from tests.history.conftest import HistoryApp, run_script
from tests.history.synthetic import fill_store
from tests.support import write_script

SIZE = (80, 24)


async def until(pilot: Pilot[Any], predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` seconds."""
    async def poll() -> None:
        while not predicate():
            await pilot.pause(0.05)

    await asyncio.wait_for(poll(), timeout)


def history(app: HistoryApp) -> HistoryScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, HistoryScreen)
    return screen


async def opened(pilot: Pilot[Any]) -> HistoryScreen:
    app = pilot.app
    assert isinstance(app, HistoryApp)
    await until(pilot, lambda: len(app.screen_stack) > 1 and history(app).loaded)
    await pilot.pause()
    return history(app)


def shown_ids(screen: HistoryScreen) -> list[str]:
    return [row.id for row in screen.query_one(HistoryTable).rows]


def finished(store: Store, build_id: str) -> BuildRecord | None:
    record = store.get_build(build_id)
    return record if record is not None and record.finished_at is not None else None


async def test_history_lists_builds_newest_first(engine: Engine, marks: Path) -> None:
    first = await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    second = await run_script(engine, "shared.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        assert shown_ids(screen) == [second, first]
        title = str(screen.query_one("#history-title", Static).render())
        assert "2 of 2 builds" in title
        # Esc on an unfiltered history closes it.
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]


async def test_history_filters_by_text_and_keys(engine: Engine, marks: Path) -> None:
    failed = await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    shared = await run_script(engine, "shared.py")
    good = await run_script(engine, "chain.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)

        # `/` opens the filter; typing filters as it goes; Enter returns to the table.
        await pilot.press("slash", *"status:failed")
        assert shown_ids(screen) == [failed]
        await pilot.press("enter")
        assert screen.query_one(HistoryTable).has_focus

        # Esc clears the filter.
        await pilot.press("escape")
        assert shown_ids(screen) == [good, shared, failed]

        # s steps through the statuses that occur, p through the scripts.
        await pilot.press("s")
        assert screen.filter.statuses == frozenset({"succeeded"})
        assert shown_ids(screen) == [good, shared]
        await pilot.press("p")
        assert screen.filter.script == "chain.py"
        assert shown_ids(screen) == [good]
        assert screen.query_one("#history-filter", Input).value == "status:succeeded script:chain.py"

        # Job names are searchable text.
        await pilot.press("escape", "slash", *"reader")
        assert shown_ids(screen) == [shared]


async def test_history_bad_filter_says_why(engine: Engine) -> None:
    build_id = await run_script(engine, "chain.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await pilot.press("slash")
        screen.query_one("#history-filter", Input).value = "status:bad"
        await pilot.pause()
        title = str(screen.query_one("#history-title", Static).render())
        assert "unknown status 'bad'" in title
        assert shown_ids(screen) == [build_id]


async def test_open_build_shows_graph_and_logs(engine: Engine) -> None:
    build_id = await run_script(engine, "chain.py")
    record = engine.store.get_build(build_id)
    assert record is not None
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, RecordedBuildScreen)
        await until(pilot, lambda: screen.record is not None)
        graph = screen.query_one(JobGraph)
        assert graph.build is not None
        assert {name: job.status for name, job in graph.build.jobs.items()} == {
            "one": "succeeded", "two": "failed"}
        summary = str(screen.query_one("#record-summary", Static).render())
        assert "✗ failed" in summary
        assert "share: no job used a share" in summary

        # The log follows the job under the cursor; l switches to the build's own log.
        log = screen.query_one(LogView)
        assert log.path == Path(record.jobs[0].log_path or "")
        # The board infers the ordering edge from times, so job two sits either right of
        # job one or below it: move the cursor whichever way reaches it.
        graph = screen.query_one(JobGraph)
        same_column = graph.layout_result.position["two"][0] == graph.layout_result.position["one"][0]
        await pilot.press("down" if same_column else "right")
        await until(pilot, lambda: screen.job == "two")
        assert log.path == Path(record.jobs[1].log_path or "")
        await pilot.press("l")
        await pilot.pause()
        assert log.path == Path(record.log_path or "")


async def test_resume_reuses_succeeded_job(engine: Engine, marks: Path) -> None:
    failed = await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RerunDialog))
        text = str(app.screen.query_one("#rerun-text", Static).render())
        assert f"Resume build {failed}" in text
        assert "reused (not run again): one" in text
        await pilot.press("enter")

        # The new build opens; once it ends, job one was reused and not run again.
        await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen))
        screen = app.screen
        assert isinstance(screen, RecordedBuildScreen)
        await until(pilot, lambda: finished(engine.store, screen.build_id))
        record = finished(engine.store, screen.build_id)
        assert record is not None
        assert record.rerun_of == failed
        assert record.status == "succeeded"
        assert {job.name: job.status for job in record.jobs} == {"one": "reused",
                                                                 "two": "succeeded"}
        assert (marks / "runs-of-one").read_text().count("counted") == 1
        await until(pilot, lambda: screen.record is not None and screen.record.finished_at)
        graph = screen.query_one(JobGraph)
        assert graph.build is not None
        assert graph.build.jobs["one"].status == "reused"
        summary = str(screen.query_one("#record-summary", Static).render())
        assert f"jobs reused from {failed}" in summary


async def test_resume_without_share_runs_writer(engine: Engine, marks: Path) -> None:
    failed = await run_script(engine, "shared.py")
    record = engine.store.get_build(failed)
    assert record is not None
    shutil.rmtree(record.share_path or "")
    (marks / "pass.flag").touch()
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, RerunDialog))
        text = str(app.screen.query_one("#rerun-text", Static).render())
        assert "run again because the build's share is gone: writer" in text
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen))
        screen = app.screen
        assert isinstance(screen, RecordedBuildScreen)
        await until(pilot, lambda: finished(engine.store, screen.build_id))
        resumed = finished(engine.store, screen.build_id)
        assert resumed is not None
        assert resumed.status == "succeeded"
        assert {job.name: job.status for job in resumed.jobs} == {"writer": "succeeded",
                                                                  "reader": "succeeded"}
        assert (marks / "runs-of-writer").read_text().count("counted") == 2


async def test_rerun_snapshot_or_current_files(engine: Engine, folder: Path) -> None:
    original = await run_script(engine, "chain.py")
    write_script(folder, "chain.py", """
        @events.on("exec")
        async def exec_handler(event, project):
            await Job("edited", "alpine:3.19", ["true"]).run()
    """)
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)

        async def rerun(*keys: str) -> BuildRecord:
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, RerunDialog))
            await pilot.press(*keys, "enter")
            await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen))
            screen = app.screen
            assert isinstance(screen, RecordedBuildScreen)
            await until(pilot, lambda: finished(engine.store, screen.build_id))
            record = finished(engine.store, screen.build_id)
            assert record is not None
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            # The reloaded list shows the new build, and the cursor stays on the original.
            await until(pilot, lambda: record.id in shown_ids(history(app)))
            assert history(app).selected_build_id() == original
            return record

        snapshot = await rerun()
        assert snapshot.rerun_of == original
        assert [job.name for job in snapshot.jobs] == ["one", "two"]

        # f switches the dialog to the current files.
        current = await rerun("f")
        assert current.rerun_of == original
        assert [job.name for job in current.jobs] == ["edited"]


async def test_compare_lists_changes_and_diff(engine: Engine, marks: Path) -> None:
    failed = await run_script(engine, "shared.py")
    (marks / "pass.flag").write_text("the flag is here\n")
    good = await run_script(engine, "shared.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await until(pilot, lambda: screen.comparison is not None)
        assert screen.comparison is not None
        assert (screen.comparison.old.id, screen.comparison.new.id) == (failed, good)
        jobs = screen.query_one(OptionList)
        lines = [str(jobs.get_option_at_index(i).prompt) for i in range(jobs.option_count)]
        assert lines[1].startswith("* reader")
        assert "state changed" in lines[1]
        assert not lines[0].startswith("*")

        # The first changed job's logs are diffed: the failed run could not read the flag.
        diff = screen.query_one(RichLog)
        await until(pilot, lambda: screen.diff_job == "reader" and diff.lines)
        texts = [line.text for line in diff.lines]
        assert "+the flag is here" in texts
        assert any(text.startswith("-cat:") for text in texts)
        assert " rhino" in texts
        await pilot.press("n")
        await until(pilot, lambda: screen.comparison is not None)
        assert screen.other_id == failed


async def test_timeline_opens_from_history(engine: Engine) -> None:
    build_id = await run_script(engine, "chain.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: timeline.data is not None)
        assert timeline.data is not None
        assert build_id in timeline.data.title
        assert [job.status for job in timeline.data.jobs] == ["succeeded", "failed"]


async def test_timeline_follows_running_build(engine: Engine, folder: Path) -> None:
    write_script(folder, "slow.py", """
        @events.on("exec")
        async def exec_handler(event, project):
            await Job("quick", "alpine:3.19", ["true"]).run()
            await Job("nap", "alpine:3.19", ["sleep 60"]).run()
    """)
    runner = engine.start_build(BuildRequest(folder / "slow.py"))
    app = HistoryApp(engine, lambda e: TimelineScreen(e.store, runner.id))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.screen_stack) > 1)
        timeline = app.screen.query_one(Timeline)

        def nap_state() -> str | None:
            data = timeline.data
            return next((job.status for job in data.jobs if job.name == "nap"), None) \
                if data else None

        # The screen reads the record again while the build runs, so the nap job appears.
        await until(pilot, lambda: nap_state() == "running")
        assert timeline.running
        engine.cancel_build(runner.id)
        await until(pilot, lambda: nap_state() == "cancelled")
        assert not timeline.running


async def test_ten_thousand_builds_open_and_filter(engine: Engine) -> None:
    fill_store(engine.store, engine.folder, 10_000)
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        assert len(shown_ids(screen)) == 10_000
        await pilot.press("end")
        assert screen.query_one(HistoryTable).cursor == 9_999
        await pilot.press("slash", *"status:interrupted script:nightly")
        expected = [b.id for b in engine.store.list_builds(status="interrupted")
                    if b.script.endswith("nightly.py")]
        assert shown_ids(screen) == expected
        assert expected


async def test_palette_reaches_screen_actions(engine: Engine) -> None:
    build_id = await run_script(engine, "chain.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"resume")
        commands = app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.option_count > 0)
        assert "Resume (R)" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, RerunDialog))
        dialog = app.screen
        assert isinstance(dialog, RerunDialog)
        assert dialog.build.id == build_id
        assert dialog.preview is not None
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_timeline_follows_dashboard_view(engine: Engine, folder: Path) -> None:
    """From the dashboard, the timeline draws the live view the engine messages feed."""

    write_script(folder, "slow.py", """
        @events.on("exec")
        async def exec_handler(event, project):
            await Job("nap", "alpine:3.19", ["sleep 60"]).run()
    """)
    board = BuildBoard()
    engine.subscribe(board.apply)
    runner = engine.start_build(BuildRequest(folder / "slow.py"))
    view = board.builds[runner.id]
    app = HistoryApp(engine, lambda e: TimelineScreen(e.store, runner.id, view=view))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.screen_stack) > 1)
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: timeline.data is not None and any(
            job.status == "running" for job in timeline.data.jobs))
        assert timeline.source is not None
        engine.cancel_build(runner.id)
        await until(pilot, lambda: timeline.data is not None and not timeline.running)
        assert timeline.data is not None
        assert [job.status for job in timeline.data.jobs] == ["cancelled"]


async def test_timeline_without_build(engine: Engine) -> None:
    app = HistoryApp(engine, lambda e: TimelineScreen(e.store, None))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.screen_stack) > 1)
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.data is None
        assert "no build selected" in str(timeline.render())


async def test_screens_open_from_real_app(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry entries the app needs: h opens the history, t the selected timeline."""

    monkeypatch.setattr(registry, "SCREENS", [
        *registry.SCREENS,
        registry.ScreenEntry("h", "history", "History", "Every recorded build",
                             history_from_dashboard),
        registry.ScreenEntry("t", "timeline", "Timeline", "The build's jobs on a time axis",
                             timeline_from_dashboard),
    ])
    app = BrigtuiApp(folder, watch=False)
    build_id = await run_script(app.engine, "chain.py")
    async with app.run_test(size=SIZE) as pilot:
        await app.dashboard.run_action("open_screen('history')")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.loaded)
        assert isinstance(app.screen, HistoryScreen)
        assert shown_ids(app.screen) == [build_id]

        # Enter opens the build; Enter on a job opens the app's job detail screen.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen)
                    and app.screen.record is not None)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("escape", "escape", "escape")
        await until(pilot, lambda: app.screen is app.dashboard)

        await app.dashboard.run_action("open_screen('timeline')")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
    app.engine.close()


async def test_rerun_error_is_shown(engine: Engine, folder: Path) -> None:
    """A rerun the engine rejects leaves the history open and shows the reason."""
    await run_script(engine, "chain.py")
    (folder / "chain.py").unlink()
    messages: list[str] = []
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        app.notify = lambda message, **_: messages.append(str(message))  # type: ignore[method-assign]
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RerunDialog))
        await pilot.press("f", "enter")
        await until(pilot, lambda: messages)
        assert app.screen is screen
        assert "no longer exists" in messages[0]
        assert len(engine.store.list_builds()) == 1


async def test_small_terminal_keeps_working(engine: Engine) -> None:
    """At 40x10 every screen still opens and the timeline rows fit the width."""
    build_id = await run_script(engine, "chain.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=(40, 10)) as pilot:
        screen = await opened(pilot)
        assert shown_ids(screen) == [build_id]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: timeline.data is not None)
        rows = str(timeline.render()).splitlines()[2:4]
        assert rows[0].startswith("✓ one")
        assert all(len(row) <= 40 for row in rows)
        await pilot.press("escape", "d")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, HistoryScreen)


async def test_open_build_then_its_share(engine: Engine) -> None:
    from brigtui.screens.share_inspector import ShareInspectorScreen

    build_id = await run_script(engine, "shared.py")
    app = HistoryApp(engine, HistoryScreen)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordedBuildScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareInspectorScreen))
        screen = app.screen
        assert isinstance(screen, ShareInspectorScreen)
        assert screen.build_id == build_id
