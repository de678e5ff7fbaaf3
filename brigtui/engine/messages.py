"""Messages the engine sends to its subscribers (the TUI, the CLI's progress lines).

They are plain dataclasses with past-tense names, so the engine needs no UI toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineMessage:
    build_id: str


@dataclass(frozen=True)
class BuildStarted(EngineMessage):
    """A build was recorded and its script is being loaded."""

    script: str
    event: str
    trigger: str
    executor: str


@dataclass(frozen=True)
class BuildNoted(EngineMessage):
    """The engine wrote a line to the build's log."""

    text: str


@dataclass(frozen=True)
class BuildPrinted(EngineMessage):
    """A handler printed a line (the build's own output)."""

    text: str


@dataclass(frozen=True)
class JobCreated(EngineMessage):
    """A script created a job."""

    job: str
    image: str
    uses_share: bool
    seq: int


@dataclass(frozen=True)
class JobStateChanged(EngineMessage):
    """A job moved to another state (running, succeeded, failed, cancelled, reused)."""

    job: str
    status: str
    exit_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class JobLogged(EngineMessage):
    """A job's log file grew; readers tail the file. Sent at most a few times a second."""

    job: str
    size: int


@dataclass(frozen=True)
class HandoverRecorded(EngineMessage):
    """Data went from one job to another."""

    source_build: str
    source_job: str
    target_job: str
    how: str
    bytes: int


@dataclass(frozen=True)
class BuildFinished(EngineMessage):
    """A build ended; `status` is its final state."""

    status: str
    error: str | None = None
