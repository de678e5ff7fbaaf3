"""Pilot tests of the app on a copy of the example pipelines, driven by keys and file saves."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from brigtui.app import BrigtuiApp
from brigtui.engine.messages import BuildFinished, BuildStarted, JobStateChanged
from brigtui.screens.confirm_quit import ConfirmQuit
from brigtui.screens.dashboard import DashboardScreen
from brigtui.tui_messages import ScriptChecked, ScriptsScanned, WatchStateChanged
from brigtui.widgets.build_list import BuildList
from brigtui.widgets.job_graph import JobGraph
from tests.tui.conftest import PIPE_SCRIPT, ROOT_SCRIPTS, AppMessages, processes_running


def started(messages: AppMessages, script: str) -> list[BuildStarted]:
    return [m for m in messages.engine()
            if isinstance(m, BuildStarted) and Path(m.script).name == script]


def finished(messages: AppMessages) -> dict[str, str]:
    return {m.build_id: m.status for m in messages.engine() if isinstance(m, BuildFinished)}


def watching(messages: AppMessages) -> bool:
    return any(isinstance(m, WatchStateChanged) and m.state == "watching"
               for m in messages.messages)


def graph_text(app: BrigtuiApp) -> str:
    graph = app.dashboard.query_one(JobGraph)
    return "\n".join(graph.render_line(y).text for y in range(graph.size.height))


async def test_startup_lists_scripts(tui_pipelines: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(tui_pipelines)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(
            lambda: any(isinstance(m, ScriptsScanned) for m in app_messages.messages)
        )
        await pilot.pause()
        names = [app.dashboard.build_list.script_name(s) for s in app.dashboard.build_list.scripts]
        assert names == [*ROOT_SCRIPTS, "slow/slow.py"]
        assert isinstance(app.screen, DashboardScreen)


async def test_save_starts_build_graph_succeeds(
    tui_pipelines: Path, app_messages: AppMessages
) -> None:
    app = BrigtuiApp(tui_pipelines)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(lambda: watching(app_messages))

        # Save the script: one build starts, triggered by that file.
        script = tui_pipelines / PIPE_SCRIPT
        script.write_text(script.read_text() + "\n# saved\n")
        await app_messages.wait_for(lambda: finished(app_messages))
        builds = started(app_messages, PIPE_SCRIPT)
        assert len(builds) == 1
        assert builds[0].trigger == f"changed: {PIPE_SCRIPT}"
        assert finished(app_messages)[builds[0].build_id] == "succeeded"

        # The graph shows both jobs succeeded, with the hand-over between them.
        await pilot.pause()
        shown = app.dashboard.build
        assert shown is not None and shown.id == builds[0].build_id
        assert {name: job.status for name, job in shown.jobs.items()} == {
            "one": "succeeded", "two": "succeeded"}
        assert ("one", "two") in shown.data_edges
        text = graph_text(app)
        assert "✓ one" in text
        assert "✓ two" in text


async def test_syntax_error_shown_and_cleared(
    tui_pipelines: Path, app_messages: AppMessages
) -> None:
    app = BrigtuiApp(tui_pipelines)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(lambda: watching(app_messages))
        script = tui_pipelines / PIPE_SCRIPT
        good = script.read_text()

        # Break the script: the error names the file and line; its rerun fails to load it.
        script.write_text(good + "\n\ndef broken(:\n")
        line = len((good + "\n\n").splitlines()) + 1
        await app_messages.wait_for(lambda: any(
            isinstance(m, ScriptChecked) and m.error for m in app_messages.messages))
        await app_messages.wait_for(lambda: finished(app_messages))
        await pilot.pause()
        errors = app.dashboard.query_one("#errors", Static)
        assert errors.display
        shown = str(errors.render())
        assert f"{PIPE_SCRIPT}, line {line}: SyntaxError" in shown
        assert list(finished(app_messages).values()) == ["failed"]

        # Fix it: the error goes away and the fixed script runs.
        script.write_text(good)
        await app_messages.wait_for(lambda: len(finished(app_messages)) == 2)
        await pilot.pause()
        assert not errors.display
        assert sorted(finished(app_messages).values()) == ["failed", "succeeded"]


async def test_cancel_key_stops_build(
    tui_pipelines: Path, app_messages: AppMessages, nap_seconds: str
) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(
            lambda: any(isinstance(m, ScriptsScanned) for m in app_messages.messages))
        await pilot.pause()

        # Select slow/slow.py and rerun it with r.
        tree = app.dashboard.query_one(BuildList)
        slow = tui_pipelines / "slow" / "slow.py"
        tree.move_cursor(tree._entry_nodes[next(e for e in tree._entry_nodes if e.script == slow)])
        await pilot.press("r")
        await app_messages.wait_for(lambda: any(
            isinstance(m, JobStateChanged) and m.status == "running" for m in app_messages.engine()))
        await app_messages.wait_for(lambda: processes_running(f"sleep {nap_seconds}"))

        # Cancel with c: the build ends cancelled and its job's process is gone.
        await pilot.press("c")
        await app_messages.wait_for(lambda: finished(app_messages))
        assert list(finished(app_messages).values()) == ["cancelled"]
        runner_tasks = [r.task for r in app.engine.running.values()]
        assert runner_tasks == []
        assert processes_running(f"sleep {nap_seconds}") == []


async def test_quit_with_running_build_cleans_up(
    tui_pipelines: Path, app_messages: AppMessages, nap_seconds: str
) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(
            lambda: any(isinstance(m, ScriptsScanned) for m in app_messages.messages))
        app.start_manual_build(tui_pipelines / "slow" / "slow.py", "exec", None)
        await app_messages.wait_for(lambda: processes_running(f"sleep {nap_seconds}"))

        # ctrl+q requests confirmation; y cancels the build, waits for its clean-up, quits.
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("y")
        await app_messages.wait_for(lambda: finished(app_messages))
    assert app.return_code == 0
    assert app.engine.running == {}
    assert list(finished(app_messages).values()) == ["cancelled"]
    assert processes_running(f"sleep {nap_seconds}") == []
    record = app.engine.store.list_builds()[0]
    assert record.status == "cancelled"
    app.engine.close()


async def test_quit_stays_on_no(tui_pipelines: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        app.start_manual_build(tui_pipelines / "slow" / "slow.py", "exec", None)
        await app_messages.wait_for(lambda: app.engine.running)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert len(app.engine.running) == 1
        await app.engine.cancel_all()
