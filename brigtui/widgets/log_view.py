"""A log that tails a file: ANSI colours, bounded memory, searchable.

The file is the source of truth. The view keeps its byte offset, reads only what was
appended since (in a thread), and moves the offset on the event loop only after the lines
are written, so a line is never shown twice or skipped while following. Memory stays
bounded because the view keeps at most `MAX_LINES` rendered lines; older lines stay in
the file (`brigtui logs` prints all of them).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from rich.text import Text
from textual.widgets import RichLog

logger = logging.getLogger(__name__)

MAX_LINES = 5000
"""Rendered lines kept in memory."""
TAIL_BYTES = 512 * 1024
"""How far back from the end a newly opened log starts reading (about MAX_LINES lines of
100 characters)."""
READ_CHUNK = 64 * 1024
"""Bytes read per step while catching up: each step renders at most about a thousand lines
on the event loop, so catching up on a big log never stalls keys for long."""
MAX_MATCHES = 2000
"""Search results shown at most."""


def read_chunk(path: Path, offset: int, size: int) -> bytes:
    """Return up to `size` bytes of `path` from `offset` (empty when the file is missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(size)
    except FileNotFoundError:
        return b""


def read_lines(path: Path, offset: int, size: int, partial: bytes
               ) -> tuple[int, bytes, Text | None]:
    """Read up to `size` bytes from `offset` and turn the complete lines into styled text.

    Returns the bytes read, the unfinished last line (kept for the next read) and the text
    of the complete lines, None if there are none. Blocking: run it in a thread.
    """
    data = read_chunk(path, offset, size)
    buffered = partial + data
    cut = buffered.rfind(b"\n") + 1
    if not cut:
        return len(data), buffered, None
    text = Text.from_ansi(buffered[: cut - 1].decode("utf-8", errors="replace"))
    return len(data), buffered[cut:], text


def tail_start(path: Path) -> int:
    """Return the offset of the first whole line within `TAIL_BYTES` of the end."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size <= TAIL_BYTES:
        return 0
    start = size - TAIL_BYTES
    head = read_chunk(path, start, 64 * 1024)
    cut = head.find(b"\n")
    return start + cut + 1 if cut >= 0 else start


def search_file(path: Path, term: str) -> tuple[list[tuple[int, str]], bool]:
    """Return (line number, line) pairs that contain `term`, ignoring case, and whether the
    result was cut at `MAX_MATCHES`."""
    needle = term.casefold()
    matches: list[tuple[int, str]] = []
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if needle in Text.from_ansi(line).plain.casefold():
                    matches.append((number, line))
                    if len(matches) >= MAX_MATCHES:
                        return matches, True
    except FileNotFoundError:
        pass
    return matches, False


class LogView(RichLog):
    """Follows one log file at a time; `search` filters it, `clear_search` resumes the tail."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=False, highlight=False, markup=False,
                         id=id, classes=classes)
        self.path: Path | None = None
        self.title = ""
        self.search_term: str | None = None
        self._offset = 0
        self._partial = b""
        self._reading = False
        self._again = False
        self._generation = 0

    def follow(self, path: Path | None, title: str = "", placeholder: str = "") -> None:
        """Show the tail of `path` and follow it; None shows the placeholder."""
        if path is not None and path == self.path and self.search_term is None:
            self.poll()
            return
        self.path = path
        self.title = title
        self.search_term = None
        self._reset()
        if path is None:
            if placeholder:
                self.write(Text(placeholder, style="dim"))
            return
        self._start_read(tail=True)

    def poll(self) -> None:
        """Read what the file gained since the last read (call when it grew)."""
        if self.path is None or self.search_term is not None:
            return
        if self._reading:
            self._again = True
            return
        self._start_read(tail=False)

    def search(self, term: str) -> None:
        """Show only the lines of the file that contain `term`."""
        if self.path is None:
            return
        self.search_term = term
        self._reset()
        self.run_worker(self._search(self.path, term, self._generation), group="log-search",
                        exit_on_error=False)

    def clear_search(self) -> None:
        if self.search_term is None:
            return
        path, title = self.path, self.title
        self.path = None
        self.follow(path, title)

    def _reset(self) -> None:
        self._generation += 1
        self._offset = 0
        self._partial = b""
        self._again = False
        self._reading = False
        self.clear()

    def _start_read(self, tail: bool) -> None:
        assert self.path is not None
        self._reading = True
        self.run_worker(self._read(self.path, tail, self._generation), group="log-read",
                        exit_on_error=False)

    async def _read(self, path: Path, tail: bool, generation: int) -> None:
        if tail:
            start = await asyncio.to_thread(tail_start, path)
            if generation != self._generation:
                return
            if start:
                self.write(Text(f"[{start} earlier bytes are in {path}]", style="dim"))
            self._offset = start
        while generation == self._generation:
            offset, partial = self._offset, self._partial
            size, partial, text = await asyncio.to_thread(
                read_lines, path, offset, READ_CHUNK, partial)
            if generation != self._generation:
                return
            self._offset = offset + size
            self._partial = partial
            if text is not None:
                self.write(text)
            if size < READ_CHUNK and not self._again:
                break
            self._again = False
        if generation == self._generation:
            self._reading = False

    async def _search(self, path: Path, term: str, generation: int) -> None:
        matches, cut = await asyncio.to_thread(search_file, path, term)
        if generation != self._generation:
            return
        count = "1 line contains" if len(matches) == 1 else f"{len(matches)} lines contain"
        self.write(Text(f"{count} {term!r} (Esc shows the tail again)", style="bold"))
        for number, line in matches:
            self.write(Text.assemble((f"{number:>6} ", "dim"), Text.from_ansi(line)))
        if cut:
            self.write(Text(f"[only the first {MAX_MATCHES} matches are shown]", style="dim"))
