"""Finding and removing what crashed runs left behind, and shares past their retention."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from brigtui.config import ShareSettings
from brigtui.engine.executors.local import BUILD_TAG
from brigtui.engine.executors.process import find_tagged_processes, kill_tagged_processes
from brigtui.engine.ids import iso, owner_alive, parse_iso, utc_now
from brigtui.engine.model import BuildStatus
from brigtui.engine.store import BuildRecord, Store

logger = logging.getLogger(__name__)


@dataclass
class Leftovers:
    """Findings of `brigtui gc`, as lines a user can read."""

    interrupted: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    shares: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [*self.interrupted, *self.processes, *self.shares, *self.other]


def build_is_live(build: BuildRecord) -> bool:
    """True while the brigtui process that runs the build is alive."""
    if BuildStatus(build.status).finished:
        return False
    return owner_alive(build.owner_host, build.owner_pid, build.owner_started)


def mark_interrupted(store: Store) -> list[BuildRecord]:
    """Mark running builds whose owner process is gone as interrupted; return them."""
    found = []
    for status in (BuildStatus.RUNNING, BuildStatus.QUEUED):
        for build in store.list_builds(status=status.value, with_jobs=True):
            if owner_alive(build.owner_host, build.owner_pid, build.owner_started):
                continue
            now = iso(utc_now())
            share_state = "kept" if build.share_state == "live" else build.share_state
            store.update_build(
                build.id,
                status=BuildStatus.INTERRUPTED.value,
                finished_at=now,
                error="brigtui stopped while the build ran (killed, or the machine went down)",
                share_state=share_state,
            )
            for job in build.jobs:
                if job.status in ("pending", "running"):
                    store.update_job(build.id, job.name, status="cancelled", finished_at=now,
                                     error="interrupted")
            logger.info("Build %s was interrupted.", build.id)
            found.append(build)
    return found


def interrupted_leftovers(store: Store, state_dir: Path) -> list[str]:
    """Describe what interrupted builds left (processes, share folders), without removing it."""
    lines = []
    for build in store.list_builds(status=BuildStatus.INTERRUPTED.value):
        pids = find_tagged_processes(BUILD_TAG, build.id)
        if pids:
            lines.append(f"build {build.id}: {len(pids)} processes still running")
        share = state_dir / "shares" / build.id
        if share.exists():
            lines.append(f"build {build.id}: share folder {share}")
    return lines


def collect_garbage(
    store: Store,
    state_dir: Path,
    share_settings: ShareSettings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Leftovers:
    """Mark crashed builds interrupted, kill their processes, and remove expired shares.

    Interrupted builds lose their share, because no user chose to keep it. Failed and cancelled
    builds keep theirs until `keep_hours` pass or more than `keep_count` are kept.
    """
    now = now or utc_now()
    report = Leftovers()

    # Builds whose owner died are interrupted; their processes must not outlive them.
    crashed = mark_interrupted(store) if not dry_run else []
    for build in crashed:
        report.interrupted.append(f"build {build.id} ({Path(build.script).name}) marked interrupted")
    for build in store.list_builds(status=BuildStatus.INTERRUPTED.value):
        pids = find_tagged_processes(BUILD_TAG, build.id)
        if pids:
            if not dry_run:
                kill_tagged_processes(BUILD_TAG, build.id)
            kill = "would kill" if dry_run else "killed"
            report.processes.append(f"build {build.id}: {kill} {len(pids)} leftover processes")

    # Shares: those of interrupted builds, expired ones, those over the count, orphans.
    kept = [b for b in store.list_builds() if b.share_state in ("kept", "live")]
    live = {b.id for b in kept if build_is_live(b)}
    kept_finished = [b for b in kept if b.id not in live]
    expired: list[tuple[BuildRecord, str]] = []
    keep_for = timedelta(hours=share_settings.keep_hours)
    for position, build in enumerate(kept_finished):
        # The current keep_hours decides, so a shorter setting applies to shares kept before.
        finished = parse_iso(build.finished_at)
        expires = finished + keep_for if finished is not None else parse_iso(build.share_expires_at)
        if build.status == BuildStatus.INTERRUPTED.value:
            expired.append((build, "its build was interrupted"))
        elif expires is not None and expires <= now:
            expired.append((build, f"kept {share_settings.keep_hours:g} hours, until {iso(expires)}"))
        elif position >= share_settings.keep_count:
            expired.append((build, f"over share.keep_count ({share_settings.keep_count})"))
    for build, reason in expired:
        share = Path(build.share_path) if build.share_path else state_dir / "shares" / build.id
        if share.exists() and not dry_run:
            shutil.rmtree(share, ignore_errors=True)
        if not dry_run:
            store.update_build(build.id, share_state="expired")
        remove = "would remove" if dry_run else "removed"
        report.shares.append(f"build {build.id}: {remove} share ({reason})")

    known = {b.id for b in store.list_builds()}
    shares_root = state_dir / "shares"
    if shares_root.exists():
        for folder in shares_root.iterdir():
            if folder.name not in known:
                if not dry_run:
                    shutil.rmtree(folder, ignore_errors=True)
                remove = "would remove" if dry_run else "removed"
                report.shares.append(f"{remove} share folder {folder} of an unknown build")
    return report
