"""The connection to a cluster: kubeconfig or in-cluster config, and API calls off the loop.

The official client is synchronous, so every call runs in a worker thread. Each call is
counted (tests assert on the number of requests per build) and a failure becomes an
ExecutorError that names the context, namespace, verb and resource.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from brigtui.config import KubernetesSettings
from brigtui.engine.errors import ExecutorError

logger = logging.getLogger(__name__)

T = TypeVar("T")

IN_CLUSTER = "in-cluster"
"""Context name reported when brigtui runs in a pod and uses its service account."""
_SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class ClusterError(ExecutorError):
    """An API call failed; `status` is the HTTP status, or None when the server was unreachable."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Connection:
    """An API client bound to one context and namespace."""

    api: Any
    """kubernetes.client.ApiClient"""
    context: str
    namespace: str
    server: str
    requests: int = 0
    """API requests made so far, watches and log streams included."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api)

    def where(self) -> str:
        return f"namespace {self.namespace!r} (context {self.context!r})"

    def call_sync(
        self, verb: str, resource: str, function: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        """Run one API call in this thread; raise ClusterError naming what failed."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        self.count_request()
        try:
            return function(*args, **kwargs)
        except ApiException as error:
            raise self.api_error(verb, resource, error) from None
        except (HTTPError, OSError) as error:
            raise self.unreachable(verb, resource, error) from None

    async def request(
        self, verb: str, resource: str, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """Run one API call in a worker thread; return the response body as plain JSON data.

        Plain data spares the client's strict models, which reject objects that lack a field
        they require.
        """
        return await asyncio.to_thread(self.request_sync, verb, resource, function, *args,
                                       **kwargs)

    def request_sync(
        self, verb: str, resource: str, function: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.call_sync(
            verb, resource, function, *args, _preload_content=False, **kwargs
        )
        try:
            body = response.data
        finally:
            response.release_conn()
        data = json.loads(body) if body else {}
        return data if isinstance(data, dict) else {}

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def api_error(self, verb: str, resource: str, error: Any) -> ClusterError:
        status = getattr(error, "status", None)
        detail = _status_message(error)
        if status in (401, 403):
            return ClusterError(
                f"permission denied to {verb} {resource} in {self.where()}: {detail}; ask for "
                f"RBAC rights to {verb} {resource} in that namespace, or choose another "
                "--context or --namespace",
                status,
            )
        return ClusterError(
            f"the Kubernetes API server rejected {verb} {resource} in {self.where()} "
            f"(HTTP {status}): {detail}",
            status,
        )

    def unreachable(self, verb: str, resource: str, error: BaseException) -> ClusterError:
        return ClusterError(
            f"cannot reach the Kubernetes API server {self.server} to {verb} {resource} in "
            f"{self.where()}: {error}; check that the cluster runs and that "
            f"`kubectl --context {self.context} get pods` works"
        )

    def close(self) -> None:
        self.api.close()


def close_stream(response: Any) -> None:
    """Close a streamed response's connection before the pool gets it back.

    A stream that was stopped before its end would otherwise go back to the pool with the
    server still sending on it, and the next request on that connection would never get
    its answer.
    """
    with contextlib.suppress(Exception):
        response.close()
    with contextlib.suppress(Exception):
        response.release_conn()


def _status_message(error: Any) -> str:
    body = getattr(error, "body", None)
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])
    return str(getattr(error, "reason", "") or error)


def kubeconfig_namespace(settings: KubernetesSettings) -> str:
    """Return the namespace builds use, reading kubeconfig but never contacting a cluster."""
    if settings.namespace:
        return settings.namespace
    from kubernetes import config

    try:
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig_paths())
    except (config.ConfigException, OSError):
        return _in_cluster_namespace() or "default"
    chosen = _find_context(contexts, settings.context or (active or {}).get("name", ""))
    if chosen is None:
        return "default"
    return str(chosen.get("context", {}).get("namespace") or "default")


def connect(settings: KubernetesSettings) -> Connection:
    """Load kubeconfig as kubectl does (KUBECONFIG, current context) or the in-cluster config.

    This reads files only; the first API call is what reaches the server.
    """
    from kubernetes import client, config

    paths = kubeconfig_paths()
    try:
        contexts, active = config.list_kube_config_contexts(config_file=paths)
    except (config.ConfigException, OSError) as error:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not settings.context:
            return _connect_in_cluster(settings)
        raise ExecutorError(
            f"cannot load the kubeconfig {paths}: {error}; set KUBECONFIG or --context to a "
            "cluster you can reach (`kubectl config get-contexts` lists them)"
        ) from None

    name = settings.context or (active or {}).get("name", "")
    chosen = _find_context(contexts, name)
    if chosen is None:
        known = ", ".join(sorted(c["name"] for c in contexts or [])) or "none"
        raise ExecutorError(
            f"kubeconfig has no context {name!r} (contexts: {known}); pick one with --context "
            "or `kubernetes.context` in brigtui.yaml"
        )
    namespace = settings.namespace or chosen.get("context", {}).get("namespace") or "default"
    try:
        api = config.new_client_from_config(
            config_file=paths, context=name, persist_config=False
        )
    except (config.ConfigException, OSError, ValueError) as error:
        raise ExecutorError(f"cannot use kubeconfig context {name!r}: {error}") from None
    assert isinstance(api, client.ApiClient)
    return Connection(api, name, namespace, str(api.configuration.host))


def kubeconfig_paths() -> str:
    """Return KUBECONFIG as set now (the client reads it once, when first imported)."""
    return os.environ.get("KUBECONFIG") or "~/.kube/config"


def _connect_in_cluster(settings: KubernetesSettings) -> Connection:
    from kubernetes import client, config

    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException as error:
        raise ExecutorError(f"cannot load the in-cluster configuration: {error}") from None
    namespace = settings.namespace or _in_cluster_namespace() or "default"
    api = client.ApiClient(configuration)
    return Connection(api, IN_CLUSTER, namespace, str(configuration.host))


def _in_cluster_namespace() -> str | None:
    try:
        return _SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or None
    except OSError:
        return None


def _find_context(contexts: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    for context in contexts or []:
        if context.get("name") == name:
            return context
    return None
