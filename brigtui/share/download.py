"""Downloading a file or folder of a share into a local folder, from the inspector's tar stream.

Every member is written relative to a descriptor of the destination folder, opened with
`O_NOFOLLOW` at each step. So neither a hostile member name (`..`, absolute) nor a link
written earlier in the same archive can send a write outside the folder. An existing file is
replaced only with `overwrite=True`; a conflict otherwise raises before anything is written.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from brigtui.share.inspector import ShareError, ShareInspector, display_path, split_path

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
Progress = Callable[[int, int, str], None]
"""Called with (bytes written, bytes expected, path being written) after each chunk."""


class DownloadConflict(ShareError):
    """A file to be written exists already and overwriting was not allowed."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        shown = ", ".join(display_path(path) for path in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        verb = "exists" if len(paths) == 1 else "exist"
        super().__init__(f"{shown}{more} already {verb} in the destination; pass --force "
                         "(in the app: confirm) to overwrite")


@dataclass
class DownloadReport:
    files: int = 0
    bytes: int = 0
    written: list[str] = field(default_factory=list)
    """Paths written, relative to the destination folder."""
    skipped: list[str] = field(default_factory=list)
    """Members not written, with the reason."""


def download(
    inspector: ShareInspector,
    path: str,
    dest: Path,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> DownloadReport:
    """Write the share's `path` (a file or a folder) into the folder `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    _files, expected = inspector.measure(path)

    # Check for conflicts first, so a refused download writes nothing.
    if not overwrite:
        existing = _existing_targets(inspector, path, dest)
        if existing:
            raise DownloadConflict(existing)

    report = DownloadReport()
    root = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with inspector.open_tar(path) as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                if cancelled():
                    report.skipped.append("download cancelled: the rest was not written")
                    break
                _extract(archive, member, root, overwrite, report, expected, progress)
    finally:
        os.close(root)
    return report


def _existing_targets(inspector: ShareInspector, path: str, dest: Path) -> list[str]:
    """Paths the download would replace (checked before writing anything)."""
    names = split_path(path)
    top = names[-1] if names else "share"
    entry = inspector.stat(path)
    if not (dest / top).exists() and not (dest / top).is_symlink():
        return []
    if entry.kind != "dir":
        return [top]
    found = []
    prefix = "/".join(names)
    for child in _walk_files(inspector, path):
        relative = f"{top}/{child[len(prefix):].lstrip('/')}"
        if (dest / relative).is_file() or (dest / relative).is_symlink():
            found.append(relative)
    return found


def _walk_files(inspector: ShareInspector, path: str) -> list[str]:
    files = []
    for entry in inspector.list_dir(path):
        if entry.kind == "dir":
            files += _walk_files(inspector, entry.path)
        else:
            files.append(entry.path)
    return files


def link_leaves(relative: str, target: str) -> bool:
    """True when a link at `relative` (inside the download) points outside the download.

    Such links are not recreated, so following one later can never reach a host file.
    """
    if target.startswith("/"):
        return True
    depth = relative.count("/")
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def member_names(name: str) -> list[str]:
    """Split a member name into safe names; raise ShareError for absolute names or `..`."""
    if name.startswith("/"):
        raise ShareError(f"archive member {display_path(name)} is absolute; not written")
    names = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in names or not names:
        raise ShareError(f"archive member {display_path(name)} leaves the destination; not written")
    return names


def _extract(archive: tarfile.TarFile, member: tarfile.TarInfo, root: int, overwrite: bool,
             report: DownloadReport, expected: int, progress: Progress | None) -> None:
    try:
        names = member_names(member.name)
    except ShareError as error:
        report.skipped.append(str(error))
        return
    relative = "/".join(names)
    try:
        folder = _open_parents(root, names[:-1])
    except ShareError as error:
        report.skipped.append(f"{display_path(relative)}: {error}")
        return
    try:
        name = names[-1]
        if member.isdir():
            _make_dir(folder, name)
        elif member.issym():
            if link_leaves(relative, member.linkname):
                report.skipped.append(
                    f"{display_path(relative)}: a link to {display_path(member.linkname)}, "
                    "outside the downloaded folder; not written"
                )
                return
            _replace(folder, name, overwrite, relative)
            os.symlink(member.linkname, name, dir_fd=folder)
        elif member.isfile():
            _write_file(archive, member, folder, name, overwrite, relative, report, expected, progress)
            report.files += 1
        else:
            report.skipped.append(f"{display_path(relative)}: not a file, folder or link")
            return
        report.written.append(relative)
    finally:
        if folder != root:
            os.close(folder)


def _open_parents(root: int, names: list[str]) -> int:
    folder = root
    for name in names:
        _make_dir(folder, name)
        try:
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=folder)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise ShareError(f"{display_path(name)} in the destination is not a folder (a link "
                                 "or a file); not writing through it") from None
            raise
        if folder != root:
            os.close(folder)
        folder = child
    return folder


def _make_dir(folder: int, name: str) -> None:
    try:
        os.mkdir(name, 0o755, dir_fd=folder)
    except FileExistsError:
        pass


def _replace(folder: int, name: str, overwrite: bool, relative: str) -> None:
    """Remove an existing non-folder at `name` when overwriting is allowed."""
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not overwrite:
        raise DownloadConflict([relative])
    if stat.S_ISDIR(info.st_mode):
        raise ShareError(f"{display_path(relative)} is a folder in the destination; not replaced")
    os.unlink(name, dir_fd=folder)


def _write_file(archive: tarfile.TarFile, member: tarfile.TarInfo, folder: int, name: str,
                overwrite: bool, relative: str, report: DownloadReport, expected: int,
                progress: Progress | None) -> None:
    _replace(folder, name, overwrite, relative)
    source = archive.extractfile(member)
    assert source is not None
    descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         (member.mode & 0o777) or 0o644, dir_fd=folder)
    with os.fdopen(descriptor, "wb") as target:
        while chunk := source.read(CHUNK):
            target.write(chunk)
            report.bytes += len(chunk)
            if progress is not None:
                progress(report.bytes, max(expected, report.bytes), relative)
    os.utime(name, (member.mtime, member.mtime), dir_fd=folder, follow_symlinks=False)
