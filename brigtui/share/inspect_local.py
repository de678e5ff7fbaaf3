"""The local executor's inspector: the host's share folder, read through descriptors.

Listing, reading and archiving go through `Resolver`, which never leaves the share and
opens nothing for writing. The shell runs in a bubblewrap (or `unshare`) sandbox where the
share is a read-only bind mount at /mnt/brigade/share and the rest of the host is read-only
too. Without a working sandbox there is no shell, because nothing would keep it from
changing the evidence.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from brigtui.engine.executors.base import SHARE_MOUNT
from brigtui.engine.executors.sandbox import detect_sandbox
from brigtui.share.inspector import (
    Entry,
    ShareError,
    ShareInspector,
    ShareNotFound,
    display_path,
    join_path,
    kind_of,
    split_path,
)
from brigtui.share.local_tar import tar_stream
from brigtui.share.resolve import Resolver, os_error

logger = logging.getLogger(__name__)

# The shell's prompt starts with "share:", so that it is not mistaken for a host shell.
_PROMPT = r"share:\w\$ "


class LocalInspector(ShareInspector):
    """Inspects a share folder on this host (the local and container executors keep one)."""

    def __init__(self, share_dir: Path, build_id: str, sandbox: str = "auto") -> None:
        self.share_dir = share_dir
        self.build_id = build_id
        self.sandbox_preference = sandbox
        self.resolver = Resolver(str(share_dir))
        self.where = f"local folder {share_dir}"

    def open(self) -> None:
        if not self.share_dir.is_dir():
            raise ShareNotFound(
                f"build {self.build_id} has no share folder at {self.share_dir} any more "
                "(`brigtui gc` removes expired shares)"
            )

    def list_dir(self, path: str) -> list[Entry]:
        parent = "/".join(split_path(path))
        descriptor = self.resolver.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with os.scandir(descriptor) as scan:
                entries = [self._entry(parent, item, descriptor) for item in scan]
        except OSError as error:
            raise os_error(error, path) from None
        finally:
            os.close(descriptor)
        entries.sort(key=lambda entry: entry.name)
        return entries

    def _entry(self, parent: str, item: os.DirEntry[str], folder: int) -> Entry:
        path = join_path(parent, item.name)
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            # The entry vanished between the listing and its stat (a live build).
            return Entry(path, "other", 0, 0, 0.0)
        target = None
        if stat.S_ISLNK(info.st_mode):
            try:
                target = os.readlink(item.name, dir_fd=folder)
            except OSError:
                target = None
        return Entry(path, kind_of(info.st_mode), info.st_size, info.st_mode, info.st_mtime,
                     target, info.st_uid, info.st_gid)

    def stat(self, path: str) -> Entry:
        clean = "/".join(split_path(path))
        info = self.resolver.lstat(path)
        target = self.resolver.readlink(path) if stat.S_ISLNK(info.st_mode) else None
        return Entry(clean, kind_of(info.st_mode), info.st_size, info.st_mode, info.st_mtime,
                     target, info.st_uid, info.st_gid)

    def read(self, path: str, offset: int, length: int) -> bytes:
        descriptor = self.resolver.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise ShareError(f"{display_path(path)} is not a regular file; only files can be read")
            return os.pread(descriptor, max(0, length), max(0, offset))
        except OSError as error:
            raise os_error(error, path) from None
        finally:
            os.close(descriptor)

    def open_tar(self, path: str) -> AbstractContextManager[BinaryIO]:
        return tar_stream(self.resolver, path)

    def measure(self, path: str) -> tuple[int, int]:
        descriptor = self.resolver.open(path, os.O_RDONLY)
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISDIR(info.st_mode):
                return (1, info.st_size) if stat.S_ISREG(info.st_mode) else (0, 0)
            files, size = 0, 0
            for _folder, _dirs, names, folder_fd in os.fwalk(".", dir_fd=descriptor):
                for name in names:
                    try:
                        entry = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISREG(entry.st_mode):
                        files += 1
                        size += entry.st_size
            return files, size
        finally:
            os.close(descriptor)

    def shell_command(self) -> list[str]:
        self.open()
        sandbox = detect_sandbox(self.sandbox_preference)
        shell = os.environ.get("SHELL") or "/bin/sh"
        if not Path(shell).exists():
            shell = "/bin/sh"
        if sandbox.kind == "bubblewrap":
            return read_only_bubblewrap(self.share_dir, [shell, "-i"])
        if sandbox.kind == "unshare":
            return read_only_unshare(self.share_dir, [shell, "-i"])
        raise ShareError(
            "no sandbox works on this host, so brigtui cannot open a shell that keeps the share "
            f"read-only ({sandbox.reason}); install bubblewrap, or use `brigtui share ls` and "
            "`brigtui share get`"
        )


def _host_top_level() -> Iterator[Path]:
    for entry in sorted(Path("/").iterdir()):
        if entry.name not in ("proc", "dev", "mnt", "tmp", "run"):
            yield entry


def read_only_bubblewrap(share: Path, command: list[str]) -> list[str]:
    """Return a bwrap command: the host read-only, the share read-only at /mnt/brigade/share."""
    args = ["bwrap", "--tmpfs", "/"]
    for entry in _host_top_level():
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), str(entry)]
        elif entry.is_dir():
            args += ["--ro-bind", str(entry), str(entry)]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run"]
    args += ["--dir", SHARE_MOUNT, "--ro-bind", str(share), SHARE_MOUNT, "--chdir", SHARE_MOUNT]
    args += ["--setenv", "PS1", _PROMPT, "--setenv", "BRIGADE_SHARE_DIR", SHARE_MOUNT]
    # Dropping every capability keeps a shell started by root from remounting read-write.
    args += ["--unshare-pid", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]
    return [*args, "--", *command]


# Mounts the share read-only under a private /mnt, then enters a nested user and mount
# namespace: mounts inherited into a less privileged namespace are locked, so the shell
# cannot remount the share read-write.
_UNSHARE_SHELL = r"""
set -e
share=$1; shift
mount -t tmpfs brigtui-mnt /mnt
mkdir -p /mnt/brigade/share
mount --bind "$share" /mnt/brigade/share
mount -o remount,bind,ro /mnt/brigade/share
mount --bind "$share" "$share"
mount -o remount,bind,ro "$share"
cd /mnt/brigade/share
exec unshare --user --mount -- "$@"
"""


def read_only_unshare(share: Path, command: list[str]) -> list[str]:
    """Return an `unshare` command with the share read-only at /mnt/brigade/share."""
    unshare = shutil.which("unshare") or "unshare"
    return [
        unshare, "--user", "--map-root-user", "--mount", "--propagation", "private", "--fork",
        "--", "/bin/sh", "-c", _UNSHARE_SHELL, "share-shell", str(share),
        "env", f"PS1={_PROMPT}", f"BRIGADE_SHARE_DIR={SHARE_MOUNT}", *command,
    ]  # fmt: skip
