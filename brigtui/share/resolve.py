"""Resolving share paths on the host with file descriptors, the way openat2's RESOLVE_IN_ROOT does.

Each name is looked up relative to the descriptor of its parent with `O_NOFOLLOW`, so a
folder swapped for a link between two steps makes the open fail instead of leaving the
share. Links are followed only when their target stays inside the share: a relative
target is resolved from the link's folder and may not climb above the root, and an
absolute target must lie under /mnt/brigade/share (where jobs see the share).
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from brigtui.engine.executors.base import SHARE_MOUNT
from brigtui.share.inspector import (
    MAX_LINK_HOPS,
    ShareAccessDenied,
    ShareError,
    ShareEscape,
    ShareLinkLoop,
    ShareNotFound,
    display_path,
    permission_hint,
    split_path,
)

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Resolver:
    """Opens paths of one share folder on the host, never outside it."""

    def __init__(self, root: str) -> None:
        self.root = root

    @contextmanager
    def parent_of(self, path: str, follow_last: bool) -> Iterator[tuple[int, str | None]]:
        """Yield (folder descriptor, last name) for `path`; the name is None for the root.

        With `follow_last`, a link in the last component is followed (inside the share).
        """
        stack = [self._open_root()]
        try:
            name = self._walk(stack, path, follow_last)
            yield stack[-1], name
        finally:
            for descriptor in stack:
                os.close(descriptor)

    def open(self, path: str, flags: int) -> int:
        """Open `path` (links followed inside the share) with `flags | O_NOFOLLOW`."""
        with self.parent_of(path, follow_last=True) as (folder, name):
            try:
                if name is None:
                    return os.open(".", flags | os.O_CLOEXEC, dir_fd=folder)
                return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            except OSError as error:
                raise os_error(error, path) from None

    def lstat(self, path: str) -> os.stat_result:
        with self.parent_of(path, follow_last=False) as (folder, name):
            try:
                return os.stat(name or ".", dir_fd=folder, follow_symlinks=False)
            except OSError as error:
                raise os_error(error, path) from None

    def readlink(self, path: str) -> str:
        with self.parent_of(path, follow_last=False) as (folder, name):
            try:
                return os.readlink(name or ".", dir_fd=folder)
            except OSError as error:
                raise os_error(error, path) from None

    def _open_root(self) -> int:
        try:
            return os.open(self.root, _DIR_FLAGS)
        except FileNotFoundError:
            raise ShareNotFound(f"the share folder {self.root} does not exist any more") from None
        except OSError as error:
            raise os_error(error, "") from None

    def _walk(self, stack: list[int], path: str, follow_last: bool) -> str | None:
        pending = deque(split_path(path))
        hops = 0
        while pending:
            name = pending.popleft()
            if name == "..":
                # Only link targets bring `..`; it may not climb above the root.
                if len(stack) == 1:
                    raise ShareEscape(f"{display_path(path)}: a symbolic link on the way leaves the share")
                os.close(stack.pop())
                continue
            last = not pending
            try:
                info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
            except OSError as error:
                if last and error.errno == errno.ENOENT:
                    return name
                raise os_error(error, path) from None
            if stat.S_ISLNK(info.st_mode) and (follow_last or not last):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise ShareLinkLoop(
                        f"{display_path(path)}: more than {MAX_LINK_HOPS} symbolic links on the way "
                        "(a link loop)"
                    )
                target = os.readlink(name, dir_fd=stack[-1])
                pending.extendleft(reversed(self._link_names(stack, target, path)))
                continue
            if last:
                return name
            if not stat.S_ISDIR(info.st_mode):
                raise ShareNotFound(f"{display_path(path)}: {name!r} is not a folder")
            try:
                stack.append(os.open(name, _DIR_FLAGS, dir_fd=stack[-1]))
            except OSError as error:
                raise os_error(error, path) from None
        return None

    def _link_names(self, stack: list[int], target: str, path: str) -> list[str]:
        """Names a link's target adds to the walk; an absolute target restarts at the root."""
        if not target.startswith("/"):
            return [name for name in target.split("/") if name not in ("", ".")]
        if target == SHARE_MOUNT or target.startswith(SHARE_MOUNT + "/"):
            while len(stack) > 1:
                os.close(stack.pop())
            return [name for name in target[len(SHARE_MOUNT):].split("/") if name not in ("", ".")]
        raise ShareEscape(
            f"{display_path(path)}: a symbolic link on the way points to {target!r}, outside the "
            "share; brigtui does not follow it"
        )


def os_error(error: OSError, path: str) -> ShareError:
    """Turn an OSError into the ShareError a user can act on."""
    where = display_path(path)
    if error.errno == errno.ENOENT:
        return ShareNotFound(f"{where}: no such file or folder in the share")
    if error.errno in (errno.EACCES, errno.EPERM):
        return ShareAccessDenied(f"{where}: permission denied; {permission_hint('local')}")
    if error.errno == errno.ELOOP:
        return ShareEscape(f"{where} is a symbolic link (or changed into one); it is not followed")
    if error.errno == errno.ENOTDIR:
        return ShareNotFound(f"{where}: a component on the way is not a folder")
    return ShareError(f"{where}: {error.strerror or error}")
