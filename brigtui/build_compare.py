"""Comparing two recorded builds of one script: job states, durations and one job's logs.

No Textual import. Log files are read with a size cap, so comparing two huge logs never
loads them whole: each side contributes at most its last `LOG_CAP_BYTES`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from brigtui.engine.ansi import strip_ansi
from brigtui.engine.ids import parse_iso
from brigtui.engine.store import BuildRecord, JobRecord, Store

LOG_CAP_BYTES = 256 * 1024
"""Bytes read from the end of each log for a diff."""
MAX_DIFF_LINES = 4000
"""Lines of unified diff returned at most."""
SLOWER_FACTOR = 1.5
"""A job whose duration grew or shrank by this factor counts as changed..."""
MIN_DELTA_SECONDS = 1.0
"""...provided the difference is at least this many seconds."""
USUAL_RUNS = 50
"""Recent succeeded runs searched for the one before a build."""


def job_seconds(job: JobRecord) -> float | None:
    start, end = parse_iso(job.started_at), parse_iso(job.finished_at)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True)
class JobChange:
    """One job name across two builds; a side is None when that build has no such job."""

    name: str
    old_status: str | None
    new_status: str | None
    old_seconds: float | None
    new_seconds: float | None

    @property
    def status_changed(self) -> bool:
        return self.old_status != self.new_status

    @property
    def duration_changed(self) -> bool:
        old, new = self.old_seconds, self.new_seconds
        if old is None or new is None:
            return False
        if abs(new - old) < MIN_DELTA_SECONDS:
            return False
        return new >= old * SLOWER_FACTOR or old >= new * SLOWER_FACTOR

    @property
    def changed(self) -> bool:
        return self.status_changed or self.duration_changed


def compare_jobs(old: BuildRecord, new: BuildRecord) -> list[JobChange]:
    """Pair the jobs of two builds by name: the new build's order first, then jobs only
    the old build had."""
    old_jobs = {job.name: job for job in old.jobs}
    changes = []
    for job in new.jobs:
        before = old_jobs.pop(job.name, None)
        changes.append(JobChange(
            job.name,
            before.status if before else None,
            job.status,
            job_seconds(before) if before else None,
            job_seconds(job),
        ))
    for job in old.jobs:
        if job.name in old_jobs:
            changes.append(JobChange(job.name, job.status, None, job_seconds(job), None))
    return changes


def default_partner(build: BuildRecord, runs: list[BuildRecord]) -> BuildRecord | None:
    """Pick the run to compare `build` with, from runs of its script (newest first).

    The newest earlier run that succeeded when `build` did not (the last good build), else
    the newest earlier run, else the newest other run.
    """
    others = [run for run in runs if run.id != build.id]
    earlier = [run for run in others if (run.created_at, run.id) < (build.created_at, build.id)]
    if build.status != "succeeded":
        for run in earlier:
            if run.status == "succeeded":
                return run
    if earlier:
        return earlier[0]
    return others[0] if others else None


@dataclass(frozen=True)
class CappedLog:
    """The tail of a log file as plain text lines."""

    lines: list[str]
    skipped_bytes: int
    """Bytes before the part that was read; 0 when the whole file was read."""
    missing: bool = False


def read_log_tail(path: str | None, cap: int = LOG_CAP_BYTES) -> CappedLog:
    """Read at most `cap` bytes from the end of a log, starting at a whole line.

    ANSI escape sequences are removed, so a colour change alone is no difference.
    """
    if not path:
        return CappedLog([], 0, missing=True)
    try:
        with Path(path).open("rb") as handle:
            size = handle.seek(0, 2)
            start = max(0, size - cap)
            handle.seek(start)
            data = handle.read(cap)
    except FileNotFoundError:
        return CappedLog([], 0, missing=True)
    if start:
        cut = data.find(b"\n") + 1
        start += cut
        data = data[cut:]
    text = strip_ansi(data.decode("utf-8", errors="replace"))
    return CappedLog(text.splitlines(), start)


def log_diff(old_path: str | None, new_path: str | None, old_label: str, new_label: str,
             cap: int = LOG_CAP_BYTES) -> list[str]:
    """Return a unified diff of two job logs, with notes on what was cut or missing."""
    old, new = read_log_tail(old_path, cap), read_log_tail(new_path, cap)
    notes = []
    for label, log in ((old_label, old), (new_label, new)):
        if log.missing:
            notes.append(f"# {label}: no log file (the job never started, or gc removed it)")
        elif log.skipped_bytes:
            notes.append(f"# {label}: only the last {cap // 1024} KiB are compared; "
                         f"{log.skipped_bytes} earlier bytes are left out")
    diff = list(difflib.unified_diff(old.lines, new.lines, old_label, new_label, lineterm=""))
    if not diff and not (old.missing and new.missing):
        diff = ["# the two logs are the same"]
    if len(diff) > MAX_DIFF_LINES:
        left_out = len(diff) - MAX_DIFF_LINES
        diff = [*diff[:MAX_DIFF_LINES], f"# {left_out} more diff lines are not shown"]
    return notes + diff


def usual_durations(store: Store, build: BuildRecord) -> dict[str, float]:
    """Return job durations of the newest earlier succeeded run of the same script.

    The timeline marks a job that takes much longer than this as slow. Empty when the
    script never succeeded before.
    """
    runs = store.list_builds(script=build.script, status="succeeded", limit=USUAL_RUNS)
    for run in runs:
        if (run.created_at, run.id) < (build.created_at, build.id):
            record = store.get_build(run.id)
            if record is None:
                continue
            return {
                job.name: seconds for job in record.jobs
                if job.status == "succeeded" and (seconds := job_seconds(job)) is not None
            }
    return {}
