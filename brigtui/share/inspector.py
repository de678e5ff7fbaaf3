"""The share inspector's interface: read-only access to one build's share, per executor.

Paths are relative to the share root, `/`-separated, as `str` that carry undecodable bytes
as surrogate escapes (`os.fsdecode`), so any file name a job wrote can be addressed. Every
backend rejects `..`, absolute paths and symbolic links that resolve outside the share. It
never follows such a link, and it shows links in listings as links. No backend opens
anything in the share for writing.
"""

from __future__ import annotations

import abc
import stat
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, Literal

from brigtui.engine.errors import BrigtuiError

EntryKind = Literal["file", "dir", "link", "other"]

MAX_LINK_HOPS = 40
"""Symbolic links followed while resolving one path, as Linux allows (ELOOP beyond)."""


class ShareError(BrigtuiError):
    """A share operation failed; the message names the path and what to do."""


class ShareNotFound(ShareError):
    """The path does not exist in the share (or the share is gone)."""


class ShareEscape(ShareError):
    """The path leaves the share (`..`, absolute, or a symbolic link pointing outside)."""


class ShareLinkLoop(ShareError):
    """Resolving the path met a symbolic link loop."""


class ShareAccessDenied(ShareError):
    """The inspector's user may not read the path."""


@dataclass(frozen=True)
class Entry:
    """One file, folder or link in the share, as `lstat` returns it (links are not followed)."""

    path: str
    """Path relative to the share root; empty for the root itself."""
    kind: EntryKind
    size: int
    mode: int
    """`st_mode`: type and permission bits."""
    mtime: float
    """Modification time, seconds since the epoch."""
    link_target: str | None = None
    """Target of a symbolic link, exactly as stored in the link."""
    uid: int = -1
    gid: int = -1

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def permissions(self) -> str:
        """The mode as `ls -l` writes it, such as `drwxr-xr-x`."""
        return stat.filemode(self.mode)


def kind_of(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def split_path(path: str) -> list[str]:
    """Split a share path into names; reject `..`, absolute paths and NUL bytes.

    `.` and empty components (`a//b`) are dropped, so `""`, `"."` and `"./"` mean the root.
    A leading `/mnt/brigade/share` is accepted as the root too, since jobs use that path.
    """
    if "\0" in path:
        raise ShareEscape(f"share path {display_path(path)} contains a NUL byte")
    for prefix in ("/mnt/brigade/share/", "/mnt/brigade/share"):
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            path = path[len(prefix):]
            break
    if path.startswith("/"):
        raise ShareEscape(
            f"share path {display_path(path)} is absolute; give a path relative to the share "
            "root, or one under /mnt/brigade/share"
        )
    names = [name for name in path.split("/") if name not in ("", ".")]
    if ".." in names:
        raise ShareEscape(f"share path {display_path(path)} contains '..', which could leave the share")
    return names


def join_path(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


def display_name(name: str) -> str:
    """Return `name` safe to print on a terminal: control characters and invalid UTF-8 escaped.

    Control characters become `\\n`, `\\t` or `\\xNN`. Bytes that were not valid UTF-8 (kept
    as surrogate escapes) become `\\xNN`. A backslash becomes `\\\\`, so the result is
    unambiguous.
    """
    out: list[str] = []
    for char in name:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        elif code in (0x2028, 0x2029, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def display_path(path: str) -> str:
    return display_name(path) if path else "/ (the share root)"


class ShareInspector(abc.ABC):
    """Read-only access to one build's share; created by `open()`, released by `close()`.

    Methods block (they read files, run processes or call a cluster): the screen calls them
    from thread workers. One inspector may serve several threads at once.
    """

    build_id: str
    where: str = ""
    """One line for the screen's title: the backend and what it runs."""

    def open(self) -> None:  # noqa: B027 - optional hook
        """Prepare the backend (start the debug pod or container); idempotent."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what `open()` created; idempotent and safe after a failed `open()`."""

    def __enter__(self) -> ShareInspector:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def list_dir(self, path: str) -> list[Entry]:
        """List a folder's entries, sorted by name; links inside it are not followed."""

    @abc.abstractmethod
    def stat(self, path: str) -> Entry:
        """Describe one path without following a link in its last component."""

    @abc.abstractmethod
    def read(self, path: str, offset: int, length: int) -> bytes:
        """Read up to `length` bytes of a regular file from `offset`."""

    @abc.abstractmethod
    def open_tar(self, path: str) -> AbstractContextManager[BinaryIO]:
        """Stream a file or folder out as an uncompressed tar archive (links stay links).

        The archive's top member is the path's last name (for the root: `share`).
        """

    @abc.abstractmethod
    def measure(self, path: str) -> tuple[int, int]:
        """Return (regular files, bytes) under a path, for progress bars."""

    @abc.abstractmethod
    def shell_command(self) -> list[str]:
        """Return the command of an interactive shell with the share read-only at its mount."""

    def run_shell(self) -> int:
        """Run the interactive shell on the current terminal; return its exit code."""
        return subprocess.call(self.shell_command())

    def read_chunks(self, path: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        """Yield a whole file in chunks (for `brigtui share cat`)."""
        offset = 0
        while True:
            chunk = self.read(path, offset, chunk_size)
            if not chunk:
                return
            yield chunk
            offset += len(chunk)
            if len(chunk) < chunk_size:
                return


def permission_hint(backend: str) -> str:
    """What to change when the inspector's user may not read a file, per backend."""
    if backend == "kubernetes":
        return ("set kubernetes.debug_user in brigtui.yaml to the user id the jobs ran as "
                "(0 reads every file)")
    if backend == "container":
        return "the inspector's container runs as the image's user; jobs' files must be readable to it"
    return "run brigtui as the user that ran the build, or make the files readable"
