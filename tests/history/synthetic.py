"""Synthetic build records in bulk, for scale tests and the history benchmark."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brigtui.engine.ids import iso
from brigtui.engine.store import Store

SCRIPTS = ("build.py", "test.py", "deploy.py", "nightly.py", "lint.py", "docs.py",
           "release.py", "smoke.py")
EVENTS = ("exec", "push", "pull_request")
STATUSES = ("succeeded",) * 6 + ("failed", "failed", "cancelled", "interrupted")
JOBS = ("fetch", "compile", "package")
JOB_ENDS = (0.1, 0.7, 1.0)
"""Where each job ends, as a fraction of the build's duration."""
START = datetime(2026, 1, 1, tzinfo=UTC)


def fill_store(store: Store, folder: Path, count: int, seed: int = 7) -> None:
    """Insert `count` finished builds with three jobs each, one minute apart, oldest first."""
    chance = random.Random(seed)
    builds, jobs = [], []
    for number in range(count):
        created = START + timedelta(minutes=number)
        took = timedelta(seconds=chance.uniform(1, 600))
        status = chance.choice(STATUSES)
        build_id = f"{created:%Y%m%d-%H%M%S}-{number:04x}"
        builds.append((
            build_id, "synthetic", str(folder / chance.choice(SCRIPTS)), chance.choice(EVENTS),
            None, status, chance.choice(("manual", "change animals.txt", "change build.py")),
            "local", iso(created), iso(created), iso(created + took),
            f"image pull failed for build {number}" if status == "failed" else None,
            "kept" if status == "failed" else "none",
        ))
        starts = (0.0, *JOB_ENDS[:-1])
        for seq, (name, start, end) in enumerate(zip(JOBS, starts, JOB_ENDS, strict=True), 1):
            jobs.append((
                build_id, name, seq, status if seq == len(JOBS) else "succeeded",
                "alpine:3.19", json.dumps({"tasks": ["true"]}), iso(created),
                iso(created + took * start), iso(created + took * end),
            ))
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO builds (id, project, script, event, payload, status, trigger, executor, "
            "created_at, started_at, finished_at, error, share_state) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            builds,
        )
        db.executemany(
            "INSERT INTO jobs (build_id, name, seq, status, image, spec, created_at, started_at, "
            "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            jobs,
        )
