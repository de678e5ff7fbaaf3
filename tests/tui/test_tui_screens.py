"""Screens and keys: run dialog, job detail, search, palette, help, small terminals."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Select, Static

from brigtui.app import BrigtuiApp
from brigtui.engine.messages import BuildFinished, BuildStarted
from brigtui.screens.dashboard import DashboardScreen
from brigtui.screens.help import HelpScreen
from brigtui.screens.job_detail import JobDetailScreen, describe_job
from brigtui.screens.registry import DASHBOARD_ACTIONS, SCREENS
from brigtui.screens.run_dialog import RunDialog, parse_payload
from brigtui.tui_messages import ScriptsScanned, WatchStateChanged
from brigtui.widgets.job_graph import JobGraph
from brigtui.widgets.log_view import LogView
from tests.tui.conftest import OTHER_SCRIPT, PIPE_SCRIPT, ROOT_SCRIPTS, AppMessages

ECHO_PAYLOAD = """\
from brigtui import Job, events


@events.on("deploy")
async def deploy(event, project):
    job = Job("show", "alpine:3.19", ['echo "ref=$REF"'], env={"REF": event.payload["ref"]})
    print((await job.run()).text)
"""


def finished(messages: AppMessages) -> dict[str, str]:
    return {m.build_id: m.status for m in messages.engine() if isinstance(m, BuildFinished)}


async def scanned(messages: AppMessages) -> None:
    await messages.wait_for(
        lambda: any(isinstance(m, ScriptsScanned) for m in messages.messages))


def test_payload_parsing(tmp_path: Path) -> None:
    assert parse_payload("", tmp_path) is None
    assert parse_payload(' {"ref": "main"} ', tmp_path) == {"ref": "main"}
    (tmp_path / "event.json").write_text(json.dumps([1, 2]))
    assert parse_payload("@event.json", tmp_path) == [1, 2]
    with pytest.raises(ValueError, match="not valid JSON \\(line 1, column 2"):
        parse_payload("{ref}", tmp_path)
    with pytest.raises(ValueError, match="cannot read the payload file"):
        parse_payload("@missing.json", tmp_path)


async def test_run_dialog_runs_event_with_payload(
    tui_pipelines: Path, app_messages: AppMessages
) -> None:
    script = tui_pipelines / "deploy.py"
    script.write_text(ECHO_PAYLOAD)
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await scanned(app_messages)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RunDialog)
        dialog.query_one("#run-script", Select).value = script
        dialog.query_one("#run-event", Input).value = "deploy"

        # Invalid JSON keeps the dialog open and names what to fix.
        payload = dialog.query_one("#run-payload", Input)
        payload.value = "{ref"
        payload.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "not valid JSON" in str(dialog.query_one("#run-error", Static).render())

        payload.value = '{"ref": "v1.2"}'
        await pilot.press("enter")
        await app_messages.wait_for(lambda: finished(app_messages))
        started = [m for m in app_messages.engine() if isinstance(m, BuildStarted)]
        assert [(Path(m.script).name, m.event) for m in started] == [("deploy.py", "deploy")]
        assert list(finished(app_messages).values()) == ["succeeded"]
        record = app.engine.store.get_build(started[0].build_id)
        assert record is not None and json.loads(record.payload or "null") == {"ref": "v1.2"}


async def test_enter_opens_job_detail(tui_pipelines: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await scanned(app_messages)
        app.start_manual_build(tui_pipelines / PIPE_SCRIPT, "exec", None)
        await app_messages.wait_for(lambda: finished(app_messages))
        await pilot.pause()

        # Tab to the graph, move to job two, open it.
        await pilot.press("tab")
        assert isinstance(app.focused, JobGraph)
        await pilot.press("right", "enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, JobDetailScreen)
        assert detail.job == "two"
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert detail.record is not None
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(describe_job(detail.record))
        fields = console.export_text()
        assert "succeeded" in fields
        assert "exit code" in fields
        assert 'grep "rhino"' in fields
        assert "DATA=" in fields
        log = detail.query_one(LogView)
        expected = [line for line in (tui_pipelines / "animals.txt").read_text().splitlines()
                    if "rhino" in line]
        assert [strip.text.rstrip() for strip in log.lines] == expected

        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_search_log_and_filter_list(
    tui_pipelines: Path, app_messages: AppMessages
) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await scanned(app_messages)
        app.start_manual_build(tui_pipelines / PIPE_SCRIPT, "exec", None)
        await app_messages.wait_for(lambda: finished(app_messages))
        await pilot.pause()
        dashboard = app.dashboard
        dashboard.query_one(JobGraph).focus()
        await app.workers.wait_for_complete()

        # "/" on the graph searches the selected job's log.
        await pilot.press("slash")
        await pilot.press(*"rhino", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        log = dashboard.query_one(LogView)
        lines = [strip.text.rstrip() for strip in log.lines]
        animals = (tui_pipelines / "animals.txt").read_text().splitlines()
        expected = [(str(number), line) for number, line in enumerate(animals, start=1)
                    if "rhino" in line]
        assert lines[0].startswith(f"{len(expected)} lines contain 'rhino'")
        assert [tuple(line.split(maxsplit=1)) for line in lines[1:]] == expected

        # Esc leaves the search; "/" in the script list filters it.
        await pilot.press("escape")
        assert log.search_term is None
        dashboard.build_list.focus()
        await pilot.press("slash", *OTHER_SCRIPT, "enter")
        await pilot.pause()
        shown = [node.data.script.name for node in dashboard.build_list.root.children
                 if node.data is not None]
        assert shown == [OTHER_SCRIPT]
        await pilot.press("escape")
        assert len(dashboard.build_list.root.children) == len(ROOT_SCRIPTS) + 1


async def test_l_toggles_build_log(tui_pipelines: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await scanned(app_messages)
        app.start_manual_build(tui_pipelines / PIPE_SCRIPT, "exec", None)
        await app_messages.wait_for(lambda: finished(app_messages))
        await app.workers.wait_for_complete()
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = [strip.text.rstrip() for strip in app.dashboard.query_one(LogView).lines]
        assert "white rhino" in lines  # what the handler printed
        assert lines[0].startswith("[brigtui] ")  # what the engine noted
        assert app.dashboard.log_target == "build"


async def test_palette_lists_every_action(tui_pipelines: Path) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.dashboard)]
        for item in DASHBOARD_ACTIONS:
            assert f"{item.title} ({item.label})" in titles
        for entry in SCREENS:
            assert any(title.startswith(entry.title) for title in titles)
        assert "Quit" in titles


async def test_help_opens_and_closes(tui_pipelines: Path) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


@pytest.mark.parametrize("size", [(40, 10), (20, 5)])
async def test_tiny_terminal_does_not_crash(
    tui_pipelines: Path, app_messages: AppMessages, size: tuple[int, int]
) -> None:
    app = BrigtuiApp(tui_pipelines, watch=False)
    async with app.run_test(size=size, message_hook=app_messages) as pilot:
        await scanned(app_messages)
        app.start_manual_build(tui_pipelines / OTHER_SCRIPT, "exec", None)
        await app_messages.wait_for(lambda: finished(app_messages))
        for key in ("tab", "right", "down", "l", "question_mark", "escape", "n", "escape"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, DashboardScreen)


async def test_folder_missing_and_back(tui_pipelines: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(tui_pipelines)

    def states() -> list[str]:
        return [m.state for m in app_messages.messages if isinstance(m, WatchStateChanged)]

    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await app_messages.wait_for(lambda: "watching" in states())
        moved = tui_pipelines.with_name("moved-away")
        tui_pipelines.rename(moved)
        await app_messages.wait_for(lambda: "missing" in states())
        await pilot.pause()
        assert "missing" in app.dashboard.query_one("StatusLine").render().plain
        moved.rename(tui_pipelines)
        await app_messages.wait_for(lambda: states()[-1] == "watching")

        # Watching again: a save reruns.
        script = tui_pipelines / PIPE_SCRIPT
        script.write_text(script.read_text() + "\n# back\n")
        await app_messages.wait_for(lambda: finished(app_messages))
