"""The pipe pane end to end on a real engine: keys only, from the source to the result."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from brigtui.engine.engine import Engine
from brigtui.engine.model import format_size
from brigtui.widgets.pipe_share_browser import ShareBrowser
from brigtui.widgets.pipe_source_picker import SourcePicker
from brigtui.widgets.pipe_target_picker import TargetPicker
from tests.pipe_pane.support import PaneApp, PaneMessages, choose, line, type_text
from tests.support import run, write_script


async def pick_target(pilot, app: PaneApp, messages: PaneMessages, script: Path, job: str) -> None:
    """Open the target picker with `t` and pick `job` of `script` with the arrows."""
    await pilot.press("t")
    await pilot.pause()
    picker = app.screen
    assert isinstance(picker, TargetPicker)
    key = f"{script}::{job}"
    await messages.wait_for(lambda: key in picker.picks)
    await choose(pilot, picker.query_one(OptionList), key)
    assert app.screen is app.pane


async def test_job_filter_env_end_to_end(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    first = await run(engine, pipelines / "pass_output.py")
    size = (pipelines / "animals.txt").stat().st_size
    app = PaneApp(engine, pipelines, first.build_id, "one")
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane

        # The source opens with its size and a preview.
        await pane_messages.wait_for(pane_messages.sources)
        assert f"build {first.build_id} job one · {format_size(size)}" in line(pane, "source-line")
        animals = (pipelines / "animals.txt").read_text().splitlines()
        preview = line(pane, "source-preview").splitlines()
        assert preview == [*animals[:4], f"… ({len(animals) - 4} more lines)"]

        # A filter runs as a job; its output is previewed.
        await pilot.press("f")
        await type_text(pilot, "grep white")
        await pilot.press("enter")
        await pane_messages.wait_for(lambda: pane_messages.outputs("filter"))
        assert line(pane, "filter-preview") == "white rhino"
        assert "✓ 'grep white'" in line(pane, "filter-line")

        # The target is job two of pass_output.py, which reads $DATA.
        await pick_target(pilot, app, pane_messages, pipelines / "pass_output.py", "two")
        assert "pass_output.py › two by env DATA" in line(pane, "target-line")

        # Running it runs job two alone and shows its output.
        await pilot.press("r")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert line(pane, "result-preview") == "white rhino"
        assert f"✓ succeeded build {pane.state.run_build}" in line(pane, "run-line")

    # The build records where its input came from: the filter build's job.
    filtered = pane_messages.outputs("filter")[0].build_id
    record = engine.store.get_build(pane.state.run_build or "")
    assert record is not None
    assert record.status == "succeeded"
    assert [(h.source_build, h.source_job, h.target_job, h.how) for h in record.handovers] == [
        (filtered, "filter", "two", "env")
    ]


COUNTER = '''
    @events.on("exec")
    async def handler(event, project):
        count = 'if [ -n "$DATA" ]; then printf %s "$DATA" | wc -c; else wc -c; fi'
        await Job("count", "alpine:3.19", [count], env={"DATA": ""}).run()
'''
BIG_OUTPUT = '''
    @events.on("exec")
    async def handler(event, project):
        await Job("big", "alpine:3.19", ["head -c 300000 /dev/zero | tr '\\\\0' x"]).run()
'''


async def test_env_too_large_offers_stdin(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    write_script(pipelines, "counter.py", COUNTER)
    write_script(pipelines, "big.py", BIG_OUTPUT)
    big = await run(engine, pipelines / "big.py")
    app = PaneApp(engine, pipelines, big.build_id, "big")
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        await pane_messages.wait_for(pane_messages.sources)
        assert "293.0 KiB" in line(pane, "source-line")

        # The counter reads $DATA: picking it already shows that the value cannot go there.
        await pick_target(pilot, app, pane_messages, pipelines / "counter.py", "count")
        assert "by env DATA" in line(pane, "target-line")
        assert "too large for an environment variable" in line(pane, "pipe-message")

        # Run refuses before anything runs, with the reason, and offers stdin.
        builds = len(engine.store.list_builds())
        await pilot.press("r")
        await pilot.pause()
        message = line(pane, "pipe-message")
        assert "293.0 KiB is too large for an environment variable on the local executor" in message
        assert "press 2 to send it as standard input instead" in message
        assert len(engine.store.list_builds()) == builds
        assert pane.state.run_status == "none"

        # Taking the offer sends it as standard input.
        await pilot.press("2")
        assert "by stdin" in line(pane, "target-line")
        assert "press 2" not in line(pane, "pipe-message")
        await pilot.press("r")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert line(pane, "result-preview").strip() == "300000"
        assert len(engine.store.list_builds()) == builds + 1


SHARER = '''
    @events.on("exec")
    async def handler(event, project):
        write = "printf 'red fox\\\\nblack rhino\\\\n' > /mnt/brigade/share/animals.txt; mkdir /mnt/brigade/share/empty; exit 3"
        await Job("write", "alpine:3.19", [write], storage=True).run()
'''


async def test_share_file_into_share_target(engine: Engine, pipelines: Path, pane_messages: PaneMessages) -> None:
    write_script(pipelines, "sharer.py", SHARER)
    failed = await run(engine, pipelines / "sharer.py")
    assert failed.status.value == "failed"
    app = PaneApp(engine, pipelines)
    async with app.run_test(size=(80, 24), message_hook=pane_messages) as pilot:
        pane = app.pane
        assert "○ none" in line(pane, "source-line")

        # The source picker lists the failed build's kept share; the browser lists its files.
        await pilot.press("s")
        picker = app.screen
        assert isinstance(picker, SourcePicker)
        await pane_messages.wait_for(lambda: f"share:{failed.build_id}" in picker.picks)
        await choose(pilot, picker.query_one(OptionList), f"share:{failed.build_id}")
        browser = app.screen
        assert isinstance(browser, ShareBrowser)
        await pane_messages.wait_for(lambda: "animals.txt" in browser.entries)
        assert browser.entries["empty"].kind == "dir"

        # An empty folder opens, Backspace goes back up, Enter picks the file.
        await choose(pilot, browser.query_one(OptionList), "empty")
        await pane_messages.wait_for(lambda: browser.path == "empty")
        await pilot.press("backspace")
        await pane_messages.wait_for(lambda: browser.path == "" and "animals.txt" in browser.entries)
        await choose(pilot, browser.query_one(OptionList), "animals.txt")
        assert app.screen is pane
        await pane_messages.wait_for(pane_messages.sources)
        assert f"share:animals.txt of build {failed.build_id} · 20 B" in line(pane, "source-line")
        assert "black rhino" in line(pane, "source-preview")

        # shared_storage.py's job two greps the share's animals.txt: send the file there.
        await pick_target(pilot, app, pane_messages, pipelines / "shared_storage.py", "two")
        assert "by share file input" in line(pane, "target-line")
        await pilot.press("n")
        await pilot.press(*["ctrl+a", "ctrl+k"])
        await type_text(pilot, "animals.txt")
        await pilot.press("enter")
        assert "by share file animals.txt" in line(pane, "target-line")
        await pilot.press("r")
        await pane_messages.wait_for(lambda: pane_messages.outputs("run"))
        assert line(pane, "result-preview") == "black rhino"
        copies = list((engine.state_dir / "pipe-pane").iterdir())
        assert len(copies) == 1

    # The build names the share's build as the source; the local copy is gone with the pane.
    record = engine.store.get_build(pane.state.run_build or "")
    assert record is not None
    assert record.status == "succeeded"
    assert [(h.source_build, h.source_job, h.how) for h in record.handovers] == [
        (failed.build_id, "share:animals.txt", "stdin")
    ]
    assert not copies[0].exists()
