"""brigtui killed while container jobs run: gc leaves no container behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brigtui.container.runtime import Runtime
from brigtui.engine.store import Store
from tests.container.support import TEST_IMAGE, containers_of
from tests.support import write_script

pytestmark = pytest.mark.container

SCRIPT = f'''
    @events.on("exec")
    async def handler(event, project):
        await Job("first", "{TEST_IMAGE}", ["echo one > /mnt/brigade/share/one"], storage=True).run()
        await Job("hang", "{TEST_IMAGE}", ["sleep 30"], storage=True).run()
'''


def start(pipelines: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "brigtui", "run", "--executor", "container", str(pipelines / "crash.py")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env,
    )


def brigtui_gc(pipelines: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "brigtui", "gc", str(pipelines)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    ).stdout


def test_sigkill_then_gc_leaves_no_container(container_pipelines: Path, runtime: Runtime) -> None:
    write_script(container_pipelines, "crash.py", SCRIPT)
    state = container_pipelines.parent / ".brigtui"
    chance = random.Random("container-sigkill")
    for _ in range(4):
        process = start(container_pipelines)
        time.sleep(chance.uniform(0.2, 3.0))
        process.kill()
        process.wait()
        brigtui_gc(container_pipelines)
        store = Store(state)
        for build in store.list_builds():
            assert build.status != "running"
            assert containers_of(runtime, build.id) == []
            if build.status == "interrupted":
                assert not (state / "shares" / build.id).exists()
        store.close()


def test_sighup_stops_containers_at_once(container_pipelines: Path, runtime: Runtime) -> None:
    write_script(container_pipelines, "crash.py", SCRIPT)
    state = container_pipelines.parent / ".brigtui"
    process = start(container_pipelines)
    deadline = time.monotonic() + 60
    build_id = ""
    while time.monotonic() < deadline and not build_id:
        if (state / "brigtui.db").exists():
            builds = Store(state).list_builds(with_jobs=True)
            if builds and any(j.name == "hang" and j.status == "running" for j in builds[0].jobs):
                build_id = builds[0].id
        time.sleep(0.1)
    assert build_id
    time.sleep(1.0)
    process.send_signal(signal.SIGHUP)
    assert process.wait(60) == 129
    build = Store(state).get_build(build_id)
    assert build is not None
    assert build.status == "cancelled"
    assert containers_of(runtime, build_id) == []
