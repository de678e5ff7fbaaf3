"""`brigtui builds` and `brigtui logs`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from brigtui.commands.common import find_build, open_store, pipelines_folder
from brigtui.commands.progress import GLYPHS
from brigtui.engine.engine import state_dir_for
from brigtui.engine.errors import UsageError
from brigtui.engine.ids import parse_iso
from brigtui.engine.store import BuildRecord

FAILED_STATES = ("failed", "cancelled", "interrupted")


def builds_command(args: argparse.Namespace) -> int:
    folder = pipelines_folder(args.dir)
    if not state_dir_for(folder).exists():
        print("[]" if args.json else "no builds recorded yet")
        return 0
    store = open_store(folder)
    builds = store.list_builds(
        limit=None if args.failed else args.limit, with_jobs=args.json, folder=folder
    )
    if args.failed:
        builds = [b for b in builds if b.status in FAILED_STATES][: args.limit]
    if args.json:
        print(json.dumps([build.as_json() for build in builds], indent=2))
        return 0
    if not builds:
        print("no builds recorded yet", file=sys.stderr)
        return 0
    print(f"{'BUILD':<21} {'STATUS':<13} {'SCRIPT':<16} {'EVENT':<8} {'DURATION':>9}  "
          f"{'SHARE':<17} TRIGGER")
    for build in builds:
        print(format_build_row(build))
    return 0


def format_build_row(build: BuildRecord) -> str:
    status = f"{GLYPHS.get(build.status, '?')} {build.status}"
    script = Path(build.script).name
    return (
        f"{build.id:<21} {status:<13} {script:<16.16} {build.event:<8.8} "
        f"{format_duration(build.started_at, build.finished_at):>9}  {share_label(build):<17} "
        f"{build.trigger}"
    )


def share_label(build: BuildRecord) -> str:
    if build.share_state == "kept" and build.share_expires_at:
        return f"kept {build.share_expires_at[5:16].replace('T', ' ')}"
    return build.share_state


def format_duration(started: str | None, finished: str | None) -> str:
    start, end = parse_iso(started), parse_iso(finished)
    if start is None or end is None:
        return "-"
    seconds = (end - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def logs_command(args: argparse.Namespace) -> int:
    store = open_store(pipelines_folder(args.dir))
    build = find_build(store, args.build, pipelines_folder(args.dir))
    if args.job is None:
        path = Path(build.log_path) if build.log_path else None
    else:
        job = next((j for j in build.jobs if j.name == args.job), None)
        if job is None:
            names = ", ".join(j.name for j in build.jobs) or "none"
            raise UsageError(f"build {build.id} has no job '{args.job}'; its jobs: {names}")
        if job.log_path is None:
            print(f"job '{job.name}' never started: {job.error or job.status}", file=sys.stderr)
            return 0
        path = Path(job.log_path)
    if path is None or not path.exists():
        raise UsageError(f"the log of build {build.id} is gone ({path}); 'brigtui gc' may have removed it")
    with path.open("rb") as handle:
        shutil.copyfileobj(handle, sys.stdout.buffer)
    sys.stdout.flush()
    return 0
