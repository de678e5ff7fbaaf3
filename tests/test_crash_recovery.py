"""brigtui killed in the middle of a build: nothing may be left behind, nothing recorded lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brigtui.engine.executors.local import BUILD_TAG
from brigtui.engine.executors.process import find_tagged_processes
from brigtui.engine.store import Store
from tests.support import write_script

SCRIPT = '''
    @events.on("exec")
    async def handler(event, project):
        await Job("first", "img", ['echo one > "$BRIGADE_SHARE_DIR/one"', "sleep 0.4"],
                  storage=True).run()
        await Group([
            Job("left", "img", ["sleep 5 & wait"], storage=True),
            Job("right", "img", ["setsid sleep 5 & sleep 5"], storage=True),
        ]).run_all()
'''


def start_build(pipelines: Path, sandbox: str) -> subprocess.Popen[str]:
    (pipelines / "brigtui.yaml").write_text(f"local:\n  sandbox: {sandbox}\n")
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "brigtui", "run", str(pipelines / "crash.py")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env,
    )


def gc(pipelines: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    completed = subprocess.run(
        [sys.executable, "-m", "brigtui", "gc", str(pipelines)],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )
    return completed.stdout


@pytest.mark.parametrize("sandbox", ["bubblewrap", "unshare", "none"])
def test_sigkill_at_random_points(pipelines: Path, sandbox: str) -> None:
    write_script(pipelines, "crash.py", SCRIPT)
    state = pipelines.parent / ".brigtui"
    chance = random.Random(f"sigkill-{sandbox}")
    rounds = 7 if sandbox != "none" else 6  # 20 kills in all
    for _ in range(rounds):
        process = start_build(pipelines, sandbox)
        time.sleep(chance.uniform(0.05, 1.5))
        process.kill()
        process.wait()

        # The next start of brigtui finds the dead build, and gc removes what it left.
        gc(pipelines)
        store = Store(state)
        for build in store.list_builds(with_jobs=True):
            assert build.status in ("interrupted", "succeeded", "failed"), build.status
            assert find_tagged_processes(BUILD_TAG, build.id) == []
            if build.status == "interrupted":
                assert not (state / "shares" / build.id).exists()
                assert build.share_state in ("none", "expired")
                assert all(job.status not in ("running", "pending") for job in build.jobs
                           if job.started_at)
        store.close()
    leftover = subprocess.run(["pgrep", "-f", "sleep 5"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
    shares = state / "shares"
    assert not shares.exists() or list(shares.iterdir()) == []


@pytest.mark.parametrize("sandbox", ["bubblewrap", "unshare", "none"])
def test_sighup_cleans_up_at_once(pipelines: Path, sandbox: str) -> None:
    write_script(pipelines, "crash.py", SCRIPT)
    state = pipelines.parent / ".brigtui"
    process = start_build(pipelines, sandbox)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        store = Store(state) if (state / "brigtui.db").exists() else None
        builds = store.list_builds(with_jobs=True) if store else []
        if builds and any(j.name == "left" and j.status == "running" for j in builds[0].jobs):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGHUP)
    assert process.wait(30) == 129

    # No gc: the cancel already stopped every job and recorded the build.
    store = Store(state)
    build = store.list_builds(with_jobs=True)[0]
    assert build.status == "cancelled"
    assert [j.status for j in build.jobs] == ["succeeded", "cancelled", "cancelled"]
    assert find_tagged_processes(BUILD_TAG, build.id) == []
    leftover = subprocess.run(["pgrep", "-f", "sleep 5"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
    # A cancelled build keeps its share for inspection, recorded with its expiry.
    assert build.share_state == "kept"
    assert (state / "shares" / build.id / "one").read_text() == "one\n"
