"""The dashboard's model of builds: states, jobs and edges, fed by engine messages.

Plain Python with no Textual import, so the graph logic can be tested on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from brigtui.engine.messages import (
    BuildFinished,
    BuildStarted,
    EngineMessage,
    HandoverRecorded,
    JobCreated,
    JobStateChanged,
)
from brigtui.engine.store import BuildRecord, JobRecord

GLYPHS = {
    "pending": "○",
    "queued": "◌",
    "running": "▶",
    "succeeded": "✓",
    "failed": "✗",
    "cancelled": "⊘",
    "interrupted": "!",
    "reused": "↺",
}
"""One glyph per state, so the state reads without colour."""

FINISHED = frozenset({"succeeded", "failed", "cancelled", "interrupted", "reused"})


def glyph(status: str) -> str:
    return GLYPHS.get(status, "?")


def format_duration(seconds: float | None) -> str:
    """Format a duration compactly: 0.4s, 12s, 3m05s, 2h01m."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _monotonic_from_iso(value: str | None, offset: float) -> float | None:
    """Map a recorded UTC time to this process's monotonic clock (for live durations).

    `offset` is `time.monotonic() - time.time()`, taken once per record, so that times
    recorded as equal stay equal (their order decides the inferred ordering edges).
    """
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() + offset


@dataclass
class JobView:
    name: str
    seq: int
    image: str = ""
    uses_share: bool = False
    status: str = "pending"
    started: float | None = None
    finished: float | None = None
    exit_code: int | None = None
    error: str | None = None

    def duration(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.finished if self.finished is not None else (now or time.monotonic())
        return max(0.0, end - self.started)


@dataclass
class BuildView:
    id: str
    script: str
    event: str
    trigger: str
    status: str = "running"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None
    jobs: dict[str, JobView] = field(default_factory=dict)
    data_edges: set[tuple[str, str]] = field(default_factory=set)
    order_edges: set[tuple[str, str]] = field(default_factory=set)
    shape_version: int = 0
    """Grows when a job or an edge is added: the graph lays itself out again only then."""
    version: int = 0
    """Grows on every change, for redraws."""
    _finished_since_start: list[str] = field(default_factory=list)
    _last_predecessors: list[str] = field(default_factory=list)

    def duration(self, now: float | None = None) -> float:
        end = self.finished if self.finished is not None else (now or time.monotonic())
        return max(0.0, end - self.started)

    # Changes

    def add_job(self, name: str, seq: int, image: str = "", uses_share: bool = False) -> JobView:
        job = self.jobs.get(name)
        if job is None:
            job = self.jobs[name] = JobView(name, seq, image, uses_share)
            self.shape_version += 1
        self.version += 1
        return job

    def set_job_state(self, name: str, status: str, exit_code: int | None = None,
                      error: str | None = None) -> None:
        job = self.jobs.get(name)
        if job is None:
            job = self.add_job(name, len(self.jobs) + 1)
        now = time.monotonic()
        if status == "running" and job.started is None:
            job.started = now
            self._infer_ordering(name)
        if status in FINISHED:
            job.finished = now
            if job.started is None:
                job.started = now
            self._finished_since_start.append(name)
        job.status = status
        job.exit_code = exit_code
        job.error = error
        self.version += 1

    def add_data_edge(self, source: str, target: str) -> None:
        if source in self.jobs and (source, target) not in self.data_edges:
            self.data_edges.add((source, target))
            self.order_edges.discard((source, target))
            self.shape_version += 1
            self.version += 1

    def _infer_ordering(self, name: str) -> None:
        """Add ordering edges from the jobs that finished right before this one started.

        Scripts await jobs, so a job started after others finished most likely waited for
        them: `run_each` gives a chain and `run_all` followed by a job gives a fan-in. Jobs
        started together (no job finished in between) share the same predecessors.
        """
        if self._finished_since_start:
            self._last_predecessors = self._finished_since_start
            self._finished_since_start = []
        for source in self._last_predecessors:
            if source != name and (source, name) not in self.data_edges:
                self.order_edges.add((source, name))
                self.shape_version += 1

    @property
    def edges(self) -> list[tuple[str, str, str]]:
        """Every edge as (source, target, kind), kind being `data` or `order`."""
        data = [(s, t, "data") for s, t in sorted(self.data_edges)]
        order = [(s, t, "order") for s, t in sorted(self.order_edges)]
        return data + order


class BuildBoard:
    """Every build the dashboard shows, by id, fed by engine messages and store records."""

    def __init__(self) -> None:
        self.builds: dict[str, BuildView] = {}

    def apply(self, message: EngineMessage) -> BuildView | None:
        """Apply one engine message; return the build it changed."""
        if isinstance(message, BuildStarted):
            started = BuildView(message.build_id, message.script, message.event, message.trigger)
            self.builds[started.id] = started
            return started
        build = self.builds.get(message.build_id)
        if build is None:
            return None
        if isinstance(message, JobCreated):
            build.add_job(message.job, message.seq, message.image, message.uses_share)
        elif isinstance(message, JobStateChanged):
            build.set_job_state(message.job, message.status, message.exit_code, message.error)
        elif isinstance(message, HandoverRecorded):
            if message.source_build == build.id:
                build.add_data_edge(message.source_job, message.target_job)
        elif isinstance(message, BuildFinished):
            build.status = message.status
            build.error = message.error
            build.finished = time.monotonic()
            build.version += 1
        return build

    def load(self, record: BuildRecord) -> BuildView:
        """Rebuild a recorded build (jobs, hand-overs, inferred ordering) from the store."""
        build = BuildView(record.id, record.script, record.event, record.trigger, record.status)
        offset = time.monotonic() - time.time()
        build.started = _monotonic_from_iso(record.started_at, offset) or time.monotonic()
        build.finished = _monotonic_from_iso(record.finished_at, offset)
        build.error = record.error
        for job in record.jobs:
            build.add_job(job.name, job.seq, job.image, job.uses_share)
        for when, job, status in _job_events(record.jobs, offset):
            if status == "running":
                build.set_job_state(job.name, "running")
                build.jobs[job.name].started = when
            else:
                build.set_job_state(job.name, job.status, job.exit_code, job.error)
                build.jobs[job.name].finished = when
        for handover in record.handovers:
            if handover.source_build == record.id:
                build.add_data_edge(handover.source_job, handover.target_job)
        self.builds[build.id] = build
        return build


def _job_events(jobs: list[JobRecord], offset: float) -> list[tuple[float, JobRecord, str]]:
    """Return the recorded starts and ends of jobs in time order (ends first on ties, but a
    zero-length job starts before it ends)."""
    events: list[tuple[float, int, JobRecord, str]] = []
    for job in jobs:
        started = _monotonic_from_iso(job.started_at, offset)
        finished = _monotonic_from_iso(job.finished_at, offset)
        if started is not None:
            # A job that ended the moment it started (a reused job) must start before it ends.
            order = -1 if finished == started else 1
            events.append((started, order, job, "running"))
        if finished is not None and job.status in FINISHED:
            events.append((finished, 0, job, job.status))
    events.sort(key=lambda item: (item[0], item[1], item[2].seq))
    return [(when, job, status) for when, _, job, status in events]
