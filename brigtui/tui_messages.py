"""Textual messages of the app: small dataclasses with past-tense names.

The app posts the first four straight to the dashboard, so they do not bubble.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from brigtui.engine.messages import EngineMessage


@dataclass
class EngineReported(Message, bubble=False):
    """The engine sent messages since the last batch (log notices already merged)."""

    messages: list[EngineMessage]


@dataclass
class ScriptsScanned(Message, bubble=False):
    """The pipelines folder was scanned; `scripts` are its event scripts, sorted."""

    scripts: list[Path]


@dataclass
class ScriptChecked(Message, bubble=False):
    """A script was loaded to check it; `error` is None when it loads."""

    path: Path
    line: int | None = None
    error: str | None = None


@dataclass
class WatchStateChanged(Message, bubble=False):
    """The folder watch changed: its state, what waits, what triggered the last build."""

    state: str
    """`starting`, `watching`, `paused` (auto-rerun off), `missing` or `stopped`."""
    pending: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    last_trigger: str | None = None
    error: str | None = None


@dataclass
class JobSelected(Message):
    """The cursor of the job graph moved to a job."""

    build_id: str
    job: str


@dataclass
class JobOpened(Message):
    """Enter was pressed on a job of the graph."""

    build_id: str
    job: str


@dataclass
class BuildSelected(Message):
    """The build list's cursor moved to a build (or to a script, with build_id None)."""

    script: Path | None
    build_id: str | None
