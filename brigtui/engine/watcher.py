"""Watching a pipelines folder: debounced batches of relevant file changes.

`FolderWatcher` wraps `watchfiles.awatch` (kept at a short debounce of its own) and adds
the debounce that reruns need. A batch comes out after `debounce_ms` of quiet, or
`max_delay_ms` after its first change while writes go on. A batch of at most three files
(an editor save) needs only `small_batch_debounce_ms` of quiet. Editor temporary files and
state folders never reach a batch, and a file that was created and removed again inside
one batch (the temporary file of an atomic save) is dropped. No UI toolkit is imported
here, so `brigtui run --watch` uses the same watcher as the TUI.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from brigtui.config import WatchSettings
from brigtui.engine.errors import ConfigError

logger = logging.getLogger(__name__)

IGNORED_DIRS = frozenset({
    ".brigtui", ".git", "__pycache__", ".hg", ".svn", ".venv", "node_modules", ".idea",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".hypothesis",
})
"""Folder names whose contents never trigger a rerun (state, version control, caches)."""

_IGNORED_NAME = re.compile(
    r"""
    ^\..*\.sw[a-px]$          # vim swap files: .name.swp, .swo, ... and the .swx probe
    | ~$                      # vim and emacs backups: name~, emacs numbered name.~1~
    | ^\#.*\#$                # emacs auto-save files: #name#
    | ^\.\#                   # emacs lock symlinks: .#name
    | ___jb_(tmp|old|bak)___$ # JetBrains safe-write files
    | \.vsctmp$               # VS Code atomic writes
    | \.kate-swp$             # Kate swap files
    | ^\.goutputstream-       # gedit and other GIO atomic writes
    | ^\.~lock\..*\#$         # LibreOffice locks
    | ^\.nfs[0-9a-f]{8,}      # NFS silly-renamed files
    | \.(tmp|temp|part|partial|crdownload|download)$  # temporary and partial downloads
    | ^\.DS_Store$ | ^\._     # macOS folder metadata and AppleDouble files
    | \.py[cod]$              # compiled Python
    """,
    re.VERBOSE | re.IGNORECASE,
)

_VIM_PROBE_FIRST = 4913
_VIM_PROBE_STEP = 123
"""Vim tests that it may write a folder by creating a file named 4913 (then 5036, ...)."""

SMALL_BATCH_FILES = 3
"""A batch of at most this many paths (after filtering) is an editor save, not a burst:
vim, emacs, JetBrains and VS Code saves leave one path, an atomic save through an unknown
temporary name two."""

_RUST_DEBOUNCE_MS = 50
_RUST_STEP_MS = 10
"""watchfiles' own grouping, kept short: the debounce that matters happens in this module."""


def is_ignored_name(name: str) -> bool:
    """True for a file name that editors, tools or the OS write as a side effect."""
    if _IGNORED_NAME.search(name):
        return True
    if name.isdigit() and len(name) <= 6:
        number = int(name)
        return number >= _VIM_PROBE_FIRST and (number - _VIM_PROBE_FIRST) % _VIM_PROBE_STEP == 0
    return False


def is_ignored(path: Path, folder: Path) -> bool:
    """True when a change of `path` (inside `folder`) must never trigger a rerun."""
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        return True
    if not parts:
        return False  # the folder itself: its removal matters
    if any(part in IGNORED_DIRS for part in parts):
        return True
    return is_ignored_name(parts[-1])


@dataclass(frozen=True)
class FileChange:
    """A file of the watched folder that was written, created or deleted."""

    path: Path
    deleted: bool = False


@dataclass(frozen=True)
class WatchStarted:
    """The watch is active: changes from now on are reported."""

    folder: Path


@dataclass(frozen=True)
class FilesChanged:
    """One debounced batch of changes, each path once, sorted."""

    folder: Path
    changes: tuple[FileChange, ...]


@dataclass(frozen=True)
class FolderMissing:
    """The watched folder was removed or renamed; the watcher polls for its return."""

    folder: Path


@dataclass(frozen=True)
class FolderReturned:
    """The watched folder exists again and the watch is active again."""

    folder: Path


WatchEvent = WatchStarted | FilesChanged | FolderMissing | FolderReturned


class _FolderGone(Exception):
    """The watched folder vanished during a watch session."""


class _RestartWatch(Exception):
    """The watch session must start again (for example in polling mode)."""


class _PendingBatch:
    """Raw changes collected since the last batch, with the times for the debounce."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[watchfiles.Change]] = {}
        self.first = 0.0
        self.last = 0.0

    def add(self, raw: set[tuple[watchfiles.Change, str]]) -> None:
        now = time.monotonic()
        if not self.kinds:
            self.first = now
        self.last = now
        for change, path in raw:
            self.kinds.setdefault(path, set()).add(change)

    def due_at(self, debounce: float, small_debounce: float, max_delay: float) -> float:
        quiet = small_debounce if len(self.kinds) <= SMALL_BATCH_FILES else debounce
        return min(self.last + quiet, self.first + max_delay)

    def take(self) -> tuple[FileChange, ...]:
        """Turn the raw changes into file changes, judged by what exists now."""
        changes: list[FileChange] = []
        for name, kinds in sorted(self.kinds.items()):
            path = Path(name)
            exists = os.path.lexists(path)
            if exists and path.is_dir() and not path.is_symlink():
                # Files in a folder report their own changes, unless the folder was moved in
                # whole. So a new folder counts when it contains anything but ignored files.
                if watchfiles.Change.added in kinds and _has_relevant_entries(path):
                    changes.append(FileChange(path))
                continue
            if not exists and watchfiles.Change.added in kinds:
                continue  # created and removed again: an atomic save's temporary file
            changes.append(FileChange(path, deleted=not exists))
        self.kinds.clear()
        return tuple(changes)


class FolderWatcher:
    """Watches a folder recursively and yields `WatchEvent`s until the caller stops."""

    def __init__(
        self,
        folder: Path,
        *,
        debounce_ms: int = 150,
        max_delay_ms: int = 2000,
        small_batch_debounce_ms: int = 50,
        poll_interval: float = 0.25,
    ) -> None:
        if not 0 <= small_batch_debounce_ms <= debounce_ms <= max_delay_ms:
            raise ConfigError(
                f"invalid watch settings: need 0 <= small_batch_debounce_ms "
                f"({small_batch_debounce_ms}) <= debounce_ms ({debounce_ms}) <= max_delay_ms "
                f"({max_delay_ms}); fix them in brigtui.yaml"
            )
        self.folder = folder.absolute()
        self.debounce = debounce_ms / 1000
        self.small_debounce = small_batch_debounce_ms / 1000
        self.max_delay = max_delay_ms / 1000
        self.poll_interval = poll_interval
        """Seconds between checks that the folder still exists (and, while missing, returned)."""
        self.force_polling = False

    @classmethod
    def from_settings(cls, folder: Path, settings: WatchSettings) -> FolderWatcher:
        return cls(
            folder,
            debounce_ms=settings.debounce_ms,
            max_delay_ms=settings.max_delay_ms,
            small_batch_debounce_ms=settings.small_batch_debounce_ms,
        )

    async def events(self) -> AsyncIterator[WatchEvent]:
        """Yield watch events; a missing folder is reported and polled for, not raised."""
        announce: WatchEvent | None = WatchStarted(self.folder)
        while True:
            gone = not self.folder.is_dir()
            if not gone:
                try:
                    async for event in self._session(announce):
                        yield event
                except _FolderGone:
                    gone = True
                except _RestartWatch:
                    announce = None
            if gone:
                logger.warning("The watched folder %s is missing; waiting for it.", self.folder)
                yield FolderMissing(self.folder)
                while not self.folder.is_dir():
                    await asyncio.sleep(self.poll_interval)
                logger.info("The watched folder %s is back; watching again.", self.folder)
                announce = FolderReturned(self.folder)

    async def _session(self, announce: WatchEvent | None) -> AsyncIterator[WatchEvent]:
        """Watch the folder while it stays the same folder; raise _FolderGone when it goes."""
        identity = _identity(self.folder)
        raw_queue: asyncio.Queue[set[tuple[watchfiles.Change, str]] | BaseException] = (
            asyncio.Queue()
        )
        stop = asyncio.Event()
        pump = asyncio.create_task(self._pump(raw_queue, stop), name=f"watch-{self.folder}")
        try:
            # The pump's first step sets up the inotify watches (awatch does that before
            # it first suspends), so after one pass of the event loop the watch is active.
            await asyncio.sleep(0)
            if announce is not None:
                yield announce
            async for changes in self._batches(raw_queue, identity):
                yield FilesChanged(self.folder, changes)
        finally:
            stop.set()
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _batches(
        self,
        raw_queue: asyncio.Queue[set[tuple[watchfiles.Change, str]] | BaseException],
        identity: tuple[int, int] | None,
    ) -> AsyncIterator[tuple[FileChange, ...]]:
        pending = _PendingBatch()
        root = str(self.folder)
        last_check = time.monotonic()
        while True:

            # Wait for raw changes, for the batch to fall due, or for the next folder check.
            now = time.monotonic()
            wait = self.poll_interval
            if pending.kinds:
                wait = min(wait, max(0.0, self._due_at(pending) - now))
            try:
                raw = await asyncio.wait_for(raw_queue.get(), wait)
            except TimeoutError:
                raw = None
            if isinstance(raw, BaseException):
                self._handle_pump_error(raw)
                raw = None
            if raw is not None:
                if (watchfiles.Change.deleted, root) in raw:
                    raise _FolderGone  # removed or moved: the inotify watch on it is dead
                pending.add(raw)

            # Check that the folder is still the one being watched.
            now = time.monotonic()
            if now - last_check >= self.poll_interval:
                last_check = now
                if _identity(self.folder) != identity:
                    raise _FolderGone

            # Hand out the batch once it is quiet long enough, or has waited too long.
            if pending.kinds and now >= self._due_at(pending):
                changes = pending.take()
                if changes:
                    yield changes

    def _due_at(self, pending: _PendingBatch) -> float:
        return pending.due_at(self.debounce, self.small_debounce, self.max_delay)

    def _handle_pump_error(self, error: BaseException) -> None:
        if not self.folder.is_dir():
            raise _FolderGone
        if isinstance(error, OSError) and not self.force_polling:
            # Most often the inotify watch limit (fs.inotify.max_user_watches); polling works.
            # NOTE: no test reaches this branch, because that limit is system-wide.
            logger.warning("Watching %s failed (%s); falling back to polling.", self.folder, error)
            self.force_polling = True
            raise _RestartWatch
        logger.error("Watching %s failed: %s", self.folder, error)
        raise error

    async def _pump(
        self,
        raw_queue: asyncio.Queue[set[tuple[watchfiles.Change, str]] | BaseException],
        stop: asyncio.Event,
    ) -> None:
        """Move raw change sets from watchfiles into the queue; hand over a failure too."""
        folder = self.folder
        try:
            async for raw in watchfiles.awatch(
                folder,
                watch_filter=lambda _change, path: not is_ignored(Path(path), folder),
                debounce=_RUST_DEBOUNCE_MS,
                step=_RUST_STEP_MS,
                stop_event=stop,
                force_polling=self.force_polling,
                poll_delay_ms=int(self.poll_interval * 1000),
                ignore_permission_denied=True,
            ):
                raw_queue.put_nowait(raw)
        except Exception as error:
            raw_queue.put_nowait(error)


def _has_relevant_entries(directory: Path) -> bool:
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    return any(name not in IGNORED_DIRS and not is_ignored_name(name) for name in names)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Device and inode of the folder, None when it is gone or no folder."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    if not os.path.isdir(folder):
        return None
    return (stat.st_dev, stat.st_ino)
