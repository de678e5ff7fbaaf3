"""The pipe pane's keys, guards and messages: what happens on bad input or out of order."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from brigtui.engine.engine import Engine
from tests.pipe_pane.support import PaneApp, PaneMessages, line, type_text
from tests.pipe_pane.test_pipe_pane_flow import pick_target
from tests.support import run


async def test_run_needs_source_and_target(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pilot.press("r")
        assert "✗ pick a source first: press s" in line(pane, "pipe-message")
        await pilot.press("c")
        assert "nothing is running" in line(pane, "pipe-message")
        await pilot.press("n")
        assert "standard input needs no name" in line(pane, "pipe-message")
    assert engine.store.list_builds() == []


async def test_unknown_source_says_what_to_do(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    app = PaneApp(engine, pipelines, "20000101-000000-0000", "one")
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pane_messages.wait_for(pane_messages.sources)
        await pilot.pause()
        message = line(pane, "pipe-message")
        assert "build 20000101-000000-0000 has no finished job 'one'" in message
        assert "press s to pick another source" in message
        assert "○ none" in line(pane, "source-line")


async def test_failed_filter_blocks_run(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    first = await run(engine, pipelines / "pass_output.py")
    app = PaneApp(engine, pipelines, first.build_id, "one")
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pane_messages.wait_for(pane_messages.sources)
        await pilot.press("f")
        await type_text(pilot, "grep unicorn")
        await pilot.press("enter")
        await pane_messages.wait_for(lambda: pane_messages.outputs("filter"))
        assert "✗ 'grep unicorn'" in line(pane, "filter-line")
        assert "exit code 1" in line(pane, "pipe-message")

        await pick_target(pilot, app, pane_messages, pipelines / "pass_output.py", "two")
        await pilot.press("r")
        assert "the filter has no output to use" in line(pane, "pipe-message")

        # An empty filter command removes the filter; the source goes in as it is.
        await pilot.press("f")
        await pilot.press("ctrl+a", "ctrl+k", "enter")
        assert "none: f types a shell command" in line(pane, "filter-line")
        await pilot.press("r")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert "white rhino" in line(pane, "result-preview")


async def test_escape_closes_input_then_pane(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pilot.press("f")
        field = pane.query_one("#filter-input", Input)
        assert field.has_focus
        await type_text(pilot, "sort")
        await pilot.press("escape")
        assert not field.display
        assert pane.state.filter_command == ""
        assert app.screen is pane
        await pilot.press("escape")
        assert app.screen is not pane


async def test_palette_lists_pane_steps(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pilot.press("3")
        assert "by share file input" not in line(pane, "target-line")  # no target yet
        assert pane.state.how == "share"
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        palette = app.screen
        await type_text(pilot, "standard input")
        commands = palette.query_one(CommandList)
        await pane_messages.wait_for(lambda: commands.option_count > 0)
        assert "standard input (2)" in str(commands.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is pane
        assert pane.state.how == "stdin"


async def test_small_terminal_keeps_working(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    first = await run(engine, pipelines / "pass_output.py")
    app = PaneApp(engine, pipelines, first.build_id, "one")
    async with app.run_test(size=(40, 10), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pane_messages.wait_for(pane_messages.sources)
        await pick_target(pilot, app, pane_messages, pipelines / "pass_output.py", "two")
        await pilot.press("r")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert "rhino" in line(pane, "result-preview")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "✓ succeeded" in line(pane, "run-line")
