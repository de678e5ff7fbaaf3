"""brigtui killed during a build on the cluster: gc leaves no pod, claim or Secret."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

from brigtui.engine.store import Store
from tests.kube.conftest import CONTEXT, NAMESPACE, live_objects
from tests.kube.kubelet import SimulatedCluster
from tests.support import write_script

SCRIPT = '''
    @events.on("exec")
    async def handler(event, project):
        await Job("first", "busybox:1.36", ["echo one > /mnt/brigade/share/one"], storage=True).run()
        await Job("hang", "busybox:1.36", ["sleep 30"], storage=True).run()
'''
FLAGS = ["--executor", "kubernetes", "--context", CONTEXT, "--namespace", NAMESPACE]


async def brigtui(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "brigtui", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip


async def test_sigkill_then_gc_leaves_nothing(
    pipelines: Path, tmp_path: Path, cluster: SimulatedCluster
) -> None:
    write_script(pipelines, "crash.py", SCRIPT)
    state = tmp_path / "state"
    env = {**os.environ, "BRIGTUI_HOME": str(state)}
    chance = random.Random("kube-sigkill")
    for _ in range(4):
        process = await brigtui("run", *FLAGS, str(pipelines / "crash.py"), env=env)
        await asyncio.sleep(chance.uniform(0.3, 3.0))
        process.kill()
        await process.wait()

        collector = await brigtui("gc", str(pipelines), *FLAGS, env=env)
        out, err = await asyncio.wait_for(collector.communicate(), 120)
        assert collector.returncode == 0, err.decode()
        await cluster.settle()
        assert live_objects(cluster) == [], out.decode()
        store = Store(state)
        assert all(build.status != "running" for build in store.list_builds())
        store.close()


async def test_sighup_cleans_up_at_once(
    pipelines: Path, tmp_path: Path, cluster: SimulatedCluster
) -> None:
    write_script(pipelines, "crash.py", SCRIPT)
    state = tmp_path / "state"
    env = {**os.environ, "BRIGTUI_HOME": str(state)}
    process = await brigtui("run", *FLAGS, str(pipelines / "crash.py"), env=env)
    assert process.stderr is not None
    while line := await asyncio.wait_for(process.stderr.readline(), 60):
        if b"hang running" in line:
            break
    process.send_signal(signal.SIGHUP)
    assert await asyncio.wait_for(process.wait(), 60) == 129
    await cluster.settle()
    store = Store(state)
    build = store.list_builds()[0]
    assert build.status == "cancelled"
    # The cancelled build keeps its claim for inspection; its pods are gone at once.
    assert [name for name in live_objects(cluster) if name.startswith("pods/")] == []
