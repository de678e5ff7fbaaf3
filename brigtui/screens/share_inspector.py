"""The share inspector: browse a build's share, preview and download files, open a shell.

Every backend call blocks (a debug pod may take seconds to start), so each runs in a thread
worker that posts a message back. The backend is opened when the screen mounts and closed
when it leaves, which deletes the debug pod or container.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static, Tree
from textual.worker import Worker, WorkerState, get_current_worker

from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.masking import Masker
from brigtui.share.backends import inspector_for
from brigtui.share.download import DownloadConflict, DownloadReport, download
from brigtui.share.inspector import Entry, ShareInspector, ShareNotFound, display_path
from brigtui.share.sizes import human_size
from brigtui.widgets.share_dialogs import DownloadDialog, OverwriteDialog
from brigtui.widgets.share_preview import HEAD_BYTES, TAIL_BYTES, PreviewData, SharePreview, render_preview
from brigtui.widgets.share_tree import ShareTree

logger = logging.getLogger(__name__)

BackendFactory = Callable[[], ShareInspector]
CLOSE_WAIT = 10.0
"""Seconds leaving the screen waits for the backend to delete its pod or container."""


@dataclass
class InspectorOpened(Message):
    """The backend is ready (its debug pod or container runs)."""

    where: str


@dataclass
class FolderListed(Message):
    """A folder's entries were read."""

    path: str
    entries: list[Entry]


@dataclass
class ShareMeasured(Message):
    """The whole share was measured: regular files and their bytes."""

    files: int
    size: int


@dataclass
class PreviewLoaded(Message):
    """The head (and tail) of the highlighted file were read."""

    data: PreviewData


@dataclass
class DownloadProgressed(Message):
    """More bytes of a download were written; merged so floods cost one update."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DownloadProgressed)


@dataclass
class DownloadFinished(Message):
    """A download ended; `report` is None when it failed."""

    dest: Path
    report: DownloadReport | None


class ShareInspectorScreen(Screen[None]):
    """A build's share through its backend; Esc closes the backend and goes back."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("d", "download", "Download"),
        Binding("t", "shell", "Shell"),
        Binding("r", "refresh", "Refresh"),
        Binding("x", "cancel_download", "Cancel download", show=False),
    ]
    DEFAULT_CSS = """
    ShareInspectorScreen #share-title { height: 1; background: $panel; }
    ShareInspectorScreen #share-body { height: 1fr; }
    ShareInspectorScreen ShareTree { width: 3fr; }
    ShareInspectorScreen SharePreview { width: 2fr; border-left: solid $panel; }
    ShareInspectorScreen #share-status { height: 1; }
    ShareInspectorScreen #share-progress { height: 1; display: none; }
    ShareInspectorScreen #share-progress.active { display: block; }
    """

    def __init__(
        self, backend_factory: BackendFactory, build_id: str, masker: Masker | None = None
    ) -> None:
        super().__init__()
        self.backend_factory = backend_factory
        self.build_id = build_id
        self.masker = masker or Masker()
        """Masks secret values in previews; downloads keep the exact bytes."""
        self.inspector: ShareInspector | None = None
        self._download_cancelled = threading.Event()
        self._pending_download: tuple[str, Path] = ("", Path())
        self.where = ""
        self._closed = False

    def compose(self) -> ComposeResult:
        yield Static(f"share of build {self.build_id}: opening…", id="share-title")
        with Horizontal(id="share-body"):
            yield ShareTree(id="share-tree")
            yield SharePreview()
        yield ProgressBar(id="share-progress", show_eta=False)
        yield Static("", id="share-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ShareTree).focus()
        self.open_backend()

    # Workers: each blocking call in a thread, each result a message

    @work(thread=True, exclusive=True, group="share-open", exit_on_error=False)
    def open_backend(self) -> None:
        inspector = self.backend_factory()
        inspector.open()
        self.inspector = inspector
        if self._closed:
            inspector.close()
            return
        self.post_message(InspectorOpened(inspector.where))
        self.post_message(FolderListed("", inspector.list_dir("")))
        self.post_message(ShareMeasured(*inspector.measure("")))

    @work(thread=True, group="share-list", exit_on_error=False)
    def load_folder(self, path: str) -> None:
        inspector = self.inspector
        if inspector is not None:
            self.post_message(FolderListed(path, inspector.list_dir(path)))

    @work(thread=True, exclusive=True, group="share-preview", exit_on_error=False)
    def load_preview(self, entry: Entry) -> None:
        inspector = self.inspector
        if inspector is None:
            return
        head = inspector.read(entry.path, 0, HEAD_BYTES)
        tail = b""
        if entry.size > HEAD_BYTES + TAIL_BYTES:
            tail = inspector.read(entry.path, entry.size - TAIL_BYTES, TAIL_BYTES)
        if not get_current_worker().is_cancelled:
            head, tail = self.masker.bytes(head), self.masker.bytes(tail)
            self.post_message(PreviewLoaded(PreviewData(entry.path, entry.size, head, tail)))

    @work(thread=True, exclusive=True, group="share-download", exit_on_error=False)
    def run_download(self, path: str, dest: Path, overwrite: bool) -> None:
        inspector = self.inspector
        if inspector is None:
            return
        self._download_cancelled.clear()

        def progress(done: int, total: int, _name: str) -> None:
            self.post_message(DownloadProgressed(done, total))

        try:
            report = download(inspector, path, dest, overwrite=overwrite, progress=progress,
                              cancelled=self._download_cancelled.is_set)
        except BaseException:
            self.post_message(DownloadFinished(dest, None))
            raise
        self.post_message(DownloadFinished(dest, report))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show every failed worker in the status line and as a notification."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DownloadConflict):
            self._ask_overwrite(error)
            return
        message = str(error) if isinstance(error, BrigtuiError) else f"{type(error).__name__}: {error}"
        logger.warning("Share inspector worker %s failed: %s", event.worker.name, message)
        self._status(message, error=True)
        self.notify(message, severity="error", timeout=10)
        if event.worker.group == "share-preview":
            self.query_one(SharePreview).show_message(message, "red")

    # Messages from the workers

    def on_inspector_opened(self, message: InspectorOpened) -> None:
        self.where = message.where
        self.query_one("#share-title", Static).update(f"share of build {self.build_id} — {message.where}")

    def on_share_measured(self, message: ShareMeasured) -> None:
        self.query_one("#share-title", Static).update(
            f"share of build {self.build_id}: {message.files} files, {human_size(message.size)} "
            f"— {self.where}"
        )

    def on_folder_listed(self, message: FolderListed) -> None:
        tree = self.query_one(ShareTree)
        tree.show_entries(message.path, message.entries)
        node = tree.node_for(message.path)
        if node is not None:
            node.expand()
        total = sum(entry.size for entry in message.entries if entry.kind == "file")
        where = display_path(message.path)
        count = len(message.entries)
        entries = "1 entry" if count == 1 else f"{count} entries"
        self._status(f"{where}: {entries}, {human_size(total)} in files")

    def on_preview_loaded(self, message: PreviewLoaded) -> None:
        self.query_one(SharePreview).show(render_preview(message.data))

    def on_download_progressed(self, message: DownloadProgressed) -> None:
        bar = self.query_one("#share-progress", ProgressBar)
        bar.update(total=max(1, message.total), progress=message.done)

    def on_download_finished(self, message: DownloadFinished) -> None:
        self.query_one("#share-progress", ProgressBar).remove_class("active")
        report = message.report
        if report is None:
            return
        text = f"downloaded {report.files} files ({human_size(report.bytes)}) into {message.dest}"
        if report.skipped:
            text += f"; {len(report.skipped)} skipped: {report.skipped[0]}"
        self._status(text, error=bool(report.skipped))
        self.notify(text)

    # Tree events

    @on(Tree.NodeExpanded, "#share-tree")
    def folder_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        entry = event.node.data
        tree = self.query_one(ShareTree)
        if entry is not None and self.inspector is not None and entry.path not in tree.loaded:
            self.load_folder(entry.path)

    @on(Tree.NodeHighlighted, "#share-tree")
    def entry_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        entry = event.node.data
        if entry is None or self.inspector is None:
            return
        preview = self.query_one(SharePreview)
        if entry.kind == "file":
            preview.show_message(f"reading {display_path(entry.path)}…", "dim")
            self.load_preview(entry)
        elif entry.kind == "link":
            preview.show_message(f"{display_path(entry.path)} is a symbolic link to "
                                 f"{display_path(entry.link_target or '')}; it is shown, not followed")
        else:
            preview.show_message(f"{display_path(entry.path) or 'share'}: {entry.kind}, "
                                 f"{entry.permissions}")

    # Actions

    def _selected(self) -> Entry | None:
        node = self.query_one(ShareTree).cursor_node
        return node.data if node is not None else None

    def action_download(self) -> None:
        entry = self._selected()
        if entry is None or self.inspector is None:
            return
        what = display_path(entry.path) if entry.path else "the whole share"

        def chosen(dest: str | None) -> None:
            if dest:
                self._start_download(entry.path, Path(dest).expanduser(), overwrite=False)

        self.app.push_screen(DownloadDialog(what, str(Path.cwd())), chosen)

    def _start_download(self, path: str, dest: Path, overwrite: bool) -> None:
        self._pending_download = (path, dest)
        bar = self.query_one("#share-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("active")
        self._status(f"downloading {display_path(path)} into {dest}… (x cancels)")
        self.run_download(path, dest, overwrite)

    def _ask_overwrite(self, conflict: DownloadConflict) -> None:
        path, dest = self._pending_download

        def answered(overwrite: bool | None) -> None:
            if overwrite:
                self._start_download(path, dest, overwrite=True)
            else:
                self._status("download cancelled; nothing was overwritten")

        self.app.push_screen(OverwriteDialog(str(conflict)), answered)

    def action_cancel_download(self) -> None:
        self._download_cancelled.set()

    def action_refresh(self) -> None:
        if self.inspector is None:
            return
        tree = self.query_one(ShareTree)
        expanded = sorted(tree.loaded)
        tree.forget()
        for path in expanded:
            self.load_folder(path)

    def action_shell(self) -> None:
        if self.inspector is None:
            return
        try:
            with self.app.suspend():
                code = self.inspector.run_shell()
        except SuspendNotSupported:
            self._status("this terminal cannot hand over to a shell; use `brigtui share` instead",
                         error=True)
            return
        except BrigtuiError as error:
            self._status(str(error), error=True)
            return
        self._status(f"the shell ended with exit code {code}")

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._closed = True
        inspector, self.inspector = self.inspector, None
        if inspector is None:
            return

        # Wait for the deletion, because the app may quit right after. An unreachable cluster
        # must not hang the app, so the wait is bounded and the pod's deadline removes it later.
        closer = threading.Thread(target=inspector.close, name="share-close", daemon=True)
        closer.start()
        closer.join(CLOSE_WAIT)
        if closer.is_alive():
            logger.warning("The share inspector of build %s did not close within %g s; its debug "
                           "pod or container ends at its deadline.", self.build_id, CLOSE_WAIT)

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#share-status", Static)
        status.update(text)
        status.set_class(error, "error")


def share_screen_for(engine: Engine, build_id: str) -> ShareInspectorScreen:
    """Return the inspector screen of one of the engine's builds, on the executor that ran it.

    `build_id` may also be a unique prefix of an id, or `last` for the newest build.
    """

    def factory() -> ShareInspector:
        build = engine.store.find_build(build_id)
        if build is None:
            raise ShareNotFound(f"build {build_id} is not recorded in {engine.state_dir} (or the "
                                "prefix is ambiguous)")
        return inspector_for(build, engine.load_settings(), engine.state_dir)

    return ShareInspectorScreen(factory, build_id, engine.secret_masker())
