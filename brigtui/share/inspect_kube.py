"""The kubernetes executor's inspector: a short-lived debug pod that mounts the claim read-only.

`open()` creates the pod and waits until it runs; every operation is an exec in it; `close()`
deletes it. The pod also ends on its own after `debug_deadline` seconds, so a crashed
brigtui leaves no running pod behind. When the claim is ReadWriteOnce and a pod on some node
uses it, the debug pod goes to that node with tolerations for that node's taints.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from brigtui.config import KubernetesSettings
from brigtui.container.debug import owner_label
from brigtui.engine.executors.base import LABEL_MANAGED_BY, LABEL_PROJECT, MANAGED_BY, SHARE_MOUNT
from brigtui.kube.connection import ClusterError, Connection, connect
from brigtui.kube.manifests import LABEL_ROLE
from brigtui.kube.names import label_value, object_name
from brigtui.share.exec_inspector import ExecInspector, ExecTransport
from brigtui.share.inspector import ShareError, ShareNotFound

logger = logging.getLogger(__name__)

CONTAINER = "inspect"
ROLE = "inspector"
"""Role label of debug pods; the executor's own garbage collection leaves this role alone."""
LABEL_INSPECTS = "brigtui.dev/inspects"
"""Build whose claim the debug pod mounts."""
ANNOTATION_OWNER = "brigtui.dev/inspector-owner"
"""`host/pid/start` of the brigtui process that created the pod (label values allow no `/`)."""
POLL = 0.25
"""Seconds between checks of the debug pod's phase while it starts."""

TransportFactory = Callable[[Connection, dict[str, Any]], ExecTransport]


def debug_pod(
    build_id: str,
    namespace: str,
    project: str,
    claim: str,
    settings: KubernetesSettings,
    *,
    node: str | None = None,
    tolerations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the debug pod's manifest: read-only claim, no token, no capabilities, a deadline."""
    name = object_name(build_id, "inspect", secrets.token_hex(2))
    security = {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsUser": settings.debug_user,
    }
    container = {
        "name": CONTAINER,
        "image": settings.debug_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sleep", str(settings.debug_deadline)],
        "workingDir": SHARE_MOUNT,
        "securityContext": security,
        "resources": {
            "requests": {"cpu": "10m", "memory": "16Mi"},
            "limits": {"cpu": "250m", "memory": "64Mi"},
        },
        "volumeMounts": [
            {"name": "share", "mountPath": SHARE_MOUNT, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "activeDeadlineSeconds": settings.debug_deadline,
        "terminationGracePeriodSeconds": 0,
        "containers": [container],
        "volumes": [
            {"name": "share", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
        ],
    }
    if node:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [node]}
            ]}]
        }}}  # fmt: skip
    if tolerations:
        spec["tolerations"] = tolerations
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PROJECT: label_value(project),
        LABEL_INSPECTS: label_value(build_id),
        LABEL_ROLE: ROLE,
    }
    metadata = {
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "annotations": {ANNOTATION_OWNER: owner_label()},
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def tolerations_for(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Tolerate each NoSchedule or NoExecute taint of a node, so the pod may run there."""
    result = []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        toleration: dict[str, Any] = {"key": taint.get("key", ""), "effect": taint["effect"]}
        if "value" in taint:
            toleration.update(operator="Equal", value=taint["value"])
        else:
            toleration["operator"] = "Exists"
        result.append(toleration)
    return result


class KubeInspector(ExecInspector):
    """Inspects a build's claim through a debug pod that exists from `open()` to `close()`."""

    backend = "kubernetes"

    def __init__(
        self,
        settings: KubernetesSettings,
        build_id: str,
        project: str,
        *,
        connection: Connection | None = None,
        transport_factory: TransportFactory | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        super().__init__(build_id)
        self.settings = settings
        self.project = project
        self.connection = connection
        self.transport_factory = transport_factory
        self.start_timeout = start_timeout
        self.pod: dict[str, Any] | None = None
        self.claim = object_name(build_id, "share")

    @property
    def pod_name(self) -> str:
        return str((self.pod or {}).get("metadata", {}).get("name", ""))

    def open(self) -> None:
        if self._transport is not None:
            return
        connection = self.connection = self.connection or connect(self.settings)
        self.where = f"debug pod in {connection.where()}"

        # Find the claim, and the node it is attached to when only one node may mount it.
        claim = self._read_claim(connection)
        node, tolerations = self._placement(connection, claim)

        # Create the pod, then wait until it runs; a pod that cannot start is removed.
        manifest = debug_pod(self.build_id, connection.namespace, self.project, self.claim,
                             self.settings, node=node, tolerations=tolerations)
        connection.request_sync("create", "pods", connection.core.create_namespaced_pod,
                                connection.namespace, manifest)
        self.pod = manifest
        logger.info("Created debug pod %s for build %s.", self.pod_name, self.build_id)
        try:
            self._wait_running(connection)
        except BaseException:
            self.close()
            raise
        self._transport = self._make_transport(connection, manifest)
        self.where = f"debug pod {self.pod_name} in {connection.where()}"

    def _make_transport(self, connection: Connection, manifest: dict[str, Any]) -> ExecTransport:
        if self.transport_factory is not None:
            return self.transport_factory(connection, manifest)
        from brigtui.share.kube_exec import KubeExecTransport

        return KubeExecTransport(connection, self.pod_name, CONTAINER)

    def close(self) -> None:
        self._transport = None
        if self.pod is None or self.connection is None:
            return
        name, self.pod = self.pod_name, None
        try:
            self.connection.request_sync(
                "delete", "pods", self.connection.core.delete_namespaced_pod, name,
                self.connection.namespace, grace_period_seconds=0,
            )  # fmt: skip
            logger.info("Deleted debug pod %s.", name)
        except ClusterError as error:
            if error.status != 404:
                logger.warning("Cannot delete debug pod %s: %s; it ends after %d s on its own.",
                               name, error, self.settings.debug_deadline)

    def _read_claim(self, connection: Connection) -> dict[str, Any]:
        try:
            return connection.request_sync(
                "get", "persistentvolumeclaims",
                connection.core.read_namespaced_persistent_volume_claim,
                self.claim, connection.namespace,
            )  # fmt: skip
        except ClusterError as error:
            if error.status == 404:
                raise ShareNotFound(
                    f"build {self.build_id} has no claim {self.claim} in {connection.where()} "
                    "any more (`brigtui gc` removes kept shares after their retention)"
                ) from None
            raise

    def _placement(self, connection: Connection, claim: dict[str, Any]) -> tuple[str | None, list[Any]]:
        """Return the node a ReadWriteOnce claim is attached to, and tolerations for it."""
        if "ReadWriteOnce" not in ((claim.get("spec") or {}).get("accessModes") or []):
            return None, []
        pods = connection.request_sync("list", "pods", connection.core.list_namespaced_pod,
                                       connection.namespace)
        node = None
        for pod in pods.get("items") or []:
            spec = pod.get("spec") or {}
            phase = (pod.get("status") or {}).get("phase")
            uses = any((volume.get("persistentVolumeClaim") or {}).get("claimName") == self.claim
                       for volume in spec.get("volumes") or [])
            if uses and spec.get("nodeName") and phase in ("Pending", "Running"):
                node = str(spec["nodeName"])
                break
        if node is None:
            return None, []
        try:
            found = connection.request_sync("get", "nodes", connection.core.read_node, node)
        except ClusterError as error:
            logger.info("Cannot read node %s for its taints (%s); no tolerations added.", node, error)
            return node, []
        return node, tolerations_for(found)

    def _wait_running(self, connection: Connection) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            pod = connection.request_sync("get", "pods", connection.core.read_namespaced_pod,
                                          self.pod_name, connection.namespace)
            status = pod.get("status") or {}
            if status.get("phase") == "Running":
                return
            if status.get("phase") in ("Failed", "Succeeded"):
                raise ShareError(f"debug pod {self.pod_name} ended before it could be used: "
                                 f"{self._why(connection, status)}")
            if time.monotonic() >= deadline:
                raise ShareError(
                    f"debug pod {self.pod_name} did not start within {self.start_timeout:g} s in "
                    f"{connection.where()}: {self._why(connection, status)}; it was deleted. Check "
                    f"that the image {self.settings.debug_image} can be pulled "
                    "(kubernetes.debug_image) and that a node can mount the claim"
                )
            time.sleep(POLL)

    def _why(self, connection: Connection, status: dict[str, Any]) -> str:
        """Collect the pod's events and waiting reasons into one line."""
        reasons = []
        for condition in status.get("conditions") or []:
            if condition.get("status") == "False" and condition.get("message"):
                reasons.append(f"{condition.get('reason', '')}: {condition['message']}")
        for container in status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason"):
                reasons.append(f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": "))
        try:
            events = connection.request_sync(
                "list", "events", connection.core.list_namespaced_event, connection.namespace,
                field_selector=f"involvedObject.name={self.pod_name}",
            )  # fmt: skip
        except ClusterError as error:
            reasons.append(f"(events unreadable: {error})")
            events = {}
        for event in events.get("items") or []:
            if (event.get("involvedObject") or {}).get("name") != self.pod_name:
                continue
            reasons.append(f"{event.get('reason', '')}: {event.get('message', '')}")
        return "; ".join(dict.fromkeys(reasons)) or "no events were reported"

