"""The debug pod against kmock's emulator: its spec, placement, start failures and lifetime.

kmock serves no exec subresource, so the tests hand the inspector a transport that runs the
same exec commands in busybox under bubblewrap, with a folder standing in for the claim
mounted read-only at /mnt/brigade/share. What is not exercised here: the websocket exec
transport (`KubeExecTransport`) and the interactive shell through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kmock
import kubernetes_validate
import pytest

from brigtui.config import KubernetesSettings
from brigtui.kube.connection import Connection, connect
from brigtui.kube.names import object_name
from brigtui.share.download import download
from brigtui.share.exec_inspector import ExecTransport
from brigtui.share.inspect_kube import ROLE, KubeInspector
from brigtui.share.inspector import ShareError, ShareNotFound
from tests.kube.conftest import CONTEXT, NAMESPACE, kube_settings, write_kubeconfig
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster
from tests.share.support import BUSYBOX, busybox_pod, make_share

pytestmark = pytest.mark.skipif(
    BUSYBOX is None or shutil.which("bwrap") is None,
    reason="the debug pod's exec runs busybox in bubblewrap; install both",
)

BUILD = "20261204-101500-abcd"
CLAIM = object_name(BUILD, "share")


class Emulated:
    """kmock's emulator with a client bound to it and a switchable stand-in kubelet."""

    def __init__(self, emulator: Any, server: Any) -> None:
        self.emulator = emulator
        self.client = server.client
        self.run_pods = True
        self.created: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    def live(self, plural: str) -> list[dict[str, Any]]:
        return [obj.raw for (resource, _ns, _name), obj in self.emulator.objects.items()
                if resource.plural == plural and not obj.deleted]

    async def post(self, path: str, body: dict[str, Any]) -> None:
        await self.client.post(path, json=body)

    async def patch_status(self, plural: str, name: str, status: dict[str, Any]) -> None:
        await self.client.patch(f"/api/v1/namespaces/{NAMESPACE}/{plural}/{name}/status",
                                json={"status": status})

    async def kubelet(self) -> None:
        """Mark debug pods Running, as a node would once the image is there."""
        while True:
            for pod in self.live("pods"):
                labels = pod["metadata"].get("labels") or {}
                if labels.get("brigtui.dev/role") != ROLE:
                    continue
                if self.run_pods and (pod.get("status") or {}).get("phase") != "Running":
                    await self.patch_status("pods", pod["metadata"]["name"], {"phase": "Running"})
            await asyncio.sleep(0.02)


@pytest.fixture
async def emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Emulated]:
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(server.url).rstrip("/"))
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        state = Emulated(emulator, server)
        task = asyncio.get_running_loop().create_task(state.kubelet())
        try:
            yield state
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def settings(**changes: Any) -> KubernetesSettings:
    values = KubernetesSettings(context=CONTEXT, debug_image="busybox:1.36", debug_user=1234,
                                debug_deadline=900)
    for key, value in changes.items():
        setattr(values, key, value)
    return values


async def add_claim(emulated: Emulated, access_mode: str = "ReadWriteMany") -> None:
    await emulated.post(f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": CLAIM, "namespace": NAMESPACE},
        "spec": {"accessModes": [access_mode], "resources": {"requests": {"storage": "1Gi"}}},
    })  # fmt: skip


def local_claim(folder: Path) -> Any:
    def factory(connection: Connection, manifest: dict[str, Any]) -> ExecTransport:
        volumes = {volume["name"]: volume for volume in manifest["spec"]["volumes"]}
        assert volumes["share"]["persistentVolumeClaim"]["claimName"] == CLAIM
        return busybox_pod(folder)
    return factory


def debug_pods(emulated: Emulated) -> list[dict[str, Any]]:
    return [pod for pod in emulated.live("pods")
            if (pod["metadata"].get("labels") or {}).get("brigtui.dev/role") == ROLE]


async def test_pod_spec_locked_down(emulated: Emulated, tmp_path: Path) -> None:
    await add_claim(emulated)
    share = make_share(tmp_path / "claim")
    inspector = KubeInspector(settings(), BUILD, "proj", transport_factory=local_claim(share))
    await asyncio.to_thread(inspector.open)
    try:
        (pod,) = debug_pods(emulated)
        spec = pod["spec"]
        (container,) = spec["containers"]
        mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        assert mounts["share"] == {"name": "share", "mountPath": "/mnt/brigade/share", "readOnly": True}
        assert volumes["share"]["persistentVolumeClaim"] == {"claimName": CLAIM, "readOnly": True}
        assert spec["automountServiceAccountToken"] is False
        assert spec["activeDeadlineSeconds"] == 900
        assert container["image"] == "busybox:1.36"
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert security["runAsUser"] == 1234
        assert container["resources"]["limits"] == {"cpu": "250m", "memory": "64Mi"}
        labels = pod["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "brigtui"
        assert labels["brigtui.dev/inspects"] == BUILD
        assert labels["brigtui.dev/project"] == "proj"
        assert pod["metadata"]["namespace"] == NAMESPACE
        assert "affinity" not in spec
        kubernetes_validate.validate(pod, kubernetes_validate.latest_version(), strict=True)

        # Operations run through exec in the pod.
        names = [entry.name for entry in await asyncio.to_thread(inspector.list_dir, "")]
        assert "report.txt" in names
        assert await asyncio.to_thread(inspector.read, "report.txt", 5, 3) == b"one"
    finally:
        await asyncio.to_thread(inspector.close)
    assert debug_pods(emulated) == []


async def test_pod_created_on_open_deleted_on_close(emulated: Emulated, tmp_path: Path) -> None:
    await add_claim(emulated)
    inspector = KubeInspector(settings(), BUILD, "proj", transport_factory=local_claim(tmp_path))
    assert debug_pods(emulated) == []
    await asyncio.to_thread(inspector.open)
    name = inspector.pod_name
    assert [pod["metadata"]["name"] for pod in debug_pods(emulated)] == [name]
    await asyncio.to_thread(inspector.close)
    assert debug_pods(emulated) == []
    methods = [(request.method, request.url.path) for request in emulated.emulator
               if request.url.path.startswith(f"/api/v1/namespaces/{NAMESPACE}/pods")
               and request.method in ("POST", "DELETE")]
    assert methods == [
        ("POST", f"/api/v1/namespaces/{NAMESPACE}/pods"),
        ("DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}"),
    ]


async def test_read_write_once_placed_on_node(emulated: Emulated, tmp_path: Path) -> None:
    await add_claim(emulated, "ReadWriteOnce")
    await emulated.post("/api/v1/nodes", {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-b"},
        "spec": {"taints": [
            {"key": "dedicated", "value": "ci", "effect": "NoSchedule"},
            {"key": "gpu", "effect": "NoExecute"},
            {"key": "soft", "effect": "PreferNoSchedule"},
        ]},
    })  # fmt: skip
    job_pod = f"brigtui-{BUILD}-one"
    await emulated.post(f"/api/v1/namespaces/{NAMESPACE}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": job_pod, "namespace": NAMESPACE},
        "spec": {"nodeName": "node-b", "containers": [{"name": "job", "image": "alpine"}],
                 "volumes": [{"name": "share", "persistentVolumeClaim": {"claimName": CLAIM}}]},
    })  # fmt: skip
    await emulated.patch_status("pods", job_pod, {"phase": "Running"})

    inspector = KubeInspector(settings(), BUILD, "proj", transport_factory=local_claim(tmp_path))
    await asyncio.to_thread(inspector.open)
    try:
        (pod,) = debug_pods(emulated)
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert terms["nodeSelectorTerms"][0]["matchFields"] == [
            {"key": "metadata.name", "operator": "In", "values": ["node-b"]}
        ]
        assert pod["spec"]["tolerations"] == [
            {"key": "dedicated", "effect": "NoSchedule", "operator": "Equal", "value": "ci"},
            {"key": "gpu", "effect": "NoExecute", "operator": "Exists"},
        ]
    finally:
        await asyncio.to_thread(inspector.close)


async def test_pod_that_cannot_start_is_removed(emulated: Emulated, tmp_path: Path) -> None:
    await add_claim(emulated)
    emulated.run_pods = False
    inspector = KubeInspector(settings(), BUILD, "proj", transport_factory=local_claim(tmp_path),
                              start_timeout=1.5)

    async def report_events() -> None:
        while not debug_pods(emulated):
            await asyncio.sleep(0.02)
        name = debug_pods(emulated)[0]["metadata"]["name"]
        await emulated.post(f"/api/v1/namespaces/{NAMESPACE}/events", {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.1", "namespace": NAMESPACE},
            "involvedObject": {"kind": "Pod", "name": name, "namespace": NAMESPACE},
            "reason": "FailedScheduling",
            "message": "0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: ci}",
        })  # fmt: skip
        await emulated.patch_status("pods", name, {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/2 nodes are available"}]})  # fmt: skip

    reporter = asyncio.get_running_loop().create_task(report_events())
    with pytest.raises(ShareError) as caught:
        await asyncio.to_thread(inspector.open)
    await reporter
    message = str(caught.value)
    assert "did not start within 1.5 s" in message
    assert "FailedScheduling: 0/2 nodes are available: 2 node(s) had untolerated taint" in message
    assert "Unschedulable" in message
    assert "it was deleted" in message
    assert debug_pods(emulated) == []


async def test_missing_claim_creates_no_pod(emulated: Emulated, tmp_path: Path) -> None:
    inspector = KubeInspector(settings(), BUILD, "proj", transport_factory=local_claim(tmp_path))
    with pytest.raises(ShareNotFound, match=CLAIM):
        await asyncio.to_thread(inspector.open)
    assert debug_pods(emulated) == []
    await asyncio.to_thread(inspector.close)


SECOND_FAILS = """
@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", [
        "mkdir -p /mnt/brigade/share/out",
        "printf 'first job\\\\n' > /mnt/brigade/share/out/result.txt",
        "head -c 5000 /dev/urandom > '/mnt/brigade/share/out/odd name.bin'",
    ], storage=True)
    two = Job("two", "alpine:3.19", ["exit 4"], storage=True)
    await one.run()
    await two.run()
"""


async def test_failed_build_claim_inspected(tmp_path: Path, cluster: SimulatedCluster) -> None:
    finished = await run_script(tmp_path / "p", SECOND_FAILS, kube_settings())
    assert finished.status == "failed"
    assert finished.record.share_state == "kept"
    claim = object_name(finished.record.id, "share")
    claim_folder = cluster.work / "claims" / claim

    def transport(connection: Connection, manifest: dict[str, Any]) -> ExecTransport:
        return busybox_pod(claim_folder)

    connection = await asyncio.to_thread(connect, kube_settings().kubernetes)
    inspector = KubeInspector(kube_settings().kubernetes, finished.record.id, "p",
                              connection=connection, transport_factory=transport, start_timeout=10)
    await asyncio.to_thread(inspector.open)
    name = inspector.pod_name
    try:
        assert cluster.stored("pods", name) is not None
        assert cluster.placements.get(name) in ("node-a", "node-b")
        entries = await asyncio.to_thread(inspector.list_dir, "out")
        assert [entry.name for entry in entries] == ["odd name.bin", "result.txt"]
        await asyncio.to_thread(download, inspector, "out", tmp_path / "got")
    finally:
        await asyncio.to_thread(inspector.close)
    for name in ("odd name.bin", "result.txt"):
        assert (tmp_path / "got" / "out" / name).read_bytes() == (claim_folder / "out" / name).read_bytes()
    await cluster.settle()
    assert cluster.stored("pods", name) is None
    assert cluster.stored("persistentvolumeclaims", claim) is not None
