"""The example pipelines on the simulated cluster give the same results as on the local executor."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.messages import BuildPrinted
from tests.kube.conftest import client_requests, kube_settings, live_objects
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster
from tests.support import Recorder

EXAMPLES = ("pass_output.py", "shared_storage.py", "groups.py")


async def run_example(folder: Path, script: str, state: Path, **engine_args: object
                      ) -> tuple[str, list[str], dict[str, bytes], str]:
    """Run one example; return its status, printed lines, job outputs and build id."""
    engine = Engine(folder, state_dir=state, **engine_args)  # type: ignore[arg-type]
    recorder = Recorder()
    engine.subscribe(recorder)
    try:
        outcome = await engine.run_build(BuildRequest(folder / script))
        build = engine.store.get_build(outcome.build_id)
    finally:
        engine.close()
    assert build is not None
    # The `after` handler prints the build id, which differs between the two builds.
    printed = [m.text.replace(build.id, "BUILD") for m in recorder.of(BuildPrinted)]
    outputs = {job.name: Path(job.output_path or "").read_bytes() for job in build.jobs}
    return outcome.status.value, printed, outputs, build.id


@pytest.mark.parametrize("script", EXAMPLES)
async def test_example_matches_local(
    script: str, pipelines: Path, tmp_path: Path, cluster: SimulatedCluster
) -> None:
    local = await run_example(pipelines, script, tmp_path / "local-state", executor="local")
    remote = await run_example(
        pipelines, script, tmp_path / "kube-state", settings=kube_settings()
    )
    assert local[0] == "succeeded"
    assert remote[0] == local[0]
    assert remote[1] == local[1]
    assert remote[2] == local[2]
    await cluster.settle()
    assert live_objects(cluster) == []


async def test_requests_per_build_bounded(
    pipelines: Path, tmp_path: Path, cluster: SimulatedCluster
) -> None:
    status, _, outputs, _ = await run_example(
        pipelines, "groups.py", tmp_path / "state", settings=kube_settings()
    )
    assert status == "succeeded"
    jobs = len(outputs)
    requests = client_requests(cluster)
    assert jobs == 5
    assert len(requests) <= 3 * jobs + 10, [f"{r.method} {r.url.path}" for r in requests]


async def test_cli_run_on_cluster(pipelines: Path, tmp_path: Path, cluster: SimulatedCluster
                                  ) -> None:
    env = {**os.environ, "BRIGTUI_HOME": str(tmp_path / "cli-state")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "brigtui", "run", "--executor", "kubernetes",
        "--context", "kmock", "--namespace", "brig", str(pipelines / "pass_output.py"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().split() == [
        "black", "rhino", "greater", "one-horned", "rhino", "javan", "rhino",
        "sumatran", "rhino", "white", "rhino",
    ]  # fmt: skip
    await cluster.settle()
    assert live_objects(cluster) == []


FOUR_WAYS = '''
    from pathlib import Path
    from brigtui import pipe

    IMAGE = "busybox:1.36"

    @events.on("exec")
    async def handler(event, project):
        data = await Job("one", IMAGE, ["cat animals.txt"]).run()
        by_env = await Job("env", IMAGE, ['grep rhino <<< "$DATA"'], env={"DATA": data}).run()
        by_stdin = await Job("stdin", IMAGE, ["grep rhino"], stdin=data).run()
        piped = await pipe(Job("cat", IMAGE, ["cat animals.txt"]), Job("grep", IMAGE, ["grep rhino"]))
        await Job("put", IMAGE, ["cp animals.txt /mnt/brigade/share/a"], storage=True).run()
        by_share = await Job("share", IMAGE, ["grep rhino"], storage=True,
                             stdin=Path("/mnt/brigade/share/a")).run()
        for result in (by_env, by_stdin, piped[-1], by_share):
            print(result.text.replace("\\n", ","))
'''


async def test_four_ways_same_matches(pipelines: Path, tmp_path: Path, cluster: SimulatedCluster) -> None:
    animals = (pipelines / "animals.txt").read_text()
    folder = tmp_path / "four"
    folder.mkdir()
    (folder / "animals.txt").write_text(animals)
    finished = await run_script(folder, FOUR_WAYS, kube_settings())
    assert finished.status == "succeeded", finished.error
    expected = ",".join(line for line in animals.splitlines() if "rhino" in line)
    assert finished.printed == [expected] * 4
    await cluster.settle()
    assert live_objects(cluster) == []
