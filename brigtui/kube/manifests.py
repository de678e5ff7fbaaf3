"""The objects of a build as plain dicts: the owner Secret, job Secrets, the claim, the pods.

The owner Secret (one per build) carries the source tar and owns every other object through
ownerReferences, so deleting it lets the cluster's garbage collector remove the rest.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

from brigtui.config import KubernetesSettings
from brigtui.engine.executors.base import (
    LABEL_BUILD,
    SHARE_MOUNT,
    SOURCE_MOUNT,
    JobSpec,
    task_script,
)
from brigtui.kube import wrapper
from brigtui.kube.names import object_name

LABEL_ROLE = "brigtui.dev/role"
"""Role of an object in its build: owner, job, share or pod."""
LABEL_SHARE_USER = "brigtui.dev/share"
"""Set to "true" on pods that mount the build's claim (the ReadWriteOnce affinity uses it)."""
ANNOTATION_KEEP_UNTIL = "brigtui.dev/keep-until"
"""On a kept claim: when `brigtui gc` may delete it (ISO 8601, UTC)."""
ROLES = ("owner", "job", "share", "pod")

CONTAINER = "job"
SOURCE_KEY = "source.tar.gz"
SOURCE_DIR = "/var/run/brigtui/source"
DEFAULT_SHELL = "/bin/sh"
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"


@dataclass
class BuildObjects:
    """Names, namespace, labels and owner that the manifests of one build share."""

    build_id: str
    namespace: str
    labels: dict[str, str]
    settings: KubernetesSettings
    owner_uid: str = ""

    @property
    def owner_name(self) -> str:
        return object_name(self.build_id)

    @property
    def claim_name(self) -> str:
        return object_name(self.build_id, "share")

    def pod_name(self, job: str) -> str:
        return object_name(self.build_id, job)

    def job_secret_name(self, job: str) -> str:
        return object_name(self.build_id, job, "job")

    def metadata(self, name: str, role: str, job: str | None = None) -> dict[str, Any]:
        labels = dict(self.labels)
        labels[LABEL_ROLE] = role
        if job is not None:
            labels["brigtui.dev/job"] = job
        metadata: dict[str, Any] = {"name": name, "namespace": self.namespace, "labels": labels}
        if role != "owner":
            metadata["ownerReferences"] = [self.owner_reference()]
        return metadata

    def owner_reference(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "name": self.owner_name,
            "uid": self.owner_uid,
            "blockOwnerDeletion": False,
        }

    def selector(self) -> str:
        return f"{LABEL_BUILD}={self.build_id}"


def owner_secret(objects: BuildObjects, source_tar: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": objects.metadata(objects.owner_name, "owner"),
        "type": "Opaque",
        "data": {SOURCE_KEY: _b64(source_tar)},
    }


def claim(objects: BuildObjects) -> dict[str, Any]:
    settings = objects.settings
    spec: dict[str, Any] = {
        "accessModes": [settings.access_mode],
        "resources": {"requests": {"storage": settings.storage_size}},
    }
    if settings.storage_class:
        spec["storageClassName"] = settings.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": objects.metadata(objects.claim_name, "share"),
        "spec": spec,
    }


def job_secret(
    objects: BuildObjects, spec: JobSpec, marker: str, stdin: bytes | None
) -> dict[str, Any]:
    """The job's tasks, wrapper, env values and standard input, as a Secret's data."""
    shell = spec.shell or DEFAULT_SHELL
    data = {
        wrapper.WRAPPER_KEY: _b64(wrapper.wrapper_script(marker, shell, SOURCE_MOUNT).encode()),
        wrapper.TASKS_KEY: _b64(task_script(spec, shell).encode()),
    }
    for name, value in spec.env.items():
        data[f"env.{name}"] = _b64(value.encode())
    if stdin is not None:
        data[wrapper.STDIN_KEY] = _b64(stdin)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": objects.metadata(objects.job_secret_name(spec.name), "job", spec.name),
        "type": "Opaque",
        "data": data,
    }


def pod(
    objects: BuildObjects, spec: JobSpec, *, has_stdin: bool, node: str | None = None
) -> dict[str, Any]:
    """Return the job's pod; `node` pins a ReadWriteOnce share user to the first one's node."""
    settings = objects.settings
    metadata = objects.metadata(objects.pod_name(spec.name), "pod", spec.name)
    if spec.storage:
        metadata["labels"][LABEL_SHARE_USER] = "true"
    if spec.annotations:
        metadata["annotations"] = dict(spec.annotations)
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "enableServiceLinks": False,
        "initContainers": [_source_container(objects, spec)],
        "containers": [_job_container(objects, spec, has_stdin)],
        "volumes": _volumes(objects, spec, has_stdin),
    }
    if spec.timeout:
        pod_spec["activeDeadlineSeconds"] = max(1, math.ceil(spec.timeout))
    if spec.service_account:
        pod_spec["serviceAccountName"] = spec.service_account
    if spec.storage and settings.access_mode == "ReadWriteOnce":
        pod_spec["affinity"] = _same_node_affinity(objects, node)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}


def _job_container(objects: BuildObjects, spec: JobSpec, has_stdin: bool) -> dict[str, Any]:
    env: list[dict[str, Any]] = [
        {"name": "BRIGADE_BUILD_ID", "value": objects.build_id},
        {"name": "BRIGADE_PROJECT", "value": objects.labels.get("brigtui.dev/project", "")},
        {"name": "BRIGADE_JOB", "value": spec.name},
    ]
    if spec.storage:
        env.append({"name": "BRIGADE_SHARE_DIR", "value": SHARE_MOUNT})

    # Env values come from the job's Secret, since they may be secret.
    secret_name = objects.job_secret_name(spec.name)
    for name in spec.env:
        env.append({
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": secret_name, "key": f"env.{name}"}},
        })

    mounts = [
        {"name": "source", "mountPath": SOURCE_MOUNT},
        {"name": "job", "mountPath": wrapper.JOB_DIR, "readOnly": True},
    ]
    if spec.storage:
        mounts.append({"name": "share", "mountPath": SHARE_MOUNT})
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": spec.image,
        "imagePullPolicy": spec.image_pull_policy,
        "command": [DEFAULT_SHELL, f"{wrapper.JOB_DIR}/{wrapper.WRAPPER_KEY}"],
        "workingDir": SOURCE_MOUNT,
        "env": env,
        "volumeMounts": mounts,
    }

    resources = {}
    if spec.resource_requests:
        resources["requests"] = dict(spec.resource_requests)
    if spec.resource_limits:
        resources["limits"] = dict(spec.resource_limits)
    if resources:
        container["resources"] = resources
    if spec.privileged and objects.settings.allow_privileged:
        container["securityContext"] = {"privileged": True}
    return container


def _source_container(objects: BuildObjects, spec: JobSpec) -> dict[str, Any]:
    image = objects.settings.source_image or spec.image
    return {
        "name": "source",
        "image": image,
        "imagePullPolicy": spec.image_pull_policy if image == spec.image else "IfNotPresent",
        "command": [DEFAULT_SHELL, "-c", f"tar -xzf {SOURCE_DIR}/{SOURCE_KEY} -C {SOURCE_MOUNT}"],
        "volumeMounts": [
            {"name": "source", "mountPath": SOURCE_MOUNT},
            {"name": "build-source", "mountPath": SOURCE_DIR, "readOnly": True},
        ],
    }


def _volumes(objects: BuildObjects, spec: JobSpec, has_stdin: bool) -> list[dict[str, Any]]:
    items = [
        {"key": wrapper.WRAPPER_KEY, "path": wrapper.WRAPPER_KEY},
        {"key": wrapper.TASKS_KEY, "path": wrapper.TASKS_KEY},
    ]
    if has_stdin:
        items.append({"key": wrapper.STDIN_KEY, "path": wrapper.STDIN_KEY})
    volumes: list[dict[str, Any]] = [
        {"name": "source", "emptyDir": {}},
        {
            "name": "build-source",
            "secret": {
                "secretName": objects.owner_name,
                "items": [{"key": SOURCE_KEY, "path": SOURCE_KEY}],
            },
        },
        {
            "name": "job",
            "secret": {"secretName": objects.job_secret_name(spec.name), "items": items},
        },
    ]
    if spec.storage:
        volumes.append(
            {"name": "share", "persistentVolumeClaim": {"claimName": objects.claim_name}}
        )
    return volumes


def _same_node_affinity(objects: BuildObjects, node: str | None) -> dict[str, Any]:
    affinity: dict[str, Any] = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{
                "labelSelector": {
                    "matchLabels": {LABEL_BUILD: objects.build_id, LABEL_SHARE_USER: "true"}
                },
                "topologyKey": HOSTNAME_TOPOLOGY,
            }]
        }
    }
    if node:
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{
                    "matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]
                }]
            }
        }
    return affinity


def data_size(secret: dict[str, Any]) -> int:
    """Bytes of a Secret's data once decoded, as Kubernetes counts them against its 1 MiB cap."""
    return sum(len(base64.b64decode(value)) for value in secret.get("data", {}).values())


def redacted(secret: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a Secret that gives only the size of each value, for printing.

    The sizes go into `stringData`, which readers see as plain text.
    """
    copy = {key: value for key, value in secret.items() if key != "data"}
    copy["stringData"] = {
        key: f"<{len(base64.b64decode(value))} bytes, not shown>"
        for key, value in secret.get("data", {}).items()
    }
    return copy


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
