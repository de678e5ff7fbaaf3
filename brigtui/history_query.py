"""Recorded builds for the history screen: a light query, filters, and a resume preview.

No Textual import, so the bench and the tests use it directly. Loading reads one row per
build (no job records) over its own SQLite connection. Filtering happens in memory on
precomputed lower-case search text. bench/history_open.py measures both on 10,000 builds
against the 300 ms goal of the history screen.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from brigtui.engine.ids import parse_iso
from brigtui.engine.store import BuildRecord

logger = logging.getLogger(__name__)

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
"""Build states a status filter accepts."""
ACTIVE_STATUSES = frozenset({"queued", "running"})
FILTER_KEYS = ("status", "script", "event")

_ROWS_QUERY = """
SELECT id, script, event, status, trigger, created_at, started_at, finished_at,
       share_state, share_expires_at, rerun_of, resumed, error,
       (julianday(finished_at) - julianday(started_at)) * 86400.0 AS seconds
FROM builds ORDER BY created_at DESC, id DESC
"""
_VERSION_QUERY = """
SELECT count(*), max(created_at), max(finished_at), sum(status IN ('queued', 'running'))
FROM builds
"""
# The jobs primary key (build_id, name) covers this query, so it needs no extra index.
_JOB_NAMES_QUERY = "SELECT build_id, group_concat(name, ' ') FROM jobs GROUP BY build_id"


@dataclass(slots=True)
class HistoryRow:
    """One recorded build as the history list shows it; no jobs.

    A slotted class, not a frozen one: a frozen dataclass sets each field through
    object.__setattr__, and building 10,000 rows took about four times as long that way.
    """

    id: str
    script: str
    script_label: str
    """The script's path relative to the pipelines folder, or its file name."""
    event: str
    status: str
    trigger: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    share_state: str
    share_expires_at: str | None
    rerun_of: str | None
    resumed: bool
    error: str | None
    seconds: float | None
    """Duration from start to end; None while the build runs."""
    haystack: str = field(repr=False, default="")
    """Lower-case text that the free-text filter searches: id, script, event, status,
    trigger, error and job names."""


@dataclass(frozen=True)
class HistoryFilter:
    """Conditions on the builds the history shows; an empty filter shows all of them."""

    statuses: frozenset[str] = frozenset()
    script: str | None = None
    """Case-insensitive part of the script label."""
    event: str | None = None
    """Event name, matched without regard to case."""
    words: tuple[str, ...] = ()
    """Lower-case words that must all occur in a row's search text."""

    def matches(self, row: HistoryRow) -> bool:
        if self.statuses and row.status not in self.statuses:
            return False
        if self.script is not None and self.script.casefold() not in row.script_label.casefold():
            return False
        if self.event is not None and self.event.casefold() != row.event.casefold():
            return False
        return all(word in row.haystack for word in self.words)

    def describe(self) -> str:
        """Return the filter as the text a user would type for it (empty when none)."""
        parts = []
        if self.statuses:
            parts.append("status:" + ",".join(sorted(self.statuses)))
        if self.script is not None:
            parts.append(f"script:{self.script}")
        if self.event is not None:
            parts.append(f"event:{self.event}")
        parts.extend(self.words)
        return " ".join(parts)


def parse_filter(text: str) -> HistoryFilter:
    """Parse `status:failed,cancelled script:deploy event:push free words`.

    Raises ValueError that names the bad token and what the key accepts.
    """
    statuses: set[str] = set()
    script = event = None
    words: list[str] = []
    for token in text.split():
        key, colon, value = token.partition(":")
        if not colon or key.casefold() not in FILTER_KEYS:
            words.append(token.casefold())
            continue
        key = key.casefold()
        if not value:
            # A key still being typed: no constraint yet.
            continue
        if key == "status":
            # Empty items are skipped: `status:failed,` is a list still being typed.
            for status in filter(None, value.casefold().split(",")):
                if status not in STATUSES:
                    raise ValueError(
                        f"unknown status '{status}' in '{token}'; use one of: {', '.join(STATUSES)}"
                    )
                statuses.add(status)
        elif key == "script":
            script = value
        else:
            event = value
    return HistoryFilter(frozenset(statuses), script, event, tuple(words))


def filter_rows(rows: list[HistoryRow], history_filter: HistoryFilter) -> list[HistoryRow]:
    """Return the rows that match, in their order (newest first)."""
    if history_filter == HistoryFilter():
        return list(rows)
    return [row for row in rows if history_filter.matches(row)]


def script_label(script: str, folder: Path | None) -> str:
    path = Path(script)
    if folder is not None and path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return path.name


def load_rows(database: Path, folder: Path | None = None) -> list[HistoryRow]:
    """Read every recorded build of the store at `database`, newest first.

    The read goes over its own connection, so it never holds the store's lock while builds
    record their progress, and that connection is query-only.
    """
    connection = sqlite3.connect(database, timeout=30.0)
    try:
        connection.execute("PRAGMA query_only=ON")
        job_names = dict(connection.execute(_JOB_NAMES_QUERY).fetchall())
        records = connection.execute(_ROWS_QUERY).fetchall()
        if folder is not None:
            # Several pipelines folders may share one state folder: keep this folder's builds.
            prefix = f"{folder.resolve()}/"
            records = [record for record in records if str(record[1]).startswith(prefix)]
    finally:
        connection.close()

    # Labels repeat across builds of one script: compute each once.
    labels: dict[str, str] = {}
    rows = []
    for (build_id, script, event, status, trigger, created, started, finished, share,
         expires, rerun_of, resumed, error, seconds) in records:
        label = labels.get(script)
        if label is None:
            label = labels[script] = script_label(script, folder)
        haystack = " ".join(
            (build_id, label, event, status, trigger, error or "", job_names.get(build_id) or "")
        ).casefold()
        rows.append(HistoryRow(
            build_id, script, label, event, status, trigger, created, started, finished, share,
            expires, rerun_of, bool(resumed), error, seconds, haystack,
        ))
    return rows


def history_version(database: Path) -> tuple[object, ...]:
    """Return a value that changes when a build is recorded, ends or changes state.

    One aggregate query, so a screen can poll it cheaply and reload the rows only when it
    changes.
    """
    connection = sqlite3.connect(database, timeout=30.0)
    try:
        return tuple(connection.execute(_VERSION_QUERY).fetchone())
    finally:
        connection.close()


def distinct(rows: list[HistoryRow], key: str) -> list[str]:
    """Return the distinct values of a row attribute (`script_label`, `event`), sorted."""
    return sorted({getattr(row, key) for row in rows}, key=str.casefold)


def cycle_value(values: list[str], current: str | None) -> str | None:
    """Return the value after `current` in `values`; after the last one, None (no filter)."""
    if not values:
        return None
    if current not in values:
        return values[0]
    index = values.index(current) + 1
    return values[index] if index < len(values) else None


# Resume preview


@dataclass(frozen=True)
class ResumePreview:
    """Forecast of what resuming a recorded build does with each of its jobs.

    The engine decides for itself by comparing job specs and inputs, so this is a forecast
    from the record: a job the script creates differently in the new run still runs.
    """

    reusable: tuple[str, ...]
    share_gone: tuple[str, ...]
    """Succeeded jobs that used the share, which run again because the share is gone."""
    to_run: tuple[str, ...]
    share_available: bool

    def summary(self) -> str:
        """Return one line per kind of job, for the confirmation dialog."""
        lines = []
        if self.reusable:
            lines.append(f"↺ reused (not run again): {', '.join(self.reusable)}")
        if self.share_gone:
            lines.append(
                f"▶ run again because the build's share is gone: {', '.join(self.share_gone)}"
            )
        if self.to_run:
            lines.append(f"▶ run: {', '.join(self.to_run)}")
        if not self.to_run and not self.share_gone:
            lines.append("every job succeeded, so the resumed build runs no job again")
        return "\n".join(lines)


def share_available(build: BuildRecord, now: datetime | None = None) -> bool:
    """Check that the build's share was kept, has not expired, and its folder still exists.

    Reads the file system: call it off the UI thread. A share on Kubernetes (a claim)
    has no local folder, so only its recorded state counts there.
    """
    if build.share_state != "kept":
        return False
    expires = parse_iso(build.share_expires_at)
    if expires is not None and expires <= (now or datetime.now(UTC)):
        return False
    if build.share_path and build.executor != "kubernetes":
        return Path(build.share_path).is_dir()
    return True


def preview_resume(build: BuildRecord, share_is_available: bool) -> ResumePreview:
    """Forecast which jobs a resume of `build` reuses, and which run again and why."""
    reusable, share_gone, to_run = [], [], []
    # Jobs of a pipe always run again: their input streams from the job before them.
    piped = {h.source_job for h in build.handovers if h.how == "pipe"}
    piped |= {h.target_job for h in build.handovers if h.how == "pipe"}
    for job in build.jobs:
        succeeded = job.status in ("succeeded", "reused") and job.name not in piped
        if succeeded and job.uses_share and not share_is_available:
            share_gone.append(job.name)
        elif succeeded:
            reusable.append(job.name)
        else:
            to_run.append(job.name)
    return ResumePreview(tuple(reusable), tuple(share_gone), tuple(to_run), share_is_available)
