"""Jobs that cannot run or are stopped become clear job errors, and leave nothing behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from brigtui.engine.engine import BuildRequest, Engine
from tests.kube.conftest import NAMESPACE, kube_settings, live_objects
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster
from tests.support import write_script

ONE_JOB = """
@events.on("exec")
async def exec_handler(event, project):
    await Job("one", "{image}", ["echo started", "sleep {sleep}"], storage={storage}).run()
"""


def one_job(image: str = "alpine:3.19", sleep: float = 0, storage: bool = False) -> str:
    return ONE_JOB.format(image=image, sleep=sleep, storage=storage)


async def test_image_pull_error_named(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.pull_failures.add("registry.invalid/nope:1")
    finished = await run_script(tmp_path / "p", one_job("registry.invalid/nope:1"),
                                kube_settings())
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "registry.invalid/nope:1" in error
    assert "ErrImagePull" in error or "ImagePullBackOff" in error
    await cluster.settle()
    assert live_objects(cluster) == []


async def test_source_unpack_failure_named(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.without_tar.add("scratch-shell:1")
    finished = await run_script(tmp_path / "p", one_job("scratch-shell:1"),
                                kube_settings(source_image=""))
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "init container source" in error
    assert "exit code 127" in error
    assert "kubernetes.source_image" in error


async def test_unschedulable_pod_fails(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.unschedulable.add("one")
    finished = await run_script(tmp_path / "p", one_job(), kube_settings(start_timeout=0.5))
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "did not start within 0.5 s" in error
    assert "Insufficient cpu" in error
    assert f"namespace '{NAMESPACE}'" in error


async def test_pending_claim_names_class(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.pending_classes.add("slow-nfs")
    settings = kube_settings(storage_class="slow-nfs", claim_timeout=0.3)
    finished = await run_script(tmp_path / "p", one_job(storage=True), settings)
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "still Pending" in error
    assert "storage class slow-nfs" in error
    assert "access mode ReadWriteMany" in error
    assert "access_mode: ReadWriteOnce" in error


async def test_eviction_reported(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.evict.add("one")
    finished = await run_script(tmp_path / "p", one_job(sleep=5), kube_settings())
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "was evicted" in error
    assert "low on resource: memory" in error


async def test_pod_deleted_under_build(tmp_path: Path, cluster: SimulatedCluster) -> None:
    async def delete_when_running() -> None:
        while not any(pod.records for pod in cluster.pods.values()):
            await asyncio.sleep(0.02)
        name = next(iter(cluster.pods))
        await cluster.client.delete(f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")

    deleter = asyncio.create_task(delete_when_running())
    finished = await run_script(tmp_path / "p", one_job(sleep=5), kube_settings())
    await deleter
    assert finished.status == "failed"
    assert "was deleted" in finished.job("one").error


async def test_timeout_stops_pod(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("slow", "alpine:3.19", ["sleep 10"], timeout=0.5).run()
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "failed"
    assert "timed out" in finished.job("slow").error
    await cluster.settle()
    assert live_objects(cluster) == []


async def test_cancel_deletes_pods(tmp_path: Path, cluster: SimulatedCluster) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    script = write_script(folder, "script.py", one_job(sleep=30, storage=True))
    engine = Engine(folder, state_dir=tmp_path / "state", settings=kube_settings())
    try:
        runner = engine.start_build(BuildRequest(script))
        while not any(pod.records for pod in cluster.pods.values()):
            await asyncio.sleep(0.02)
        runner.cancel()
        assert runner.task is not None
        outcome = await runner.task
    finally:
        engine.close()
    assert outcome.status.value == "cancelled"
    await cluster.settle()
    assert all(pod.ended for pod in cluster.pods.values())
    assert [name for name in live_objects(cluster) if name.startswith("pods/")] == []


async def test_failed_build_keeps_claim(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("one", "alpine:3.19", ["echo data > /mnt/brigade/share/f", "exit 3"],
                  storage=True).run()
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "failed"
    assert finished.job("one").exit_code == 3
    await cluster.settle()
    claim = f"brigtui-{finished.record.id}-share"
    assert live_objects(cluster) == [f"persistentvolumeclaims/{claim}"]
    stored = cluster.stored("persistentvolumeclaims", claim).raw
    assert "ownerReferences" not in stored["metadata"]
    assert "brigtui.dev/keep-until" in stored["metadata"]["annotations"]
