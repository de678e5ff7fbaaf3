"""Reading a pod's status: has the job started, why can it not start, how did it end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PULL_ERRORS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG_ERRORS = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


@dataclass
class Ended:
    """End of a job's pod: an exit code, or an error when the pod failed around the job."""

    exit_code: int | None
    error: str | None = None


def _statuses(pod: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return list((pod.get("status") or {}).get(key) or [])


def container_state(pod: dict[str, Any], name: str) -> dict[str, Any]:
    for status in _statuses(pod, "containerStatuses"):
        if status.get("name") == name:
            return dict(status.get("state") or {})
    return {}


def start_problem(pod: dict[str, Any]) -> str | None:
    """Describe an image pull or container set-up error that will not go away by waiting."""
    for key in ("initContainerStatuses", "containerStatuses"):
        for status in _statuses(pod, key):
            waiting = (status.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason")
            message = waiting.get("message") or "no details"
            if reason in PULL_ERRORS:
                return (
                    f"image {status.get('image')} cannot be pulled ({reason}): {message}; check "
                    "the image name and tag, and that the cluster can reach the registry "
                    "(imagePullSecrets for a private one)"
                )
            if reason in CONFIG_ERRORS:
                return f"container {status.get('name')} cannot start ({reason}): {message}"
    return None


def unschedulable(pod: dict[str, Any]) -> str | None:
    """Return the scheduler's message while the pod cannot be placed on a node."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("status") == "False"
            and condition.get("reason") == "Unschedulable"
        ):
            return str(condition.get("message") or "no node fits the pod")
    return None


def node_name(pod: dict[str, Any]) -> str | None:
    return (pod.get("spec") or {}).get("nodeName") or None


def has_started(pod: dict[str, Any], container: str) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Running", "Succeeded", "Failed"):
        return True
    state = container_state(pod, container)
    return "running" in state or "terminated" in state


def ended(pod: dict[str, Any], container: str) -> Ended | None:
    """Return how the job ended, or None while its container runs."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    reason = status.get("reason")
    name = (pod.get("metadata") or {}).get("name")
    if phase == "Failed" and reason == "Evicted":
        node = node_name(pod) or "its node"
        return Ended(None, f"pod {name} was evicted from {node}: "
                           f"{status.get('message') or 'no details'}")
    if phase == "Failed" and reason == "DeadlineExceeded":
        deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        return Ended(None, f"pod {name} passed its activeDeadlineSeconds ({deadline} s, the "
                           "job's timeout) and was stopped")
    terminated = container_state(pod, container).get("terminated")
    if terminated is not None:
        return Ended(int(terminated.get("exitCode", 1)))
    for init in _statuses(pod, "initContainerStatuses"):
        stopped = (init.get("state") or {}).get("terminated") or {}
        if stopped.get("exitCode", 0) != 0:
            return Ended(None, (
                f"init container {init.get('name')} of pod {name} (image {init.get('image')}), "
                f"which unpacks the project source into /src, failed with exit code "
                f"{stopped.get('exitCode')} ({stopped.get('reason') or 'no reason given'}); "
                "its image needs /bin/sh and tar with gzip, or set kubernetes.source_image to "
                "one that has them"
            ))  # fmt: skip
    if phase in ("Succeeded", "Failed"):
        detail = status.get("message") or reason or "no container status"
        return Ended(None, f"pod {name} ended ({phase}) without a result: {detail}")
    return None
