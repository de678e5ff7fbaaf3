"""The kubernetes executor: a pod per job, a PersistentVolumeClaim per build.

Only brigtui.kube imports the `kubernetes` client, and only this module and `brigtui gc`
import brigtui.kube. Builds on other executors therefore never load the client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from brigtui.config import Settings
from brigtui.engine.errors import ExecutorError
from brigtui.engine.executors.base import BuildInfo, Executor, JobRequest, JobSpec
from brigtui.kube import manifests
from brigtui.kube.cluster_build import ClusterBuild
from brigtui.kube.connection import ClusterError, Connection, connect, kubeconfig_namespace
from brigtui.kube.jobrun import JOB_SECRET_LIMIT, run_job_pod
from brigtui.kube.manifests import BuildObjects
from brigtui.kube.names import label_value
from brigtui.kube.source import SECRET_DATA_LIMIT, source_archive
from brigtui.kube.watch import PodWatch

logger = logging.getLogger(__name__)

DRY_RUN_UID = "00000000-0000-0000-0000-000000000000"
"""Owner uid in dry-run manifests; the API server assigns the real one on creation."""


class KubernetesExecutor(Executor):
    name: ClassVar[str] = "kubernetes"
    host_share: ClassVar[bool] = False
    env_value_limit: ClassVar[int] = 128 * 1024
    """Linux caps one environment string at 128 KiB (MAX_ARG_STRLEN) in the container too."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.kube = settings.kubernetes
        self._connection: Connection | None = None
        self._connect_lock = asyncio.Lock()
        self._builds: dict[str, ClusterBuild] = {}

    @property
    def env_total_limit(self) -> int:
        # Env values travel in the job's Secret beside the tasks and standard input.
        return JOB_SECRET_LIMIT - 64 * 1024

    def describe(self) -> str:
        context = self.kube.context or "current context"
        namespace = self.kube.namespace or "its namespace"
        if self._connection is not None:
            context, namespace = self._connection.context, self._connection.namespace
        return f"kubernetes ({context}, {namespace})"

    def labels(self, build: BuildInfo, job: str | None = None) -> dict[str, str]:
        labels = super().labels(build, job)
        for key, value in labels.items():
            labels[key] = label_value(value)
        return labels

    async def connection(self) -> Connection:
        async with self._connect_lock:
            if self._connection is None:
                self._connection = await asyncio.to_thread(connect, self.kube)
            return self._connection

    async def start_build(self, build: BuildInfo) -> None:
        connection = await self.connection()
        objects = BuildObjects(build.id, connection.namespace, self.labels(build), self.kube)

        # Pack the source and create the owner Secret; every other object refers to its uid.
        limit = min(self.kube.source_limit, SECRET_DATA_LIMIT - 16 * 1024)
        archive = await asyncio.to_thread(source_archive, build.source_dir, limit)
        created = await connection.request(
            "create", "secrets", connection.core.create_namespaced_secret,
            connection.namespace, manifests.owner_secret(objects, archive),
        )  # fmt: skip
        objects.owner_uid = str((created.get("metadata") or {}).get("uid") or "")
        if not objects.owner_uid:
            raise ExecutorError(
                f"the API server returned no uid for Secret {objects.owner_name} in "
                f"{connection.where()}; brigtui needs it to own the build's objects"
            )

        # One watch follows every pod of the build.
        watch = PodWatch(connection, {manifests.LABEL_BUILD: build.id})
        watch.start()
        self._builds[build.id] = ClusterBuild(build, connection, objects, watch)
        build.note(f"jobs run as pods in {connection.where()}, server {connection.server}")

    async def ensure_share(self, build: BuildInfo) -> None:
        cluster = self._cluster(build)
        if not cluster.claim_created:
            await cluster.create_claim()

    async def run_job(self, request: JobRequest) -> int:
        cluster = self._cluster(request.build)
        return await run_job_pod(cluster, request, self.kube)

    async def end_build(self, build: BuildInfo, keep_share: bool) -> None:
        cluster = self._builds.pop(build.id, None)
        if cluster is None:
            return
        try:
            await cluster.end(keep_share, self.settings.share.keep_hours, self.kube.end_timeout)
        except ClusterError:
            await cluster.watch.stop()
            raise
        if keep_share and cluster.claim_created:
            where = cluster.connection.where()
            build.note(f"the share stays in claim {cluster.objects.claim_name} in {where}")

    def dry_run(self, build: BuildInfo, jobs: list[JobSpec]) -> list[dict[str, Any]]:
        """Return every object the build would create; Secret values are replaced by sizes."""
        namespace = kubeconfig_namespace(self.kube)
        objects = BuildObjects(build.id, namespace, self.labels(build), self.kube, DRY_RUN_UID)
        limit = min(self.kube.source_limit, SECRET_DATA_LIMIT - 16 * 1024)
        result = [manifests.redacted(manifests.owner_secret(objects, source_archive(
            build.source_dir, limit)))]
        if any(spec.storage for spec in jobs):
            result.append(manifests.claim(objects))
        for spec in jobs:
            secret = manifests.job_secret(
                objects, spec, "<marker>", b"" if spec.has_stdin else None
            )
            result.append(manifests.redacted(secret))
            result.append(manifests.pod(objects, spec, has_stdin=spec.has_stdin))
        return result

    def _cluster(self, build: BuildInfo) -> ClusterBuild:
        cluster = self._builds.get(build.id)
        if cluster is None:
            raise ExecutorError(f"build {build.id} was not started on the kubernetes executor")
        return cluster
