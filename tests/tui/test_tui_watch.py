"""Editor saves and bursts of changes give exactly one build each; reruns cancel or queue."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from brigtui.app import BrigtuiApp
from brigtui.engine.messages import BuildFinished, BuildStarted, JobStateChanged
from tests.tui.conftest import (
    OTHER_SCRIPT,
    PIPE_SCRIPT,
    ROOT_SCRIPTS,
    AppMessages,
    processes_running,
)

FENCE = """\
from brigtui import Job, events


@events.on("exec")
async def exec_handler(event, project):
    await Job("fence", "alpine:3.19", ["true"]).run()
"""


def builds_of(messages: AppMessages, script: str) -> list[BuildStarted]:
    return [m for m in messages.engine()
            if isinstance(m, BuildStarted) and Path(m.script).name == script]


def statuses(messages: AppMessages) -> dict[str, str]:
    return {m.build_id: m.status for m in messages.engine() if isinstance(m, BuildFinished)}


def all_finished(messages: AppMessages) -> bool:
    done = statuses(messages)
    return all(m.build_id in done for m in messages.engine() if isinstance(m, BuildStarted))


async def start_watching(app: BrigtuiApp, messages: AppMessages) -> None:
    from brigtui.tui_messages import WatchStateChanged

    await messages.wait_for(lambda: any(
        isinstance(m, WatchStateChanged) and m.state == "watching" for m in messages.messages))


async def pass_fence(folder: Path, messages: AppMessages) -> None:
    """Save the fence script and wait for its build: changes saved before it were handled."""
    fence = folder / "fence" / "fence.py"
    count = len(builds_of(messages, "fence.py"))
    fence.write_text(FENCE + f"# {count}\n")
    await messages.wait_for(lambda: len(builds_of(messages, "fence.py")) > count)
    await messages.wait_for(lambda: all_finished(messages))


def save_in_place(path: Path, text: str) -> None:
    path.write_text(text)


def save_like_vim(path: Path, text: str) -> None:
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"swap")
    probe = path.with_name("4913")
    probe.write_text("")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text)
    backup.unlink()
    swap.unlink()


def save_like_emacs(path: Path, text: str) -> None:
    lock = path.with_name(f".#{path.name}")
    os.symlink("user@host.1234:1700000000", lock)
    autosave = path.with_name(f"#{path.name}#")
    autosave.write_text(text)
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text)
    autosave.unlink()
    lock.unlink()


def save_like_jetbrains(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    temporary.write_text(text)
    os.rename(path, old)
    os.rename(temporary, path)
    old.unlink()


def save_like_vscode(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.1a2b.vsctmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def save_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp-8812")
    temporary.write_text(text)
    os.replace(temporary, path)


SAVES: dict[str, Callable[[Path, str], None]] = {
    "in-place": save_in_place,
    "vim": save_like_vim,
    "emacs": save_like_emacs,
    "jetbrains": save_like_jetbrains,
    "vscode": save_like_vscode,
    "atomic-rename": save_atomically,
}


@pytest.fixture
def fenced(tui_pipelines: Path) -> Path:
    (tui_pipelines / "fence").mkdir()
    (tui_pipelines / "fence" / "fence.py").write_text(FENCE)
    return tui_pipelines


@pytest.mark.parametrize("editor", list(SAVES))
async def test_editor_save_one_build(fenced: Path, app_messages: AppMessages,
                                     editor: str) -> None:
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages):
        await start_watching(app, app_messages)
        script = fenced / PIPE_SCRIPT
        SAVES[editor](script, script.read_text() + f"\n# saved by {editor}\n")
        await app_messages.wait_for(lambda: builds_of(app_messages, PIPE_SCRIPT))
        await pass_fence(fenced, app_messages)
        assert len(builds_of(app_messages, PIPE_SCRIPT)) == 1
        assert builds_of(app_messages, OTHER_SCRIPT) == []
        assert set(statuses(app_messages).values()) == {"succeeded"}


async def test_burst_gives_one_build_per_script(fenced: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages):
        await start_watching(app, app_messages)

        # Like a `git checkout`: 200 data files at once, in a folder without scripts.
        data = fenced / "data"
        data.mkdir()
        for number in range(200):
            (data / f"part-{number:03d}.txt").write_text(f"{number}\n")
        await app_messages.wait_for(lambda: builds_of(app_messages, ROOT_SCRIPTS[0]))
        await pass_fence(fenced, app_messages)
        for script in ROOT_SCRIPTS:
            assert len(builds_of(app_messages, script)) == 1, script
        assert builds_of(app_messages, "slow.py") == []


async def test_constant_writes_still_rerun(fenced: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages):
        await start_watching(app, app_messages)

        # Write every 50 ms (under the 100 ms debounce) until a build starts, at most 10 s.
        data = fenced / "animals.txt"
        writes = 0
        while not builds_of(app_messages, PIPE_SCRIPT) and writes < 200:
            with data.open("a") as handle:
                handle.write("gnu\n")
            writes += 1
            await asyncio.sleep(0.05)
        assert builds_of(app_messages, PIPE_SCRIPT), "no rerun while writes went on"
        assert writes < 200
        await app_messages.wait_for(lambda: all_finished(app_messages))


async def test_change_cancels_running_build(
    fenced: Path, app_messages: AppMessages, nap_seconds: str
) -> None:
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages):
        await start_watching(app, app_messages)
        slow = fenced / "slow" / "slow.py"
        slow.write_text(slow.read_text() + "\n# first\n")
        await app_messages.wait_for(lambda: processes_running(f"sleep {nap_seconds}"))

        # A second save cancels the running build (and its process) and starts a new one.
        slow.write_text(slow.read_text() + "\n# second\n")
        await app_messages.wait_for(lambda: len(builds_of(app_messages, "slow.py")) == 2)
        first, second = builds_of(app_messages, "slow.py")
        assert statuses(app_messages)[first.build_id] == "cancelled"
        await app_messages.wait_for(lambda: any(
            isinstance(m, JobStateChanged) and m.build_id == second.build_id
            and m.status == "running" for m in app_messages.engine()))
        assert len(processes_running(f"sleep {nap_seconds}")) == 1
        await app.engine.cancel_all()
        assert processes_running(f"sleep {nap_seconds}") == []


async def test_queue_setting_waits_for_build(
    fenced: Path, app_messages: AppMessages, nap_seconds: str
) -> None:
    settings = fenced / "brigtui.yaml"
    settings.write_text(settings.read_text() + "  on_change: queue\n")
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages):
        await start_watching(app, app_messages)
        slow = fenced / "slow" / "slow.py"
        slow.write_text(slow.read_text() + "\n# first\n")
        await app_messages.wait_for(lambda: processes_running(f"sleep {nap_seconds}"))

        # Two more saves while it runs: one build waits, and starts only after the first ends.
        slow.write_text(slow.read_text() + "\n# second\n")
        await pass_fence_without_waiting(fenced, app_messages)
        slow.write_text(slow.read_text() + "\n# third\n")
        await pass_fence_without_waiting(fenced, app_messages)
        assert len(builds_of(app_messages, "slow.py")) == 1
        first = builds_of(app_messages, "slow.py")[0]
        app.engine.cancel_build(first.build_id)
        await app_messages.wait_for(lambda: len(builds_of(app_messages, "slow.py")) == 2)
        assert statuses(app_messages)[first.build_id] == "cancelled"
        assert builds_of(app_messages, "slow.py")[1].trigger == "changed: slow/slow.py"
        await app.engine.cancel_all()


async def pass_fence_without_waiting(folder: Path, messages: AppMessages) -> None:
    """Like pass_fence, but waits only for the fence build itself (the slow one runs on)."""
    fence = folder / "fence" / "fence.py"
    count = len(builds_of(messages, "fence.py"))
    fence.write_text(FENCE + f"# {count}\n")
    await messages.wait_for(lambda: len(builds_of(messages, "fence.py")) > count)
    build_id = builds_of(messages, "fence.py")[-1].build_id
    await messages.wait_for(lambda: build_id in statuses(messages))


async def test_paused_changes_wait_for_key(fenced: Path, app_messages: AppMessages) -> None:
    app = BrigtuiApp(fenced)
    async with app.run_test(size=(80, 24), message_hook=app_messages) as pilot:
        await start_watching(app, app_messages)
        await pilot.press("a")
        script = fenced / PIPE_SCRIPT
        script.write_text(script.read_text() + "\n# paused\n")
        await app_messages.wait_for(
            lambda: [r.script for r in app.reruns.state.pending] == [script])
        assert builds_of(app_messages, PIPE_SCRIPT) == []

        # u runs what waited, once.
        await pilot.press("u")
        await app_messages.wait_for(lambda: builds_of(app_messages, PIPE_SCRIPT))
        await app_messages.wait_for(lambda: all_finished(app_messages))
        assert len(builds_of(app_messages, PIPE_SCRIPT)) == 1
        assert app.reruns.state.pending == ()
