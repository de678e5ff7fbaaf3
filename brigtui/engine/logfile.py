"""Job and build log files: whole lines, secrets masked, both output streams in one file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from brigtui.engine.masking import Masker

# A line longer than this is written in pieces, so a job that prints no newline still logs.
MAX_PENDING = 64 * 1024


class LogFile:
    """Appends output to a log file one complete line at a time.

    Each stream keeps its own unfinished line, so stdout and stderr lines never interleave
    mid-line, and masking sees whole lines (a secret split across two reads is still masked).
    """

    def __init__(self, path: Path, masker: Masker) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._masker = masker
        self._pending: dict[str, bytes] = {}
        self.size = 0

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, stream: str, chunk: bytes) -> None:
        data = self._pending.get(stream, b"") + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > MAX_PENDING:
            cut = len(data)
        self._pending[stream] = data[cut:]
        if cut:
            self._append(data[:cut])

    def write_line(self, text: str) -> None:
        self._append(text.encode("utf-8", errors="replace") + b"\n")

    def close(self) -> None:
        if self._fd < 0:
            return
        for stream, rest in self._pending.items():
            if rest:
                self._append(rest + b"\n")
            self._pending[stream] = b""
        os.close(self._fd)
        self._fd = -1

    def _append(self, data: bytes) -> None:
        data = self._masker.bytes(data)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(data)


class OutputFile:
    """The exact bytes a job wrote to standard output, for its Result."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.size = 0
        self._digest = hashlib.sha256()

    @property
    def digest(self) -> str:
        """SHA-256 of what was written so far, which resume compares across builds."""
        return self._digest.hexdigest()

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(chunk)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
