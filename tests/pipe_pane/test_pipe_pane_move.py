"""A 100 MiB move through the pipe pane: progress is shown and the app keeps handling keys."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from brigtui.engine.engine import Engine
from brigtui.pipe_pane_model import PROGRESS_STEP
from brigtui.widgets.pipe_share_browser import ShareBrowser
from brigtui.widgets.pipe_source_picker import SourcePicker
from tests.pipe_pane.support import PaneApp, PaneMessages, choose, line
from tests.pipe_pane.test_pipe_pane_flow import pick_target
from tests.support import run, write_script

SIZE = 100 * 1024 * 1024
WRITE_BIG = '''
    @events.on("exec")
    async def handler(event, project):
        await Job("write", "alpine:3.19", ["head -c 104857600 /dev/zero > /mnt/brigade/share/big.bin; exit 1"],
                  storage=True).run()
'''
# The job reads 1 MiB, then waits for the file `release` in /src before reading the rest.
# So the test catches the move in progress however fast this machine is.
GATED = '''
    @events.on("exec")
    async def handler(event, project):
        gate = "{ head -c 1048576; until [ -e release ]; do sleep 0.05; done; cat; } | wc -c"
        await Job("slow", "alpine:3.19", [gate]).run()
'''


async def open_share_file(pilot, app: PaneApp, messages: PaneMessages, build_id: str, path: str) -> None:
    await pilot.press("s")
    picker = app.screen
    assert isinstance(picker, SourcePicker)
    await messages.wait_for(lambda: f"share:{build_id}" in picker.picks)
    await choose(pilot, picker.query_one(OptionList), f"share:{build_id}")
    browser = app.screen
    assert isinstance(browser, ShareBrowser)
    await messages.wait_for(lambda: path in browser.entries)
    await choose(pilot, browser.query_one(OptionList), path)
    await messages.wait_for(messages.sources)


async def test_hundred_mib_move_shows_progress(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    write_script(pipelines, "write_big.py", WRITE_BIG)
    write_script(pipelines, "gated.py", GATED)
    big = await run(engine, pipelines / "write_big.py")
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await open_share_file(pilot, app, pane_messages, big.build_id, "big.bin")
        assert "100.0 MiB" in line(pane, "source-line")
        assert "····" in line(pane, "source-preview")
        await pick_target(pilot, app, pane_messages, pipelines / "gated.py", "slow")
        assert "by stdin" in line(pane, "target-line")
        await pilot.press("r")

        # Copying the share file reports every few MiB, in order, up to the whole file.
        await pane_messages.wait_for(lambda: pane_messages.progress("delivering"))
        copied = [m.done for m in pane_messages.progress("copying")]
        assert len(copied) >= SIZE // PROGRESS_STEP
        assert copied == sorted(copied)
        assert copied[0] < SIZE
        assert copied[-1] == SIZE

        # The job waits before reading the rest of the input: the pane shows how far it got.
        await pane_messages.wait_for(lambda: any(0 < m.done < SIZE for m in pane_messages.progress("delivering")))
        await pilot.pause()
        running = line(pane, "run-line")
        assert "input read" in running
        assert "of 100.0 MiB" in running
        assert "░" in running

        # Keys are handled while the move runs.
        await pilot.press("f")
        assert "a move is running: c cancels it" in line(pane, "pipe-message")
        assert pane.state.run_status == "running"

        # Released, the job reads everything.
        (pipelines / "release").touch()
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert line(pane, "result-preview").strip() == str(SIZE)
        assert "✓ succeeded" in line(pane, "run-line")


async def test_cancel_stops_the_build(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    write_script(pipelines, "write_big.py", WRITE_BIG)
    write_script(pipelines, "gated.py", GATED)
    big = await run(engine, pipelines / "write_big.py")
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await open_share_file(pilot, app, pane_messages, big.build_id, "big.bin")
        await pick_target(pilot, app, pane_messages, pipelines / "gated.py", "slow")
        await pilot.press("r")
        await pane_messages.wait_for(lambda: any(0 < m.done < SIZE for m in pane_messages.progress("delivering")))

        await pilot.press("c")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert "⊘ cancelled" in line(pane, "run-line")
        assert pane.state.run_build is not None
    record = engine.store.get_build(pane.state.run_build)
    assert record is not None
    assert record.status == "cancelled"
