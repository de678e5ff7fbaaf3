"""A simulated cluster around kmock's KubernetesEmulator: API server extras, kubelet, controllers.

kmock stores objects and serves watches. This module adds what a real cluster does on its own:
the API server's uids and deletecollection, a provisioner that binds claims, a scheduler and
kubelet that place and run pods and serve their logs, and a garbage collector that removes
the dependents of a deleted owner. Pods run on this host in a bubblewrap namespace that mounts their volumes
where the pod spec says; the simulated image has bash as /bin/sh, since Alpine's sh accepts
`<<<` like bash and Debian's dash does not.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kmock

NODES = ("node-a", "node-b")
_OWN_TOP = {"proc", "dev", "mnt", "src", "var"}
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_timestamp(nanos: int) -> str:
    """Format like Go's RFC3339Nano: trailing zeros of the fraction dropped."""
    moment = datetime.fromtimestamp(nanos // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos % 1_000_000_000:09d}".rstrip("0")
    return f"{moment}.{fraction}Z" if fraction else f"{moment}Z"


@dataclass
class LogRecord:
    nanos: int
    data: bytes
    """One line with its newline, or the last partial line without one."""


@dataclass
class SimPod:
    name: str
    job: str
    records: list[LogRecord] = field(default_factory=list)
    ended: bool = False
    streams: int = 0
    pending: str = ""
    """The scheduler's last message while the pod cannot be placed."""
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, record: LogRecord) -> None:
        self.records.append(record)
        self.changed.set()


class SimulatedCluster:
    """Everything a cluster does that kmock does not, driven from the test's event loop."""

    def __init__(self, emulator: Any, server: Any, work: Path, namespace: str) -> None:
        self.emulator = emulator
        self.client = server.client
        self.work = work
        self.namespace = namespace
        self.pods: dict[str, SimPod] = {}
        self.placements: dict[str, str] = {}
        self.forbidden: set[str] = set()
        """Resources (plural) that the test user may not create."""
        self.pull_failures: set[str] = set()
        self.without_tar: set[str] = set()
        """Images whose init container fails because they have no `tar`."""
        self.unschedulable: set[str] = set()
        self.evict: set[str] = set()
        self.pending_classes: set[str] = set()
        self.rwx_supported = True
        self.chunk_size = 7
        self.drop_after: int | None = None
        """Bytes after which the first log stream of every pod is cut off."""
        self.multi_attach: list[str] = []
        self.passes = 0
        self.uids: dict[str, str] = {}
        """Uid of every object created, by name."""
        self._nodes = itertools.cycle(NODES)
        self._task: asyncio.Task[None] | None = None
        self._install_reactions()

    # API server extras

    def _install_reactions(self) -> None:
        emulator = self.emulator
        emulator[kmock.action.CREATE] << self._created
        emulator["delete", re.compile(r"^/api/v1/namespaces/[^/]+/pods$")] << self._delete_pods
        emulator["get", re.compile(r"^/api/v1/namespaces/[^/]+/pods/[^/]+/log$")] << self._log

    def stored(self, plural: str, name: str) -> Any | None:
        for (resource, _namespace, key), obj in self.emulator.objects.items():
            if resource.plural == plural and key == name and not obj.deleted:
                return obj
        return None

    def live(self, plural: str) -> list[dict[str, Any]]:
        return [
            obj.raw for (resource, _namespace, _name), obj in self.emulator.objects.items()
            if resource.plural == plural and not obj.deleted
        ]

    async def _created(self, request: Any) -> Any:
        # A real API server fills in uid and creationTimestamp; kmock stores the body as sent.
        name = request.data["metadata"]["name"]
        obj = self.stored(request.resource.plural, name)
        if request.resource.plural in self.forbidden:
            # RBAC would reject the request before storing anything; kmock stored it already.
            obj.delete()
            raise kmock.KubernetesError(
                status=403, reason="Forbidden",
                message=f'{request.resource.plural} is forbidden: User "tester" cannot create '
                f'resource "{request.resource.plural}" in the namespace "{self.namespace}"',
            )  # fmt: skip
        self.uids[name] = str(uuid.uuid4())
        obj.patch({"metadata": {
            "uid": self.uids[name],
            "creationTimestamp": _now(),
        }})  # fmt: skip
        return obj.raw

    async def _delete_pods(self, request: Any) -> Any:
        selector = dict(
            part.split("=", 1) for part in request.params.get("labelSelector", "").split(",")
            if "=" in part
        )
        deleted = []
        for pod in self.live("pods"):
            labels = pod["metadata"].get("labels") or {}
            if all(labels.get(key) == value for key, value in selector.items()):
                name = pod["metadata"]["name"]
                await self.client.delete(f"/api/v1/namespaces/{self.namespace}/pods/{name}")
                deleted.append(pod)
        return {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": deleted}

    # Serving logs

    async def _log(self, request: Any) -> Any:
        name = request.url.path.split("/")[-2]
        pod = self.pods.get(name)
        if pod is None:
            return kmock.KubernetesObjectNotFoundError()
        return self._log_stream(pod, request)

    async def _log_stream(self, pod: SimPod, request: Any) -> Any:
        params = request.params
        since = params.get("sinceTime")
        since_nanos = 0
        if since:
            moment = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            since_nanos = int(moment.timestamp()) * 1_000_000_000
        pod.streams += 1
        drop_at = self.drop_after if pod.streams == 1 else None
        sent = 0
        index = 0
        yield b""
        while True:
            pod.changed.clear()
            while index < len(pod.records):
                record = pod.records[index]
                index += 1
                if record.nanos < since_nanos:
                    continue
                line = go_timestamp(record.nanos).encode() + b" " + record.data
                for start in range(0, len(line), self.chunk_size):
                    chunk = line[start : start + self.chunk_size]
                    if drop_at is not None and sent + len(chunk) > drop_at:
                        # A dropped connection: the stream breaks off in the middle of a line.
                        yield chunk[: drop_at - sent]
                        await asyncio.sleep(0.05)
                        request._raw_request.transport.abort()
                        return
                    sent += len(chunk)
                    yield chunk
            if pod.ended or params.get("follow") != "true":
                return
            await pod.changed.wait()

    # The control loop

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for pod in self.pods.values():
            if pod.process is not None and pod.process.returncode is None:
                pod.process.kill()
            if pod.task is not None:
                pod.task.cancel()

    async def settle(self) -> None:
        """Wait until the control loop has made two full passes (garbage collection included)."""
        target = self.passes + 2
        while self.passes < target:
            await asyncio.sleep(0.01)

    async def _loop(self) -> None:
        while True:
            self.passes += 1
            await self._collect_garbage()
            await self._provision_claims()
            for pod in self.live("pods"):
                name = pod["metadata"]["name"]
                if name not in self.pods or self.pods[name].task is None:
                    await self._schedule(pod)
            await self._kill_deleted()
            await asyncio.sleep(0.02)

    async def _collect_garbage(self) -> None:
        uids = {
            obj["metadata"].get("uid")
            for plural in ("secrets", "pods", "persistentvolumeclaims")
            for obj in self.live(plural)
        }
        for plural in ("pods", "persistentvolumeclaims", "secrets"):
            for obj in self.live(plural):
                owners = obj["metadata"].get("ownerReferences") or []
                if owners and all(owner.get("uid") not in uids for owner in owners):
                    name = obj["metadata"]["name"]
                    await self.client.delete(
                        f"/api/v1/namespaces/{self.namespace}/{plural}/{name}"
                    )

    async def _provision_claims(self) -> None:
        for claim in self.live("persistentvolumeclaims"):
            if (claim.get("status") or {}).get("phase"):
                continue
            spec = claim["spec"]
            storage_class = spec.get("storageClassName", "standard")
            refused = storage_class in self.pending_classes or (
                "ReadWriteMany" in spec["accessModes"] and not self.rwx_supported
            )
            await self._patch_status(
                "persistentvolumeclaims", claim["metadata"]["name"],
                {"phase": "Pending" if refused else "Bound"},
            )  # fmt: skip

    # Scheduler and kubelet

    async def _schedule(self, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        job = pod["metadata"]["labels"].get("brigtui.dev/job", "")
        sim = self.pods.setdefault(name, SimPod(name, job))
        if job in self.unschedulable:
            await self._unschedulable(name, "0/2 nodes are available: 2 Insufficient cpu.")
            return
        for claim in self._claims(pod):
            stored = self.stored("persistentvolumeclaims", claim)
            if stored is None or stored.raw.get("status", {}).get("phase") != "Bound":
                await self._unschedulable(
                    name, "0/2 nodes are available: pod has unbound immediate "
                    "PersistentVolumeClaims.",
                )  # fmt: skip
                return
        node = self._pick_node(pod)
        self.placements[name] = node
        await self.client.patch(
            f"/api/v1/namespaces/{self.namespace}/pods/{name}", json={"spec": {"nodeName": node}}
        )
        sim.task = asyncio.get_running_loop().create_task(self._run_pod(sim, pod))

    def _claims(self, pod: dict[str, Any]) -> list[str]:
        return [
            volume["persistentVolumeClaim"]["claimName"]
            for volume in pod["spec"].get("volumes", []) if "persistentVolumeClaim" in volume
        ]

    def _pick_node(self, pod: dict[str, Any]) -> str:
        affinity = pod["spec"].get("affinity") or {}
        for term in (affinity.get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution", {}
        ).get("nodeSelectorTerms", []):
            for field_match in term.get("matchFields", []):
                return str(field_match["values"][0])
        for term in (affinity.get("podAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution", []
        ):
            wanted = term["labelSelector"]["matchLabels"]
            for other in self.live("pods"):
                labels = other["metadata"].get("labels") or {}
                placed = self.placements.get(other["metadata"]["name"])
                if placed and all(labels.get(k) == v for k, v in wanted.items()):
                    return placed
        return next(self._nodes)

    async def _unschedulable(self, name: str, message: str) -> None:
        if self.pods[name].pending == message:
            return
        self.pods[name].pending = message
        await self._patch_status("pods", name, {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False",
                            "reason": "Unschedulable", "message": message}],
        })  # fmt: skip

    async def _run_pod(self, sim: SimPod, pod: dict[str, Any]) -> None:
        name = sim.name
        container = pod["spec"]["containers"][0]
        scheduled = [{"type": "PodScheduled", "status": "True"}]

        # Pull the images: a failing image stays in ErrImagePull, then ImagePullBackOff.
        for spec in [*pod["spec"].get("initContainers", []), container]:
            if spec["image"] in self.pull_failures:
                for reason in ("ErrImagePull", "ImagePullBackOff"):
                    await self._patch_status("pods", name, {
                        "phase": "Pending", "conditions": scheduled,
                        "containerStatuses": [{
                            "name": container["name"], "image": spec["image"], "ready": False,
                            "restartCount": 0,
                            "state": {"waiting": {"reason": reason, "message":
                                      f'pull access denied for {spec["image"]}'}},
                        }],
                    })  # fmt: skip
                    await asyncio.sleep(0.05)
                return

        # A ReadWriteOnce claim attaches to one node only.
        for claim in self._claims(pod):
            stored = self.stored("persistentvolumeclaims", claim).raw
            if "ReadWriteOnce" in stored["spec"]["accessModes"]:
                nodes = {
                    self.placements[other] for other in self.placements
                    if other != name and self._uses_claim(other, claim)
                }
                if nodes - {self.placements[name]}:
                    self.multi_attach.append(name)

        # Run the init containers, then the job's container.
        volumes = self._volumes(pod)
        for spec in pod["spec"].get("initContainers", []):
            if spec["image"] in self.without_tar:
                await self._patch_status("pods", name, {
                    "phase": "Failed",
                    "initContainerStatuses": [{
                        "name": spec["name"], "image": spec["image"], "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": {"exitCode": 127, "reason": "Error"}},
                    }],
                })  # fmt: skip
                sim.ended = True
                sim.changed.set()
                return
            code = await self._exec(sim, pod, spec, volumes, record=False)
            assert code == 0, f"init container {spec['name']} of {name} failed"
        await self._patch_status("pods", name, {
            "phase": "Running", "conditions": scheduled,
            "containerStatuses": [{"name": container["name"], "image": container["image"],
                                   "ready": True, "restartCount": 0,
                                   "state": {"running": {"startedAt": _now()}}}],
        })  # fmt: skip
        code = await self._exec(sim, pod, container, volumes, record=True)
        if sim.ended:
            return
        if sim.job in self.evict:
            await self._patch_status("pods", name, {
                "phase": "Failed", "reason": "Evicted",
                "message": "The node was low on resource: memory.",
            })  # fmt: skip
            sim.ended = True
            sim.changed.set()
            return
        await self._terminate(sim, container["name"], code)

    def _uses_claim(self, pod_name: str, claim: str) -> bool:
        stored = self.stored("pods", pod_name)
        return stored is not None and claim in self._claims(stored.raw)

    async def _terminate(self, sim: SimPod, container: str, code: int) -> None:
        sim.ended = True
        sim.changed.set()
        await self._patch_status("pods", sim.name, {
            "phase": "Succeeded" if code == 0 else "Failed",
            "containerStatuses": [{"name": container, "ready": False, "restartCount": 0,
                                   "state": {"terminated": {"exitCode": code}}}],
        })  # fmt: skip

    def _volumes(self, pod: dict[str, Any]) -> dict[str, Path]:
        root = self.work / "pods" / pod["metadata"]["name"]
        paths: dict[str, Path] = {}
        for volume in pod["spec"].get("volumes", []):
            path = root / volume["name"]
            if "persistentVolumeClaim" in volume:
                path = self.work / "claims" / volume["persistentVolumeClaim"]["claimName"]
            path.mkdir(parents=True, exist_ok=True)
            if "secret" in volume:
                data = self.secret_data(volume["secret"]["secretName"])
                for item in volume["secret"]["items"]:
                    (path / item["path"]).write_bytes(data[item["key"]])
            paths[volume["name"]] = path
        return paths

    def secret_data(self, name: str) -> dict[str, bytes]:
        stored = self.stored("secrets", name)
        assert stored is not None, f"secret {name} is missing"
        return {key: base64.b64decode(value) for key, value in stored.raw["data"].items()}

    async def _exec(self, sim: SimPod, pod: dict[str, Any], spec: dict[str, Any],
                    volumes: dict[str, Path], record: bool) -> int:
        env = {"PATH": _PATH, "HOME": "/root", "HOSTNAME": sim.name}
        for item in spec.get("env", []):
            if "value" in item:
                env[item["name"]] = item["value"]
            else:
                ref = item["valueFrom"]["secretKeyRef"]
                env[item["name"]] = self.secret_data(ref["name"])[ref["key"]].decode()
        command = sandbox_command(spec, volumes)
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        sim.process = process
        assert process.stdout is not None and process.stderr is not None
        await asyncio.gather(
            self._pump(sim, process.stdout, record), self._pump(sim, process.stderr, record)
        )
        return await process.wait()

    async def _pump(self, sim: SimPod, stream: asyncio.StreamReader, record: bool) -> None:
        pending = b""
        while chunk := await stream.read(4096):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            nanos = time.time_ns()  # one stamp per read: several lines may share it
            for line in lines:
                if record:
                    sim.add(LogRecord(nanos, line + b"\n"))
            if record and sim.job in self.evict and sim.records and sim.process is not None:
                sim.process.kill()  # the node runs out of memory once the job has started
        if pending and record:
            sim.add(LogRecord(time.time_ns(), pending))

    async def _kill_deleted(self) -> None:
        live = {pod["metadata"]["name"] for pod in self.live("pods")}
        for name, sim in self.pods.items():
            if name not in live and not sim.ended:
                sim.ended = True
                sim.changed.set()
                if sim.process is not None and sim.process.returncode is None:
                    sim.process.kill()

    async def _patch_status(self, plural: str, name: str, status: dict[str, Any]) -> None:
        if self.stored(plural, name) is None:
            return
        await self.client.patch(
            f"/api/v1/namespaces/{self.namespace}/{plural}/{name}/status", json={"status": status}
        )


def sandbox_command(spec: dict[str, Any], volumes: dict[str, Path]) -> list[str]:
    """Return a bwrap command running the container with its volumes at their mount paths."""
    args = ["bwrap", "--tmpfs", "/"]
    for entry in sorted(Path("/").iterdir()):
        if entry.name in _OWN_TOP:
            continue
        if entry.is_symlink():
            args += ["--symlink", str(entry.readlink()), str(entry)]
        elif entry.is_dir():
            args += ["--dev-bind", str(entry), str(entry)]
    args += ["--proc", "/proc", "--dev", "/dev", "--dir", "/var", "--dir", "/mnt"]
    bash = shutil.which("bash") or "/bin/bash"
    args += ["--ro-bind", bash, str(Path("/bin/sh").resolve())]
    for mount in spec.get("volumeMounts", []):
        kind = "--ro-bind" if mount.get("readOnly") else "--bind"
        args += ["--dir", mount["mountPath"], kind, str(volumes[mount["name"]]), mount["mountPath"]]
    if spec.get("workingDir"):
        args += ["--chdir", spec["workingDir"]]
    args += ["--unshare-pid", "--die-with-parent", "--", *spec["command"]]
    return args
