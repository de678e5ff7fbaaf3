"""Pilot tests of the share inspector screen, pushed by a small app of their own."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from brigtui.engine.engine import Engine
from brigtui.screens.share_inspector import ShareInspectorScreen, share_screen_for
from brigtui.share.inspect_local import LocalInspector
from brigtui.share.inspector import Entry, ShareInspector
from brigtui.widgets.share_dialogs import OverwriteDialog
from brigtui.widgets.share_preview import HEAD_BYTES, TAIL_BYTES, SharePreview
from brigtui.widgets.share_tree import BATCH, ShareTree
from tests.share.test_local_end_to_end import failed_build


class CountingInspector(LocalInspector):
    """The local backend, counting the reads, shells and closes the screen requests."""

    def __init__(self, share: Path) -> None:
        super().__init__(share, "b1")
        self.bytes_read = 0
        self.closed = 0
        self.shells = 0

    def read(self, path: str, offset: int, length: int) -> bytes:
        data = super().read(path, offset, length)
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        self.closed += 1

    def run_shell(self) -> int:
        self.shells += 1
        return 7


class InspectorApp(App[None]):
    def __init__(self, inspector: ShareInspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.suspended = 0

    def on_mount(self) -> None:
        self.push_screen(ShareInspectorScreen(lambda: self.inspector, "b1"))

    @contextmanager
    def suspend(self) -> Iterator[None]:  # the headless driver cannot suspend; count the calls
        self.suspended += 1
        yield


async def settle(pilot: Pilot[None]) -> None:
    """Wait for workers, their messages and every batch of tree rows."""
    for _ in range(400):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not tree(pilot).pending and not pilot.app.workers:
            return
    raise AssertionError("the screen did not settle")


def screen(pilot: Pilot[None]) -> ShareInspectorScreen:
    return next(item for item in pilot.app.screen_stack if isinstance(item, ShareInspectorScreen))


def tree(pilot: Pilot[None]) -> ShareTree:
    return screen(pilot).query_one(ShareTree)


def labels(pilot: Pilot[None]) -> list[str]:
    return [str(node.label) for node in tree(pilot).root.children]


def preview_text(pilot: Pilot[None]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(pilot.app.screen.query_one(SharePreview).shown)
    return console.export_text()


def select(pilot: Pilot[None], path: str) -> None:
    share_tree = tree(pilot)
    for line in range(share_tree.last_line + 1):
        node = share_tree.get_node_at_line(line)
        if node is not None and node.data is not None and node.data.path == path:
            share_tree.cursor_line = line
            return
    raise AssertionError(f"{path!r} is not in the tree")


async def test_tree_lists_share(share: Path) -> None:
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        names = [label.split(" ")[0] for label in labels(pilot)]
        assert "data/" in names
        assert "report.txt" in " ".join(labels(pilot))
        status = str(pilot.app.screen.query_one("#share-status", Static).render())
        assert f"{len(os.listdir(share))} entries" in status


async def test_odd_names_escaped(share: Path) -> None:
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        text = "\n".join(labels(pilot))
        assert "new\\nline.txt" in text
        assert "tab\\tand\\x1bescape" in text
        assert "caf\\xe9-latin1.txt" in text
        assert "\x1b" not in text
        assert "absolute-out" in text
        assert "-> /etc/passwd" in text

        select(pilot, "new\nline.txt")
        await settle(pilot)
        assert "newline" in preview_text(pilot)


async def test_preview_text_and_hex(share: Path) -> None:
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        select(pilot, "report.txt")
        await settle(pilot)
        assert "line two" in preview_text(pilot)

        await pilot.press("down")  # onto the sub folder "data", then open it
        select(pilot, "data")
        await pilot.press("enter")
        await settle(pilot)
        select(pilot, "data/blob.bin")
        await settle(pilot)
        assert "00000000  00 01 02 03" in preview_text(pilot)


async def test_large_file_preview_capped(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (share / "big.log").write_bytes(b"".join(b"line %07d\n" % n for n in range(200_000)))
    inspector = CountingInspector(share)
    app = InspectorApp(inspector)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        select(pilot, "big.log")
        await settle(pilot)
        text = preview_text(pilot)
        assert "line 0000000" in text
        assert "line 0199999" in text
        assert "not shown" in text
        assert inspector.bytes_read <= HEAD_BYTES + TAIL_BYTES


async def test_download_with_progress(share: Path, tmp_path: Path) -> None:
    dest = tmp_path / "downloads"
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        select(pilot, "data")
        await pilot.press("d")
        await pilot.pause()
        pilot.app.screen.query_one("#share-dest", Input).value = str(dest)
        await pilot.press("enter")
        await settle(pilot)
        assert (dest / "data" / "blob.bin").read_bytes() == (share / "data" / "blob.bin").read_bytes()
        bar = pilot.app.screen.query_one("#share-progress", ProgressBar)
        assert bar.progress == bar.total
        assert "downloaded 2 files" in str(pilot.app.screen.query_one("#share-status", Static).render())


async def test_download_asks_before_overwrite(share: Path, tmp_path: Path) -> None:
    dest = tmp_path / "downloads"
    dest.mkdir()
    (dest / "report.txt").write_bytes(b"mine")
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for answer, expected in (("n", b"mine"), ("y", b"line one\nline two\n")):
            select(pilot, "report.txt")
            await pilot.press("d")
            await pilot.pause()
            pilot.app.screen.query_one("#share-dest", Input).value = str(dest)
            await pilot.press("enter")
            await settle(pilot)
            dialog = pilot.app.screen
            assert isinstance(dialog, OverwriteDialog)
            assert "report.txt already exists" in dialog.message
            await pilot.press(answer)
            await settle(pilot)
            assert (dest / "report.txt").read_bytes() == expected


async def test_folder_of_10000_loads(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    for number in range(10_000):
        (share / f"file-{number:05d}").touch()
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert len(tree(pilot).root.children) == 10_000
        await pilot.press("end")
        await pilot.pause()
        node = tree(pilot).cursor_node
        assert node is not None and node.data is not None
        assert node.data.name == "file-09999"


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ShareTree()


async def test_tree_adds_rows_in_batches() -> None:
    entries = [Entry(f"file-{number:05d}", "file", 1, 0o100644, 0.0) for number in range(10_000)]
    async with TreeApp().run_test() as pilot:
        share_tree = pilot.app.query_one(ShareTree)
        share_tree.show_entries("", entries)
        assert len(share_tree.root.children) == BATCH
        assert share_tree.pending[""][0].name == f"file-{BATCH:05d}"
        await pilot.pause()
        assert len(share_tree.root.children) == 10_000
        assert share_tree.pending == {}


async def test_refresh_shows_new_files(share: Path) -> None:
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        (share / "late.txt").write_text("late\n")
        await pilot.press("r")
        await settle(pilot)
        assert any(label.startswith("late.txt") for label in labels(pilot))


async def test_shell_suspends_app(share: Path) -> None:
    inspector = CountingInspector(share)
    app = InspectorApp(inspector)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert inspector.shells == 1
        assert app.suspended == 1
        assert "exit code 7" in str(pilot.app.screen.query_one("#share-status", Static).render())


async def test_leaving_closes_backend(share: Path) -> None:
    inspector = CountingInspector(share)
    app = InspectorApp(inspector)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert inspector.closed == 0
        await pilot.press("escape")
        await pilot.pause()
        assert inspector.closed == 1


async def test_open_failure_shown(tmp_path: Path) -> None:
    app = InspectorApp(LocalInspector(tmp_path / "gone", "b1"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        status = str(pilot.app.screen.query_one("#share-status", Static).render())
        assert "no share folder" in status


async def test_screen_for_engine_build(tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    engine, build = await failed_build(folder)
    try:
        app = EngineApp(engine, build.id)
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            assert [label.split(" ")[0] for label in labels(pilot)] == ["out/"]
            title = str(screen(pilot).query_one("#share-title", Static).render())
            assert "2 files" in title
            assert "local folder" in title
        app = EngineApp(engine, "last")
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            assert [label.split(" ")[0] for label in labels(pilot)] == ["out/"]
    finally:
        engine.close()


class EngineApp(App[None]):
    def __init__(self, engine: Engine, build_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.build_id = build_id

    def on_mount(self) -> None:
        self.push_screen(share_screen_for(self.engine, self.build_id))


async def test_small_terminal_still_lists(share: Path) -> None:
    app = InspectorApp(CountingInspector(share))
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        assert len(labels(pilot)) == len(os.listdir(share))
        select(pilot, "report.txt")
        await settle(pilot)
        assert "line one" in preview_text(pilot)
