"""Running one job as a pod: its Secret and pod, the wait for it to start, its log, its end."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from brigtui.config import KubernetesSettings
from brigtui.engine.errors import JobFailed
from brigtui.engine.executors.base import JobRequest
from brigtui.engine.model import format_size
from brigtui.kube import manifests, podstate, wrapper
from brigtui.kube.cluster_build import ClusterBuild
from brigtui.kube.connection import ClusterError
from brigtui.kube.logs import LogFollower
from brigtui.kube.source import SECRET_DATA_LIMIT

JOB_SECRET_LIMIT = SECRET_DATA_LIMIT - 16 * 1024
"""Bytes of a job Secret's data (tasks, env values, standard input), with room for metadata."""


async def run_job_pod(cluster: ClusterBuild, request: JobRequest, settings: KubernetesSettings
                      ) -> int:
    """Run the job's pod and return its exit code; raise JobFailed when it cannot run."""
    spec = request.spec
    pod_name = cluster.objects.pod_name(spec.name)
    try:
        # Build the job's Secret (tasks, env values, standard input) within the Secret's cap.
        marker = wrapper.new_marker()
        secret = manifests.job_secret(cluster.objects, spec, marker, None)
        _check_secret_size(spec.name, manifests.data_size(secret))
        stdin = None
        if request.stdin is not None:
            room = JOB_SECRET_LIMIT - manifests.data_size(secret)
            stdin = await _read_stdin(spec.name, request.stdin, room)
            secret = manifests.job_secret(cluster.objects, spec, marker, stdin)
        _check_privileged(spec.name, spec.privileged, settings)

        # Create the Secret and the pod, on the share's node in ReadWriteOnce mode.
        await _create(cluster, request, secret, stdin is not None, settings)

        # Wait for the job's container to start, failing early on problems that stay.
        await _wait_started(cluster, spec.name, pod_name, spec.storage, settings)

        # Follow the log until the container ends, then return its exit code.
        return await _follow(cluster, request, pod_name, marker)
    except asyncio.CancelledError:
        if pod_name in cluster.pods.values():
            with contextlib.suppress(ClusterError):
                await asyncio.shield(cluster.delete_pod(pod_name))
        raise
    except ClusterError as error:
        raise JobFailed(spec.name, f"job '{spec.name}': {error}") from None


async def _read_stdin(job: str, source: AsyncIterator[bytes], limit: int) -> bytes:
    data = bytearray()
    async for chunk in source:
        data += chunk
        if len(data) > limit:
            raise JobFailed(
                job,
                f"job '{job}': its standard input is over {format_size(limit)}, the most the "
                "kubernetes executor carries in the job's Secret; write the data into the "
                "build's share (storage=True on both jobs) and read it from /mnt/brigade/share",
            )
    return bytes(data)


def _check_secret_size(job: str, size: int) -> None:
    if size > JOB_SECRET_LIMIT:
        raise JobFailed(
            job,
            f"job '{job}': its tasks and env values take {format_size(size)}, over the "
            f"{format_size(JOB_SECRET_LIMIT)} a job's Secret can carry; pass large data "
            "through the build's share (storage=True) instead",
        )


def _check_privileged(job: str, privileged: bool, settings: KubernetesSettings) -> None:
    if privileged and not settings.allow_privileged:
        raise JobFailed(
            job,
            f"job '{job}' asks for a privileged pod, which this project does not allow; set "
            "kubernetes.allow_privileged: true in brigtui.yaml, or drop privileged=True",
        )


async def _create(cluster: ClusterBuild, request: JobRequest, secret: dict[str, Any],
                  has_stdin: bool, settings: KubernetesSettings) -> None:
    spec = request.spec
    pins_node = spec.storage and settings.access_mode == "ReadWriteOnce"
    async with cluster.share_lock if pins_node else contextlib.nullcontext():
        node = await _share_node(cluster, settings) if pins_node else None
        connection = cluster.connection
        core = cluster.core
        await connection.request(
            "create", "secrets", core.create_namespaced_secret, connection.namespace, secret
        )
        body = manifests.pod(cluster.objects, spec, has_stdin=has_stdin, node=node)
        # Recorded first, so a cancellation during the request still deletes the pod.
        cluster.pods[spec.name] = body["metadata"]["name"]
        await connection.request(
            "create", "pods", core.create_namespaced_pod, connection.namespace, body
        )
        if pins_node and cluster.first_share_pod is None:
            cluster.first_share_pod = body["metadata"]["name"]


async def _share_node(cluster: ClusterBuild, settings: KubernetesSettings) -> str | None:
    """Return the node of the build's first storage-enabled pod, waiting until it is placed."""
    first = cluster.first_share_pod
    if cluster.share_node is None and first is not None:

        def placed() -> str | None:
            pod = cluster.watch.pods.get(first)
            return podstate.node_name(pod) if pod else None

        cluster.share_node = await cluster.watch.wait_for(placed, settings.start_timeout)
    return cluster.share_node


async def _wait_started(cluster: ClusterBuild, job: str, pod_name: str, storage: bool,
                        settings: KubernetesSettings) -> None:
    watch = cluster.watch
    created = time.monotonic()
    claim_checked = not storage

    def check() -> str | None:
        if pod_name in watch.deleted:
            return "ended"
        pod = watch.pods.get(pod_name)
        if pod is None:
            return None
        problem = podstate.start_problem(pod)
        if problem is not None:
            raise JobFailed(job, f"job '{job}': {problem}")
        ended = podstate.ended(pod, manifests.CONTAINER)
        if ended is not None or podstate.has_started(pod, manifests.CONTAINER):
            return "started"
        return None

    while True:
        elapsed = time.monotonic() - created
        next_check = settings.claim_timeout if not claim_checked else settings.start_timeout
        if await watch.wait_for(check, max(0.0, next_check - elapsed)) is not None:
            return

        # The claim may keep the pod from its node: report it, naming what to change.
        if not claim_checked:
            claim_checked = True
            if await cluster.claim_phase() == "Pending":
                raise JobFailed(job, f"job '{job}': {_claim_message(cluster, settings)}")
            continue
        pod = watch.pods.get(pod_name) or {}
        reason = podstate.unschedulable(pod)
        detail = (
            f"it cannot be scheduled: {reason}" if reason
            else f"it is still {(pod.get('status') or {}).get('phase', 'not created')}"
        )
        raise JobFailed(
            job,
            f"job '{job}': pod {pod_name} did not start within {settings.start_timeout:g} s "
            f"(kubernetes.start_timeout) in {cluster.connection.where()}; {detail}",
        )


def _claim_message(cluster: ClusterBuild, settings: KubernetesSettings) -> str:
    storage_class = settings.storage_class or "the cluster's default class"
    mode = settings.access_mode
    advice = (
        "set kubernetes.storage_class to a class that offers ReadWriteMany, or set "
        "kubernetes.access_mode: ReadWriteOnce (all storage-enabled jobs then run on one node)"
        if mode == "ReadWriteMany"
        else "set kubernetes.storage_class to a class that provisions volumes in this cluster"
    )
    return (
        f"the build's claim {cluster.objects.claim_name} is still Pending after "
        f"{settings.claim_timeout:g} s (kubernetes.claim_timeout), with storage class "
        f"{storage_class} and access mode {mode}; {advice}"
    )


async def _follow(cluster: ClusterBuild, request: JobRequest, pod_name: str, marker: str) -> int:
    spec = request.spec
    follower = LogFollower(
        cluster.connection, pod_name, manifests.CONTAINER, marker,
        request.on_stdout, request.on_stderr,
    )  # fmt: skip
    terminated = asyncio.ensure_future(_wait_ended(cluster, spec.name, pod_name))
    try:
        await follower.follow(terminated)
        ended = await terminated
    finally:
        follower.stop()
        terminated.cancel()
    if ended.error is not None:
        raise JobFailed(spec.name, f"job '{spec.name}': {ended.error}")
    assert ended.exit_code is not None
    return ended.exit_code


async def _wait_ended(cluster: ClusterBuild, job: str, pod_name: str) -> podstate.Ended:
    watch = cluster.watch

    def check() -> podstate.Ended | None:
        pod = watch.pods.get(pod_name) or {}
        ended = podstate.ended(pod, manifests.CONTAINER)
        if ended is not None:
            return ended
        deleting = (pod.get("metadata") or {}).get("deletionTimestamp")
        if (pod_name in watch.deleted or deleting) and pod_name not in cluster.deleting:
            return podstate.Ended(
                None,
                f"pod {pod_name} was deleted in {cluster.connection.where()} while the job "
                "ran (by a person, a controller or node maintenance); rerun the build",
            )
        return None

    ended = await watch.wait_for(check)
    assert ended is not None
    return ended
