"""The objects a build creates: labels, owner, secrets kept out of pod specs, one node for RWO."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path
from typing import Any

import kubernetes_validate

from brigtui.kube.gc import gc_cluster
from tests.kube.conftest import client_requests, kube_settings, live_objects
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster

VALIDATE_VERSION = kubernetes_validate.latest_version()

SECRET_ENV = """
@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", ["echo token-1234 > /mnt/brigade/share/t"], storage=True)
    two = Job("two", "alpine:3.19", ['test "$TOKEN" = token-1234', "cat /mnt/brigade/share/t"],
              storage=True, env={"TOKEN": "token-1234"})
    await one.run()
    print(await two.run())
"""


def created_bodies(cluster: SimulatedCluster) -> list[dict[str, Any]]:
    return [r.data for r in client_requests(cluster) if r.method == "POST"]


async def test_objects_labelled_and_owned(tmp_path: Path, cluster: SimulatedCluster) -> None:
    finished = await run_script(tmp_path / "p", SECRET_ENV, kube_settings())
    assert finished.status == "succeeded", finished.error
    assert finished.printed == ["token-1234"]
    bodies = created_bodies(cluster)
    kinds = sorted(body["kind"] for body in bodies)
    assert kinds == ["PersistentVolumeClaim", "Pod", "Pod", "Secret", "Secret", "Secret"]

    owner = bodies[0]
    assert owner["kind"] == "Secret"
    assert "ownerReferences" not in owner["metadata"]
    uids = {
        ref["uid"] for body in bodies[1:] for ref in body["metadata"]["ownerReferences"]
    }
    assert uids == {cluster.uids[owner["metadata"]["name"]]}
    for body in bodies:
        labels = body["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "brigtui"
        assert labels["brigtui.dev/project"] == "p"
        assert labels["brigtui.dev/build"] == finished.record.id
        assert body["metadata"]["namespace"] == "brig"
        if body["kind"] == "Pod":
            assert labels["brigtui.dev/job"] in ("one", "two")


async def test_env_values_stay_in_secret(tmp_path: Path, cluster: SimulatedCluster) -> None:
    finished = await run_script(tmp_path / "p", SECRET_ENV, kube_settings())
    assert finished.status == "succeeded", finished.error
    pods = [body for body in created_bodies(cluster) if body["kind"] == "Pod"]
    for pod in pods:
        assert "token-1234" not in str(pod)
    env = {item["name"]: item for item in pods[1]["spec"]["containers"][0]["env"]}
    assert env["TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "env.TOKEN"
    secret = next(
        body for body in created_bodies(cluster)
        if body["metadata"]["name"].endswith("-two-job")
    )
    assert base64.b64decode(secret["data"]["env.TOKEN"]) == b"token-1234"
    assert b"token-1234" in base64.b64decode(secret["data"]["tasks.sh"])


async def test_sent_manifests_validate(tmp_path: Path, cluster: SimulatedCluster) -> None:
    finished = await run_script(tmp_path / "p", SECRET_ENV, kube_settings())
    assert finished.status == "succeeded", finished.error
    for body in created_bodies(cluster):
        kubernetes_validate.validate(body, VALIDATE_VERSION, strict=True)


async def test_read_write_once_one_node(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.rwx_supported = False
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        writers = Group(
            Job(f"write-{i}", "alpine:3.19", [f"echo {i} > /mnt/brigade/share/{i}"], storage=True)
            for i in range(4)
        )
        await writers.run_all()
        print(await Job("read", "alpine:3.19", ["cat /mnt/brigade/share/*"], storage=True).run())
    """
    finished = await run_script(tmp_path / "p", body, kube_settings(access_mode="ReadWriteOnce"))
    assert finished.status == "succeeded", finished.error
    assert finished.printed == ["0", "1", "2", "3"]
    assert len(set(cluster.placements.values())) == 1
    assert cluster.multi_attach == []


async def test_read_write_many_refused_without_class(
    tmp_path: Path, cluster: SimulatedCluster
) -> None:
    cluster.rwx_supported = False
    finished = await run_script(tmp_path / "p", SECRET_ENV, kube_settings(claim_timeout=0.3))
    assert finished.status == "failed"
    assert "access mode ReadWriteMany" in finished.job("one").error


async def test_stdin_from_result(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        one = Job("one", "alpine:3.19", ["printf 'b\\\\na\\\\nc\\\\n'"])
        two = Job("two", "alpine:3.19", ["sort"])
        two.stdin = await one.run()
        print(await two.run())
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "succeeded", finished.error
    assert finished.output("two") == b"a\nb\nc\n"


async def test_stdin_too_large_rejected(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("big", "alpine:3.19", ["wc -c"], stdin=b"x" * (2 * 1024 * 1024)).run()
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "failed"
    error = finished.job("big").error
    assert "standard input is over" in error
    assert "/mnt/brigade/share" in error
    assert not [body for body in created_bodies(cluster) if body["kind"] == "Pod"]


async def test_privileged_needs_setting(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("root", "alpine:3.19", ["true"], privileged=True).run()
    """
    refused = await run_script(tmp_path / "a", body, kube_settings())
    assert refused.status == "failed"
    assert "kubernetes.allow_privileged" in refused.job("root").error

    allowed = await run_script(tmp_path / "b", body, kube_settings(allow_privileged=True))
    assert allowed.status == "succeeded", allowed.error
    pod = next(body for body in created_bodies(cluster) if body["kind"] == "Pod")
    assert pod["spec"]["containers"][0]["securityContext"] == {"privileged": True}


async def test_source_over_limit_rejected(tmp_path: Path, cluster: SimulatedCluster) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "data.bin").write_bytes(os.urandom(300_000))  # random bytes do not compress
    finished = await run_script(folder, SECRET_ENV, kube_settings(source_limit=100_000))
    assert finished.status == "failed"
    assert "kubernetes.source_limit" in (finished.error or "")
    assert created_bodies(cluster) == []


async def test_gc_removes_orphans(tmp_path: Path, cluster: SimulatedCluster) -> None:
    kept = await run_script(tmp_path / "a", """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("one", "alpine:3.19", ["exit 1"], storage=True).run()
    """, kube_settings())
    assert kept.status == "failed"
    orphan_labels = {
        "app.kubernetes.io/managed-by": "brigtui", "brigtui.dev/build": "20260101-000000-dead",
        "brigtui.dev/role": "job",
    }
    for name, labels in (("orphan", orphan_labels),
                         ("alive", {**orphan_labels, "brigtui.dev/build": "alive"}),
                         ("foreign", {"app": "other"})):
        await cluster.client.post("/api/v1/namespaces/brig/secrets", json={
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": "brig", "labels": labels},
        })  # fmt: skip

    removed = await asyncio.to_thread(
        gc_cluster, kube_settings(), lambda build: build == "alive"
    )
    assert removed == ["secret brig/orphan of build 20260101-000000-dead"]
    assert sorted(live_objects(cluster)) == [
        f"persistentvolumeclaims/brigtui-{kept.record.id}-share",
        "secrets/alive",
        "secrets/foreign",
    ]
