"""Writing a share path as a tar stream from the host folder, through descriptors only.

A writer thread fills a pipe; the caller reads the other end. Folders are walked with
descriptors opened `O_NOFOLLOW`, links are stored as links, and a file that shrinks while
it is read (a live build) is padded with zero bytes so that the archive stays valid.
"""

from __future__ import annotations

import logging
import os
import stat
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from brigtui.share.inspector import ShareError, display_path
from brigtui.share.resolve import Resolver, os_error

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024


class _ExactReader:
    """Reads exactly `size` bytes from a descriptor, padding with zeros if the file shrank."""

    def __init__(self, descriptor: int, size: int, path: str) -> None:
        self.descriptor = descriptor
        self.left = size
        self.path = path
        self.padded = False

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        if size <= 0:
            return b""
        data = os.read(self.descriptor, size)
        if not data:
            if not self.padded:
                logger.warning("%s shrank while it was archived; padded with zero bytes.",
                               display_path(self.path))
                self.padded = True
            data = bytes(size)
        self.left -= len(data)
        return data


class _PipeReader:
    """The read end of the writer's pipe; raises the writer's error instead of a short EOF."""

    def __init__(self, descriptor: int, writer: _TarWriter) -> None:
        self._file = os.fdopen(descriptor, "rb", buffering=CHUNK)
        self._writer = writer

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        if not data or (size < 0):
            self._writer.join()
            if self._writer.error is not None:
                raise self._writer.error
        return data

    def close(self) -> None:
        self._file.close()


class _TarWriter(threading.Thread):
    def __init__(self, resolver: Resolver, path: str, descriptor: int) -> None:
        super().__init__(name="share-tar", daemon=True)
        self.resolver = resolver
        self.path = path
        self.descriptor = descriptor
        self.error: ShareError | None = None

    def run(self) -> None:
        try:
            with (
                os.fdopen(self.descriptor, "wb", buffering=CHUNK) as pipe,
                tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as archive,
                self.resolver.parent_of(self.path, follow_last=True) as (folder, name),
            ):
                self._add(archive, folder, name or ".", name or "share", self.path)
        except BrokenPipeError:
            logger.debug("The reader of %s's archive stopped early.", display_path(self.path))
        except ShareError as error:
            self.error = error
        except OSError as error:
            self.error = os_error(error, self.path)

    def _add(self, archive: tarfile.TarFile, folder: int, name: str, arcname: str,
             path: str) -> None:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        member = tarfile.TarInfo(arcname)
        member.mode = stat.S_IMODE(info.st_mode)
        member.mtime = int(info.st_mtime)
        member.uid, member.gid = info.st_uid, info.st_gid
        if stat.S_ISLNK(info.st_mode):
            member.type = tarfile.SYMTYPE
            member.linkname = os.readlink(name, dir_fd=folder)
            archive.addfile(member)
        elif stat.S_ISDIR(info.st_mode):
            member.type = tarfile.DIRTYPE
            archive.addfile(member)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=folder)
            try:
                for entry in sorted(os.listdir(child)):
                    self._add(archive, child, entry, f"{arcname}/{entry}", f"{path}/{entry}")
            finally:
                os.close(child)
        elif stat.S_ISREG(info.st_mode):
            self._add_file(archive, folder, name, member, path)
        else:
            logger.info("Skipped %s in the archive: not a file, folder or link.", display_path(path))

    def _add_file(self, archive: tarfile.TarFile, folder: int, name: str,
                  member: tarfile.TarInfo, path: str) -> None:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        try:
            opened = os.fstat(descriptor)
            if not stat.S_ISREG(opened.st_mode):
                return
            member.size = opened.st_size
            archive.addfile(member, _ExactReader(descriptor, opened.st_size, path))
        finally:
            os.close(descriptor)


@contextmanager
def tar_stream(resolver: Resolver, path: str) -> Iterator[BinaryIO]:
    """Yield a readable tar stream of `path`; the writer thread stops when the reader closes."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    writer = _TarWriter(resolver, path, write_end)
    writer.start()
    reader = _PipeReader(read_end, writer)
    try:
        yield reader  # type: ignore[misc]
    finally:
        reader.close()
        writer.join(timeout=30)
