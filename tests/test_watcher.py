"""The folder watcher, the rerun rule and the rerun controller, on real files and builds.

Every test waits for events with a timeout and never asserts a duration. "Exactly one
rerun" is checked with a marker: after the first rerun the test changes a marker file,
and the next rerun must name only the marker, so any extra rerun from the save shows up.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.errors import ConfigError, UsageError
from brigtui.engine.executors.local import BUILD_TAG
from brigtui.engine.executors.process import find_tagged_processes
from brigtui.engine.messages import BuildFinished, BuildStarted, EngineMessage
from brigtui.engine.rerun import (
    Rerun,
    RerunController,
    ScriptIndex,
    WatchState,
    plan_reruns,
    watch_and_run,
)
from brigtui.engine.watcher import FileChange, FolderWatcher, is_ignored, is_ignored_name

TIMEOUT = 30.0
"""Seconds a test waits for an expected event before it fails."""

FAST_SCRIPT = """\
from brigtui import Job, events

@events.on("exec")
async def exec_handler(event, project):
    await Job("one", "alpine:3.7", ["cat animals.txt"]).run()
"""

SLOW_SCRIPT = """\
from brigtui import Job, events

@events.on("exec")
async def exec_handler(event, project):
    await Job("slow", "alpine:3.7", ["sleep 30"]).run()
"""


class Harness:
    """An engine and a running RerunController on one folder, with awaitable messages."""

    def __init__(self, folder: Path, state_dir: Path, *, auto_rerun: bool = True) -> None:
        self.folder = folder
        self.engine = Engine(folder, state_dir=state_dir)
        self.controller = RerunController(self.engine, auto_rerun=auto_rerun)
        self.messages: list[EngineMessage] = []
        self.started: asyncio.Queue[BuildStarted] = asyncio.Queue()
        self._changed = asyncio.Event()
        self.engine.subscribe(self._on_message)
        self.controller.subscribe(lambda _state: self._changed.set())
        self.task: asyncio.Task[None] | None = None

    def _on_message(self, message: EngineMessage) -> None:
        self.messages.append(message)
        if isinstance(message, BuildStarted):
            self.started.put_nowait(message)
        self._changed.set()

    async def start(self) -> None:
        self.task = asyncio.create_task(self.controller.run())
        await self.wait_state(lambda state: state.status == "watching")

    async def next_build(self) -> BuildStarted:
        return await asyncio.wait_for(self.started.get(), TIMEOUT)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_state(self, predicate: Callable[[WatchState], bool]) -> WatchState:
        await self.wait_for(lambda: predicate(self.controller.state))
        return self.controller.state

    async def finished(self, build_id: str) -> BuildFinished:
        def found() -> BuildFinished | None:
            for message in self.messages:
                if isinstance(message, BuildFinished) and message.build_id == build_id:
                    return message
            return None

        await self.wait_for(lambda: found() is not None)
        result = found()
        assert result is not None
        return result

    async def expect_only_marker_next(self, marker: Path) -> None:
        """Change `marker`; the next rerun must be caused by the marker alone."""
        marker.write_text("marker\n")
        build = await self.next_build()
        assert build.trigger == f"changed: {marker.relative_to(self.folder).as_posix()}"

    async def close(self) -> None:
        async with asyncio.timeout(TIMEOUT):
            if self.task is not None:
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
            await self.engine.cancel_all()
        self.engine.close()


def make_folder(root: Path, scripts: dict[str, str] | None = None) -> Path:
    folder = root / "pipelines"
    folder.mkdir(parents=True)
    for name, text in (scripts or {"hello.py": FAST_SCRIPT}).items():
        (folder / name).write_text(text)
    (folder / "animals.txt").write_text("rhino\nzebra\n")
    (folder / "marker.txt").write_text("start\n")
    return folder


@pytest.fixture
async def harnesses(tmp_path: Path) -> AsyncIterator[list[Harness]]:
    created: list[Harness] = []
    yield created
    for harness in created:
        await harness.close()


@pytest.fixture
async def harness(tmp_path: Path, harnesses: list[Harness]) -> Harness:
    folder = make_folder(tmp_path)
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()
    return harness


def running_pids(build_id: str) -> list[int]:
    return find_tagged_processes(BUILD_TAG, build_id)


async def wait_for_processes(build_id: str) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not running_pids(build_id):
            await asyncio.sleep(0.05)


# Ignored names


@pytest.mark.parametrize(
    "name",
    [
        ".hello.py.swp", ".hello.py.swo", ".hello.py.swx", "4913", "5036", "hello.py~",
        "#hello.py#", ".#hello.py", "hello.py.~1~", "hello.py___jb_tmp___",
        "hello.py___jb_old___", "settings.json.vsctmp", "report.tmp", "video.crdownload",
        "file.part", ".DS_Store", "._hello.py", "hello.cpython-311.pyc",
        ".goutputstream-ABC123", ".hello.py.kate-swp",
    ],
)
def test_ignored_name_editor_files(name: str) -> None:
    assert is_ignored_name(name)


@pytest.mark.parametrize(
    "name",
    ["hello.py", "animals.txt", "brigtui.yaml", "4914", "2024", "swap.txt", "notes#1", ".env"],
)
def test_ignored_name_keeps_real_files(name: str) -> None:
    assert not is_ignored_name(name)


def test_ignored_state_and_cache_folders(tmp_path: Path) -> None:
    assert is_ignored(tmp_path / ".brigtui" / "builds" / "x.log", tmp_path)
    assert is_ignored(tmp_path / "sub" / ".git" / "index", tmp_path)
    assert is_ignored(tmp_path / "__pycache__" / "hello.cpython-311.pyc", tmp_path)
    assert not is_ignored(tmp_path / "data" / "animals.txt", tmp_path)
    assert not is_ignored(tmp_path, tmp_path)


# The rule


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root: hello.py, animals.txt, lib.py (no script); sub: deploy.py; data/nested: x.csv."""
    folder = make_folder(tmp_path)
    (folder / "lib.py").write_text("VALUE = 1\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "deploy.py").write_text(FAST_SCRIPT)
    (folder / "sub" / "config.txt").write_text("a\n")
    (folder / "data" / "nested").mkdir(parents=True)
    (folder / "data" / "nested" / "x.csv").write_text("1,2\n")
    return folder


def plan_for(folder: Path, *changes: FileChange) -> list[tuple[str, str]]:
    plan = plan_reruns(folder, changes, ScriptIndex(folder))
    return [(rerun.script.relative_to(folder).as_posix(), rerun.trigger) for rerun in plan.reruns]


def test_rule_script_change_reruns_script(tree: Path) -> None:
    assert plan_for(tree, FileChange(tree / "sub" / "deploy.py")) == [
        ("sub/deploy.py", "changed: sub/deploy.py")
    ]


def test_rule_data_file_reruns_folder_scripts(tree: Path) -> None:
    assert plan_for(tree, FileChange(tree / "sub" / "config.txt")) == [
        ("sub/deploy.py", "changed: sub/config.txt")
    ]
    assert plan_for(tree, FileChange(tree / "animals.txt")) == [
        ("hello.py", "changed: animals.txt")
    ]


def test_rule_walks_up_to_folder_with_scripts(tree: Path) -> None:
    assert plan_for(tree, FileChange(tree / "data" / "nested" / "x.csv")) == [
        ("hello.py", "changed: data/nested/x.csv")
    ]


def test_rule_helper_module_counts_as_data(tree: Path) -> None:
    assert plan_for(tree, FileChange(tree / "lib.py")) == [("hello.py", "changed: lib.py")]


def test_rule_deleted_script_not_run(tree: Path) -> None:
    index = ScriptIndex(tree)
    script = tree / "sub" / "deploy.py"
    script.unlink()
    plan = plan_reruns(tree, [FileChange(script, deleted=True)], index)
    assert plan.reruns == []
    assert plan.removed_scripts == [script]
    assert script not in index.scripts


def test_rule_deleted_data_file_reruns(tree: Path) -> None:
    (tree / "animals.txt").unlink()
    assert plan_for(tree, FileChange(tree / "animals.txt", deleted=True)) == [
        ("hello.py", "deleted: animals.txt")
    ]


def test_rule_batch_merges_per_script(tree: Path) -> None:
    changes = [FileChange(tree / name) for name in ("animals.txt", "hello.py", "lib.py")]
    changes += [FileChange(tree / f"f{number}.txt") for number in range(4)]
    assert plan_for(tree, *changes) == [
        ("hello.py", "changed: animals.txt, hello.py, lib.py and 4 more")
    ]


def test_rerun_trigger_texts(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    assert Rerun(script, (("manual", ""),)).trigger == "manual"
    merged = Rerun(script, (("changed", "a.txt"),)).merged(
        Rerun(script, (("deleted", "b.txt"), ("changed", "a.txt"), ("changed", "c.txt")))
    )
    assert merged.trigger == "changed: a.txt, c.txt; deleted: b.txt"


def test_rule_no_scripts_anywhere(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x\n")
    assert plan_for(tmp_path, FileChange(tmp_path / "notes.txt")) == []


# Editor saves: each gives exactly one rerun


async def save_vim(path: Path, text: str) -> None:
    """Vim with backupcopy=no: swap file, write probe, backup by rename, new file."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"b0VIM 9.0")
    probe = path.with_name("4913")
    probe.write_text("")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text)
    backup.unlink()
    swap.write_bytes(b"b0VIM 9.0 saved")


async def save_emacs(path: Path, text: str) -> None:
    """Emacs: lock symlink, auto-save file, backup by rename, new file, clean-up."""
    lock = path.with_name(f".#{path.name}")
    os.symlink("user@host.12345:1700000000", lock)
    autosave = path.with_name(f"#{path.name}#")
    autosave.write_text(text)
    os.rename(path, path.with_name(path.name + "~"))
    path.write_text(text)
    autosave.unlink()
    lock.unlink()


async def save_jetbrains(path: Path, text: str) -> None:
    """JetBrains safe write: temporary file, old file aside, temporary renamed, old removed."""
    temporary = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    temporary.write_text(text)
    os.rename(path, old)
    os.rename(temporary, path)
    old.unlink()


async def save_direct(path: Path, text: str) -> None:
    """VS Code's default save: truncate and write the file in place."""
    with path.open("r+") as handle:
        handle.truncate(0)
        handle.write(text)


async def save_vscode_atomic(path: Path, text: str) -> None:
    """VS Code's atomic write: a `.vsctmp` file renamed over the target."""
    temporary = path.with_name(path.name + ".vsctmp")
    temporary.write_text(text)
    os.replace(temporary, path)


async def save_unknown_temp_name(path: Path, text: str) -> None:
    """A tool's atomic save through a temporary file with a random name."""
    temporary = path.with_name("tmpq3x9k2ab")
    temporary.write_text(text)
    os.replace(temporary, path)


SAVES = [save_vim, save_emacs, save_jetbrains, save_direct, save_vscode_atomic,
         save_unknown_temp_name]


@pytest.mark.parametrize("save", SAVES, ids=[save.__name__ for save in SAVES])
@pytest.mark.parametrize("target", ["hello.py", "animals.txt"])
async def test_editor_save_one_rerun(harness: Harness, save: Callable, target: str) -> None:
    path = harness.folder / target
    await save(path, path.read_text() + "\n# edited\n")

    build = await harness.next_build()
    assert build.trigger == f"changed: {target}"
    assert Path(build.script).name == "hello.py"
    await harness.expect_only_marker_next(harness.folder / "marker.txt")


@pytest.mark.parametrize("folder_name", [".brigtui", ".git", "__pycache__", "sub/__pycache__"])
async def test_state_folders_no_rerun(harness: Harness, folder_name: str) -> None:
    folder = harness.folder / folder_name
    folder.mkdir(parents=True)
    for number in range(5):
        (folder / f"file{number}").write_text("x\n")
    (folder / "file0").unlink()

    await harness.expect_only_marker_next(harness.folder / "marker.txt")


# Bursts and constant writes


def git(folder: Path, *args: str) -> None:
    environment = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
        cwd=folder, env=environment, check=True, capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
async def test_git_checkout_200_files_one_rerun(
    tmp_path: Path, harnesses: list[Harness]
) -> None:
    folder = make_folder(tmp_path)
    (folder / "data").mkdir()
    (folder / "data" / "README").write_text("data files\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "start")
    git(folder, "checkout", "-q", "-b", "burst")
    for number in range(200):
        (folder / "data" / f"f{number:03}.txt").write_text(f"{number}\n")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "200 files")
    git(folder, "checkout", "-q", "main")
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()

    await asyncio.to_thread(git, folder, "checkout", "-q", "burst")
    build = await harness.next_build()
    assert build.trigger == "changed: data/f000.txt, data/f001.txt, data/f002.txt and 197 more"
    await harness.expect_only_marker_next(folder / "marker.txt")

    await asyncio.to_thread(git, folder, "checkout", "-q", "main")
    build = await harness.next_build()
    assert build.trigger == "deleted: data/f000.txt, data/f001.txt, data/f002.txt and 197 more"
    await harness.expect_only_marker_next(folder / "marker.txt")


async def test_constant_writes_rerun_before_they_stop(harness: Harness) -> None:
    path = harness.folder / "animals.txt"

    async def write_constantly() -> None:
        for number in range(60):  # every 50 ms for 3 s
            path.write_text(f"rhino {number}\n")
            await asyncio.sleep(0.05)

    writer = asyncio.create_task(write_constantly())
    try:
        build = await harness.next_build()
        assert not writer.done(), "the first rerun came only after the writes stopped"
        assert build.trigger == "changed: animals.txt"
    finally:
        await writer


# The folder going away


async def test_folder_removed_and_recreated(harness: Harness, tmp_path: Path) -> None:
    folder = harness.folder
    spare = make_folder(tmp_path / "spare")
    shutil.rmtree(folder)
    await harness.wait_state(lambda state: state.status == "missing")

    os.rename(spare, folder)  # the folder returns complete, in one step
    await harness.wait_state(lambda state: state.status == "watching")
    (folder / "animals.txt").write_text("lion\n")
    build = await harness.next_build()
    assert build.trigger == "changed: animals.txt"


async def test_folder_renamed_and_back(harness: Harness, tmp_path: Path) -> None:
    folder = harness.folder
    moved = tmp_path / "moved"
    os.rename(folder, moved)
    await harness.wait_state(lambda state: state.status == "missing")
    (moved / "ignored-while-away.txt").write_text("x\n")

    os.rename(moved, folder)
    await harness.wait_state(lambda state: state.status == "watching")
    await harness.expect_only_marker_next(folder / "marker.txt")


async def test_folder_missing_at_start(tmp_path: Path, harnesses: list[Harness]) -> None:
    spare = make_folder(tmp_path / "spare")
    folder = tmp_path / "pipelines"
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    harness.task = asyncio.create_task(harness.controller.run())
    await harness.wait_state(lambda state: state.status == "missing")

    os.rename(spare, folder)
    await harness.wait_state(lambda state: state.status == "watching")
    await harness.expect_only_marker_next(folder / "marker.txt")


# Reruns while a build runs


async def test_change_cancels_running_build(tmp_path: Path, harnesses: list[Harness]) -> None:
    folder = make_folder(tmp_path, {"slow.py": SLOW_SCRIPT})
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()

    (folder / "animals.txt").write_text("one\n")
    first = await harness.next_build()
    await wait_for_processes(first.build_id)

    (folder / "marker.txt").write_text("two\n")
    second = await harness.next_build()
    assert second.trigger == "changed: marker.txt"
    ended = await harness.finished(first.build_id)
    assert ended.status == "cancelled"
    assert harness.messages.index(ended) < harness.messages.index(second)
    assert running_pids(first.build_id) == []
    assert list(harness.engine.running) == [second.build_id]


async def test_change_queues_behind_running_build(
    tmp_path: Path, harnesses: list[Harness]
) -> None:
    folder = make_folder(tmp_path, {"slow.py": SLOW_SCRIPT})
    (folder / "brigtui.yaml").write_text("watch:\n  on_change: queue\n")
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()

    (folder / "animals.txt").write_text("one\n")
    first = await harness.next_build()
    await wait_for_processes(first.build_id)

    # Two more changes wait as one queued rerun; the running build goes on.
    (folder / "animals.txt").write_text("two\n")
    await harness.wait_state(lambda state: len(state.queued) == 1)
    (folder / "marker.txt").write_text("three\n")
    state = await harness.wait_state(
        lambda state: len(state.queued) == 1 and "marker.txt" in state.queued[0].trigger
    )
    assert state.queued[0].trigger == "changed: animals.txt, marker.txt"
    assert harness.started.empty()
    assert first.build_id in harness.engine.running
    assert running_pids(first.build_id) != []

    # When the running build ends, the queued rerun starts.
    harness.engine.cancel_build(first.build_id)
    second = await harness.next_build()
    assert second.trigger == "changed: animals.txt, marker.txt"
    assert (await harness.finished(first.build_id)).status == "cancelled"
    assert running_pids(first.build_id) == []
    assert harness.controller.state.queued == ()


# Manual mode and events


async def test_manual_mode_keeps_changes_pending(
    tmp_path: Path, harnesses: list[Harness]
) -> None:
    folder = make_folder(tmp_path)
    harness = Harness(folder, tmp_path / "state", auto_rerun=False)
    harnesses.append(harness)
    await harness.start()

    (folder / "animals.txt").write_text("one\n")
    await harness.wait_state(lambda state: len(state.pending) == 1)
    (folder / "hello.py").write_text(FAST_SCRIPT + "\n")
    state = await harness.wait_state(lambda state: "hello.py" in state.pending[0].trigger)
    assert len(state.pending) == 1
    assert state.last_trigger == "changed: hello.py"
    assert harness.started.empty()
    assert harness.engine.running == {}

    harness.controller.run_pending()
    build = await harness.next_build()
    assert build.trigger == "changed: animals.txt, hello.py"
    assert harness.controller.state.pending == ()


async def test_auto_rerun_on_runs_pending(tmp_path: Path, harnesses: list[Harness]) -> None:
    folder = make_folder(tmp_path)
    harness = Harness(folder, tmp_path / "state", auto_rerun=False)
    harnesses.append(harness)
    await harness.start()

    (folder / "animals.txt").write_text("one\n")
    await harness.wait_state(lambda state: len(state.pending) == 1)
    harness.controller.set_auto_rerun(True)
    build = await harness.next_build()
    assert build.trigger == "changed: animals.txt"
    await harness.expect_only_marker_next(folder / "marker.txt")


async def test_rerun_uses_settings_event(tmp_path: Path, harnesses: list[Harness]) -> None:
    script = FAST_SCRIPT.replace('events.on("exec")', 'events.on("push")')
    folder = make_folder(tmp_path, {"hello.py": script})
    (folder / "brigtui.yaml").write_text("watch:\n  event: push\n")
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()

    (folder / "animals.txt").write_text("one\n")
    build = await harness.next_build()
    assert build.event == "push"
    assert (await harness.finished(build.build_id)).status == "succeeded"


async def test_rerun_uses_script_current_event(harness: Harness) -> None:
    harness.controller.set_event(harness.folder / "hello.py", "deploy", {"env": "test"})

    (harness.folder / "animals.txt").write_text("one\n")
    build = await harness.next_build()
    assert build.event == "deploy"
    finished = await harness.finished(build.build_id)
    assert finished.status == "failed"
    assert "no handler for event 'deploy'" in (finished.error or "")


async def test_deleted_script_reruns_nothing(tmp_path: Path, harnesses: list[Harness]) -> None:
    folder = make_folder(tmp_path, {"a.py": FAST_SCRIPT, "b.py": FAST_SCRIPT})
    harness = Harness(folder, tmp_path / "state")
    harnesses.append(harness)
    await harness.start()

    (folder / "a.py").unlink()
    (folder / "marker.txt").write_text("after\n")
    build = await harness.next_build()
    assert Path(build.script).name == "b.py"
    assert build.trigger == "changed: marker.txt"
    assert harness.started.empty()


async def test_invalid_settings_reported(harness: Harness) -> None:
    (harness.folder / "brigtui.yaml").write_text("watch:\n  on_change: later\n")
    state = await harness.wait_state(lambda state: state.error is not None)
    assert "brigtui.yaml" in (state.error or "")
    assert "on_change" in (state.error or "")
    assert harness.started.empty()

    (harness.folder / "brigtui.yaml").write_text("watch:\n  on_change: cancel\n")
    build = await harness.next_build()
    assert build.trigger == "changed: brigtui.yaml"
    assert harness.controller.state.error is None


# Headless: brigtui run --watch


async def test_watch_and_run_reruns_until_cancelled(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    engine = Engine(folder, state_dir=tmp_path / "state")
    lines: list[str] = []
    finished: list[BuildFinished] = []
    printed = asyncio.Event()

    def on_line(line: str) -> None:
        lines.append(line)
        printed.set()

    def on_message(message: EngineMessage) -> None:
        if isinstance(message, BuildFinished):
            finished.append(message)
            printed.set()

    async def wait_until(condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not condition():
                printed.clear()
                await printed.wait()

    def printed_with(text: str) -> list[str]:
        return [line for line in lines if text in line]

    engine.subscribe(on_message)
    task = asyncio.create_task(watch_and_run(engine, folder / "hello.py", "exec", on_line))
    try:
        await wait_until(lambda: len(finished) == 1 and bool(printed_with("watch: watching")))
        assert printed_with("of hello.py (first run)")
        assert finished[0].status == "succeeded"

        (folder / "animals.txt").write_text("lion\n")
        await wait_until(lambda: len(finished) == 2)
        assert printed_with("of hello.py (changed: animals.txt)")
        assert finished[1].status == "succeeded"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.close()
    assert engine.running == {}
    assert len(printed_with("watch: build ")) == 2


async def test_watch_and_run_cleans_up_on_cancel(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, {"slow.py": SLOW_SCRIPT})
    engine = Engine(folder, state_dir=tmp_path / "state")
    started: list[str] = []
    engine.subscribe(
        lambda message: started.append(message.build_id)
        if isinstance(message, BuildStarted) else None
    )
    task = asyncio.create_task(watch_and_run(engine, folder / "slow.py", on_line=lambda _: None))
    try:
        async with asyncio.timeout(TIMEOUT):
            while not started:
                await asyncio.sleep(0.05)
        await wait_for_processes(started[0])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.close()
    assert engine.running == {}
    assert running_pids(started[0]) == []


# The engine stays free of Textual


def test_watch_modules_import_without_textual() -> None:
    code = (
        "import sys, brigtui.engine.rerun, brigtui.engine.watcher; "
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'textual'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_watcher_rejects_inconsistent_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="small_batch_debounce_ms"):
        FolderWatcher(tmp_path, debounce_ms=100, small_batch_debounce_ms=200)
    with pytest.raises(ConfigError, match="max_delay_ms"):
        FolderWatcher(tmp_path, debounce_ms=3000, max_delay_ms=2000)


async def test_rerun_keeps_newest_build_event(harness: Harness) -> None:
    script = harness.folder / "hello.py"
    script.write_text(FAST_SCRIPT + '\n@events.on("push")\nasync def push(event, project):\n'
                      '    print("payload", event.payload)\n')
    build = await harness.next_build()
    assert build.event == "exec"
    await harness.finished(build.build_id)

    manual = harness.engine.start_build(BuildRequest(script, "push", {"ref": "main"}))
    assert (await harness.finished(manual.id)).status == "succeeded"
    await harness.next_build()  # the manual build's own start message

    (harness.folder / "animals.txt").write_text("lion\n")
    rerun = await harness.next_build()
    assert rerun.event == "push"
    assert rerun.trigger == "changed: animals.txt"
    assert (await harness.finished(rerun.build_id)).status == "succeeded"
    log = (harness.engine.state_dir / "builds" / rerun.build_id / "build.log").read_text()
    assert "payload {'ref': 'main'}" in log


async def test_watch_and_run_folder_needs_event(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    engine = Engine(folder, state_dir=tmp_path / "state")
    try:
        with pytest.raises(UsageError, match="registers 'deploy'"):
            await watch_and_run(engine, folder, "deploy", on_line=lambda _: None)
    finally:
        engine.close()
