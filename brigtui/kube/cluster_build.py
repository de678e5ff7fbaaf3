"""A build's objects in the cluster: the owner Secret, the claim, the pod watch, the clean-up."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from brigtui.engine.errors import ExecutorError
from brigtui.engine.executors.base import BuildInfo
from brigtui.engine.ids import iso, utc_now
from brigtui.kube import manifests
from brigtui.kube.connection import ClusterError, Connection
from brigtui.kube.manifests import ANNOTATION_KEEP_UNTIL, BuildObjects
from brigtui.kube.watch import PodWatch

logger = logging.getLogger(__name__)

CLAIM_POLL = 0.5
"""Seconds between checks that a deleted claim is gone."""


@dataclass
class ClusterBuild:
    """State the executor keeps for one running build."""

    info: BuildInfo
    connection: Connection
    objects: BuildObjects
    watch: PodWatch
    pods: dict[str, str] = field(default_factory=dict)
    """Pod name by job name, for every pod created."""
    deleting: set[str] = field(default_factory=set)
    """Pods that brigtui itself deletes, so their deletion is no failure."""
    claim_created: bool = False
    share_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    first_share_pod: str | None = None
    """The build's first storage-enabled pod, in ReadWriteOnce mode."""
    share_node: str | None = None
    """The node of the first storage-enabled pod, in ReadWriteOnce mode."""

    @property
    def core(self) -> Any:
        return self.connection.core

    async def create_claim(self) -> None:
        connection = self.connection
        body = manifests.claim(self.objects)
        await connection.request(
            "create", "persistentvolumeclaims",
            self.core.create_namespaced_persistent_volume_claim, connection.namespace, body,
        )  # fmt: skip
        self.claim_created = True

    async def claim_phase(self) -> str | None:
        connection = self.connection
        claim = await connection.request(
            "get", "persistentvolumeclaims", self.core.read_namespaced_persistent_volume_claim,
            self.objects.claim_name, connection.namespace,
        )  # fmt: skip
        return (claim.get("status") or {}).get("phase")

    async def delete_pod(self, pod: str) -> None:
        """Delete one pod, as on cancellation; a pod that is already gone is fine."""
        self.deleting.add(pod)
        try:
            await self.connection.request(
                "delete", "pods", self.core.delete_namespaced_pod, pod,
                self.connection.namespace, grace_period_seconds=0,
            )  # fmt: skip
        except ClusterError as error:
            if error.status != 404:
                raise

    async def end(self, keep_share: bool, keep_hours: float, timeout: float) -> None:
        """Delete pods (their logs are stored by now), then the claim, then the owner."""
        connection = self.connection

        # Delete every pod of the build in one request and wait for the watch to see them go.
        if self.pods:
            self.deleting.update(self.pods.values())
            await connection.request(
                "delete", "pods", self.core.delete_collection_namespaced_pod,
                connection.namespace, label_selector=self.objects.selector(),
                grace_period_seconds=0,
            )  # fmt: skip
            try:
                all_deleted = await self.watch.wait_for(self._pods_gone, timeout)
            except ExecutorError as error:
                logger.warning("Cannot follow the deletion of build %s's pods: %s",
                               self.info.id, error)
                all_deleted = None
            if all_deleted is None:
                self.info.note(
                    f"warning: pods of this build still exist {timeout:g} s after their deletion "
                    f"in {connection.where()}; `brigtui gc` removes them later"
                )

        # Keep the claim of a failed build for inspection, or delete it and check it is gone.
        if self.claim_created:
            if keep_share:
                await self._keep_claim(keep_hours)
            else:
                await self._delete_claim(timeout)
        await self.watch.stop()

        # Deleting the owner lets the garbage collector remove the job Secrets.
        try:
            await connection.request(
                "delete", "secrets", self.core.delete_namespaced_secret,
                self.objects.owner_name, connection.namespace,
                propagation_policy="Background",
            )  # fmt: skip
        except ClusterError as error:
            if error.status != 404:
                raise

    def _pods_gone(self) -> bool | None:
        # A pod the watch never saw was not created (its request failed or was cancelled).
        watch = self.watch
        gone = all(pod in watch.deleted or pod not in watch.pods for pod in self.pods.values())
        return True if gone else None

    async def _keep_claim(self, keep_hours: float) -> None:
        # Without its owner reference the claim outlives the owner Secret.
        until = iso(utc_now() + timedelta(hours=keep_hours))
        patch = {
            "metadata": {"ownerReferences": None, "annotations": {ANNOTATION_KEEP_UNTIL: until}}
        }
        await self.connection.request(
            "patch", "persistentvolumeclaims",
            self.core.patch_namespaced_persistent_volume_claim,
            self.objects.claim_name, self.connection.namespace, patch,
            _content_type="application/merge-patch+json",
        )  # fmt: skip

    async def _delete_claim(self, timeout: float) -> None:
        connection = self.connection
        name = self.objects.claim_name
        try:
            await connection.request(
                "delete", "persistentvolumeclaims",
                self.core.delete_namespaced_persistent_volume_claim, name, connection.namespace,
            )  # fmt: skip
        except ClusterError as error:
            if error.status != 404:
                raise
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.claim_phase()
            except ClusterError as error:
                if error.status == 404:
                    return
                raise
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(CLAIM_POLL)
        self.info.note(
            f"warning: claim {name} still exists {timeout:g} s after its deletion in "
            f"{connection.where()}; see `kubectl describe pvc {name}`, and `brigtui gc` "
            "removes it later"
        )
