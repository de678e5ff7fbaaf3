"""Removing what builds left in the cluster when no live brigtui owns them any more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from brigtui.config import Settings
from brigtui.container.debug import parse_owner
from brigtui.engine.executors.base import LABEL_BUILD, LABEL_MANAGED_BY, MANAGED_BY
from brigtui.engine.ids import owner_alive, parse_iso, utc_now
from brigtui.kube.connection import ClusterError, Connection, connect
from brigtui.kube.manifests import ANNOTATION_KEEP_UNTIL, LABEL_ROLE, ROLES

logger = logging.getLogger(__name__)

# The share inspector's debug pods, as brigtui.share.inspect_kube labels them.
INSPECTOR_ROLE = "inspector"
LABEL_INSPECTS = "brigtui.dev/inspects"
ANNOTATION_INSPECTOR_OWNER = "brigtui.dev/inspector-owner"

# Kinds in deletion order: pods first so that claims are no longer in use.
_KINDS = (
    ("pods", "list_namespaced_pod", "delete_namespaced_pod"),
    ("persistentvolumeclaims", "list_namespaced_persistent_volume_claim",
     "delete_namespaced_persistent_volume_claim"),
    ("secrets", "list_namespaced_secret", "delete_namespaced_secret"),
)  # fmt: skip


def gc_cluster(
    settings: Settings,
    is_build_alive: Callable[[str], bool],
    connection: Connection | None = None,
) -> list[str]:
    """Delete labelled objects of builds that no live brigtui owns; describe each removal.

    A kept claim stays until the time in its keep-until annotation. Only objects whose role
    label is one the kubernetes executor sets are touched (the share inspector's pods are
    not). This blocks on the network: call it from a thread, or from a command line.
    """
    connection = connection or connect(settings.kubernetes)
    core = connection.core
    selector = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
    now = utc_now()
    removed: list[str] = []
    for resource, list_name, delete_name in _KINDS:
        listing = connection.request_sync(
            "list", resource, getattr(core, list_name), connection.namespace,
            label_selector=selector,
        )  # fmt: skip
        for item in listing.get("items") or []:
            metadata = item.get("metadata") or {}
            build = _orphan_build(metadata, is_build_alive, now)
            if build is None and resource == "pods":
                build = _orphan_inspector(item)
            if build is None:
                continue
            name = metadata.get("name", "")
            try:
                connection.request_sync(
                    "delete", resource, getattr(core, delete_name), name, connection.namespace,
                )  # fmt: skip
            except ClusterError as error:
                if error.status != 404:
                    raise
                continue
            kind = resource.rstrip("s") if resource != "persistentvolumeclaims" else "claim"
            removed.append(f"{kind} {connection.namespace}/{name} of build {build}")
            logger.info("Removed %s %s of build %s.", kind, name, build)
    return removed


def _orphan_inspector(pod: dict[str, Any]) -> str | None:
    """Return the inspected build of a debug pod whose brigtui is gone or that has ended."""
    metadata = pod.get("metadata") or {}
    labels = metadata.get("labels") or {}
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY or labels.get(LABEL_ROLE) != INSPECTOR_ROLE:
        return None
    build = str(labels.get(LABEL_INSPECTS, ""))
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return build
    owner = parse_owner((metadata.get("annotations") or {}).get(ANNOTATION_INSPECTOR_OWNER, ""))
    if owner is None or not owner_alive(*owner):
        return build
    return None


def _orphan_build(
    metadata: dict[str, Any], is_build_alive: Callable[[str], bool], now: datetime
) -> str | None:
    """Return the build id of an object gc may delete, else None."""
    labels = metadata.get("labels") or {}
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY or labels.get(LABEL_ROLE) not in ROLES:
        return None
    build = labels.get(LABEL_BUILD)
    if not build or is_build_alive(build):
        return None
    keep_until = parse_iso((metadata.get("annotations") or {}).get(ANNOTATION_KEEP_UNTIL))
    if keep_until is not None and keep_until > now:
        return None
    return str(build)
