"""Messages of the pipe pane: what its workers found, as small past-tense dataclasses.

Workers post them straight to the pane, so they do not bubble.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from brigtui.share.handover import Source


@dataclass
class SourceLoaded(Message, bubble=False):
    """The source's size and the head of its data were read, or `error` is why that failed."""

    source: Source | None
    size: int | None
    preview: str
    script: Path | None = None
    """The script of the source's build, for a filter build when no target is picked yet."""
    error: str | None = None


@dataclass
class MoveProgressed(Message, bubble=False):
    """A move got further: `phase` is `copying` (share file to local file) or `delivering`."""

    phase: str
    done: int
    total: int


@dataclass
class OutputRead(Message, bubble=False):
    """A finished build's output was read for its preview (`role` is `filter` or `run`)."""

    role: str
    build_id: str
    status: str
    source: Source | None
    preview: str
    error: str | None = None
