"""One watch per build: follows every pod of the build through a label selector.

The watch runs in its own thread and posts each event to the event loop, where waiters
check the latest state of their pod. Nothing polls single pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from brigtui.engine.errors import ExecutorError
from brigtui.kube.connection import ClusterError, Connection, close_stream
from brigtui.kube.threads import run_in_thread

logger = logging.getLogger(__name__)

T = TypeVar("T")

WATCH_SECONDS = 300
"""Server-side length of one watch request; the watch reconnects after it."""
READ_TIMEOUT = WATCH_SECONDS + 30
"""Seconds without data after which the client gives up on a watch stream (a dead server)."""
MAX_FAILURES = 5
"""Consecutive failed watch requests after which every waiter of the build fails."""


class PodWatch:
    """The latest state of every pod of one build, fed by a single watch request at a time."""

    def __init__(self, connection: Connection, labels: dict[str, str]) -> None:
        self.connection = connection
        self.labels = labels
        self.selector = ",".join(f"{key}={value}" for key, value in labels.items())
        self.pods: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.error: ExecutorError | None = None
        self._waiters: set[asyncio.Future[None]] = set()
        self._stopped = threading.Event()
        self._response: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = run_in_thread(self._run, name=f"watch {self.selector}")

    async def stop(self) -> None:
        self._stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()
        if self._thread is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._thread), 5)

    async def wait_for(
        self, check: Callable[[], T | None], timeout: float | None = None
    ) -> T | None:
        """Return the first non-None result of `check`, run after every event; None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            if self.error is not None:
                raise self.error
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    # The watch thread

    def _run(self) -> None:
        failures = 0
        version: str | None = None
        first = True
        while not self._stopped.is_set():
            try:
                # After a gap, list the pods first: a pod deleted meanwhile has no event left.
                if not first:
                    version = self._resync()
                first = False
                self._watch_once(version)
                failures = 0
            except ClusterError as error:
                if self._stopped.is_set():
                    return
                failures += 1
                logger.warning("Watch of pods %s failed (%d in a row): %s",
                               self.selector, failures, error)
                if failures >= MAX_FAILURES or error.status in (401, 403):
                    self._post(None, error)
                    return
                self._stopped.wait(min(2.0**failures / 2, 10.0))

    def _resync(self) -> str | None:
        """List the build's pods, post their state and the deletions missed; return the version."""
        connection = self.connection
        listing = connection.request_sync(
            "list", "pods", connection.core.list_namespaced_pod, connection.namespace,
            label_selector=self.selector,
        )  # fmt: skip
        items = listing.get("items") or []
        self._post({"type": "RESYNC", "object": {"items": items}}, None)
        return (listing.get("metadata") or {}).get("resourceVersion") or None

    def _watch_once(self, version: str | None) -> None:
        connection = self.connection
        core = connection.core
        options: dict[str, Any] = {"resource_version": version} if version else {}
        response = connection.call_sync(
            "watch", "pods", core.list_namespaced_pod, connection.namespace,
            label_selector=self.selector, watch=True, timeout_seconds=WATCH_SECONDS,
            _preload_content=False, _request_timeout=(10, READ_TIMEOUT), **options,
        )  # fmt: skip
        self._response = response
        buffer = b""
        try:
            # stop() may have run while the request was on its way; it found no stream to end.
            if self._stopped.is_set():
                return
            for chunk in response.stream(amt=None, decode_content=False):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._post(json.loads(line), None)
        except Exception as error:
            if not self._stopped.is_set():
                raise connection.unreachable("watch", "pods", error) from None
        finally:
            self._response = None
            close_stream(response)

    def _post(self, event: dict[str, Any] | None, error: ExecutorError | None) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._apply, event, error)

    # Back on the event loop

    def _apply(self, event: dict[str, Any] | None, error: ExecutorError | None) -> None:
        if error is not None:
            self.error = error
        elif event is not None:
            self._apply_event(event)
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)

    def _apply_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        pod = event.get("object") or {}
        if kind == "RESYNC":
            self._apply_listing(pod.get("items") or [])
            return
        if kind == "ERROR":
            logger.warning("Watch of pods %s got an error event: %s",
                           self.selector, pod.get("message"))
            return
        metadata = pod.get("metadata") or {}
        labels = metadata.get("labels") or {}
        # Some servers (and test doubles) ignore the label selector; keep only this build's pods.
        if any(labels.get(key) != value for key, value in self.labels.items()):
            return
        name = metadata.get("name", "")
        self.pods[name] = pod
        if kind == "DELETED":
            self.deleted.add(name)
        else:
            self.deleted.discard(name)

    def _apply_listing(self, items: list[dict[str, Any]]) -> None:
        listed = set()
        for pod in items:
            self._apply_event({"type": "MODIFIED", "object": pod})
            listed.add((pod.get("metadata") or {}).get("name", ""))
        for name in set(self.pods) - listed - self.deleted:
            self._apply_event({"type": "DELETED", "object": self.pods[name]})
