"""Following a job's pod log: lines put back together, stderr split off, resumed after a drop.

The log is requested with timestamps. After a dropped connection the follower requests it
again from the second of the last line it got (`sinceTime` has whole seconds) and skips what it has
already seen: lines older than the last timestamp, and as many lines with exactly that
timestamp as it already passed on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from brigtui.engine.errors import JobFailed
from brigtui.kube.connection import ClusterError, Connection, close_stream
from brigtui.kube.threads import run_in_thread

logger = logging.getLogger(__name__)

MAX_QUIET_RETRIES = 5
"""Dropped log streams in a row, without a new line in between, before the job fails."""
RETRY_DELAY = 0.5
TERMINATION_GRACE = 2.0
"""Seconds to wait for the watch to report the end of the container after a log stream ends."""
READ_TIMEOUT = 600
"""Seconds without log data after which a stream counts as dropped (the job may be quiet)."""

ChunkSink = Callable[[bytes], Awaitable[None]]


def parse_timestamp(text: bytes) -> int:
    """Turn an RFC 3339 timestamp with up to nine fraction digits into nanoseconds."""
    value = text.decode("ascii")
    if not value.endswith("Z"):
        raise ValueError(f"log timestamp {value!r} is not in UTC")
    whole, _, fraction = value[:-1].partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    return int(moment.timestamp()) * 1_000_000_000 + nanos


def since_time(nanos: int) -> str:
    """Return `sinceTime` for a resume: the whole second of `nanos`, RFC 3339."""
    moment = datetime.fromtimestamp(nanos // 1_000_000_000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LogCursor:
    """Position in the log: the last timestamp and how many lines with it were passed on."""

    last: int = -1
    passed_at_last: int = 0
    skip_at_last: int = 0

    def resume(self) -> str | None:
        """Prepare for a new stream; return its sinceTime (None to read from the start)."""
        self.skip_at_last = self.passed_at_last
        return since_time(self.last) if self.last >= 0 else None

    def is_new(self, stamp: int) -> bool:
        """Return whether a line with this timestamp was not passed on before, and count it."""
        if stamp < self.last:
            return False
        if stamp == self.last:
            if self.skip_at_last > 0:
                self.skip_at_last -= 1
                return False
            self.passed_at_last += 1
            return True
        self.last = stamp
        self.passed_at_last = 1
        self.skip_at_last = 0
        return True


class LogFollower:
    """Follows one container's log and passes each line to the job's stdout or stderr sink."""

    def __init__(
        self,
        connection: Connection,
        pod: str,
        container: str,
        marker: str,
        on_stdout: ChunkSink,
        on_stderr: ChunkSink,
    ) -> None:
        self.connection = connection
        self.pod = pod
        self.container = container
        self.marker = marker.encode()
        self.on_stdout = on_stdout
        self.on_stderr = on_stderr
        self.cursor = LogCursor()
        self.streams = 0
        self._pending = b""
        self._stopped = threading.Event()
        self._response: Any = None

    async def follow(self, terminated: asyncio.Future[Any]) -> None:
        """Follow the log until the container has ended and its last line is passed on.

        `terminated` resolves when the watch reports the end of the container; a stream that ends
        before that was dropped, and the follower resumes it.
        """
        quiet_failures = 0
        while True:
            before = (self.cursor.last, self.cursor.passed_at_last)
            since = self.cursor.resume()
            self._pending = b""
            error: BaseException | None = None
            try:
                await self._stream(since)
            except (ClusterError, OSError) as failure:
                error = failure

            # The stream ended: finished if the container has ended and the stream was whole.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(terminated), TERMINATION_GRACE)
            if terminated.done() and error is None:
                await self._flush_partial()
                return
            if terminated.done() and not _has_exit_code(terminated):
                return  # the pod failed around the job (evicted, deleted): no more log to wait for
            progressed = before != (self.cursor.last, self.cursor.passed_at_last)
            quiet_failures = 0 if progressed else quiet_failures + 1
            if quiet_failures >= MAX_QUIET_RETRIES:
                raise JobFailed(
                    self.container,
                    f"the log of pod {self.pod} could not be read {MAX_QUIET_RETRIES} times in "
                    f"a row in {self.connection.where()}: {error or 'the stream ended early'}",
                )
            logger.info("Log stream of pod %s ended early (%s); resuming from %s.",
                        self.pod, error or "closed", since_time(max(self.cursor.last, 0)))
            await asyncio.sleep(RETRY_DELAY)

    def stop(self) -> None:
        self._stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    async def _stream(self, since: str | None) -> None:
        loop = asyncio.get_running_loop()

        def deliver(chunk: bytes) -> None:
            asyncio.run_coroutine_threadsafe(self._on_chunk(chunk), loop).result()

        self.streams += 1
        await run_in_thread(lambda: self._read(since, deliver), name=f"log {self.pod}")

    def _read(self, since: str | None, deliver: Callable[[bytes], None]) -> None:
        connection = self.connection
        query: list[tuple[str, str]] = [
            ("container", self.container), ("follow", "true"), ("timestamps", "true"),
        ]
        if since is not None:
            query.append(("sinceTime", since))
        api = connection.api
        request = api.param_serialize(
            method="GET",
            resource_path="/api/v1/namespaces/{namespace}/pods/{name}/log",
            path_params={"namespace": connection.namespace, "name": self.pod},
            query_params=query,
            header_params={"Accept": "text/plain"},
            auth_settings=["BearerToken"],
        )
        response = connection.call_sync(
            "get", "pods/log", api.call_api, *request, _request_timeout=(10, READ_TIMEOUT)
        )
        if not 200 <= response.status <= 299:
            response.read()
            raise connection.api_error("get", "pods/log", _StatusError(response))
        raw = response.response
        self._response = raw
        try:
            # stop() may have run while the request was on its way; it found no stream to end.
            if self._stopped.is_set():
                return
            for chunk in raw.stream(amt=None, decode_content=False):
                if self._stopped.is_set():
                    return
                deliver(chunk)
        except Exception as error:
            if not self._stopped.is_set():
                raise connection.unreachable("get", "pods/log", error) from None
        finally:
            self._response = None
            close_stream(raw)

    async def _on_chunk(self, chunk: bytes) -> None:
        data = self._pending + chunk
        *lines, self._pending = data.split(b"\n")
        for line in lines:
            await self._on_line(line, b"\n")

    async def _flush_partial(self) -> None:
        # A last line without a newline at the end of the log is complete once the stream ends.
        if self._pending:
            line, self._pending = self._pending, b""
            await self._on_line(line, b"")

    async def _on_line(self, line: bytes, end: bytes) -> None:
        # TODO(2026-12-04): a line longer than the runtime's limit (16 KiB in containerd) is
        # stored in parts; if the kubelet stamps each part, the stamps stay inside the line.
        stamp_text, _, content = line.partition(b" ")
        try:
            stamp = parse_timestamp(stamp_text)
        except ValueError:
            logger.warning("Log line of pod %s has no timestamp; passing it on as is.", self.pod)
            await self.on_stdout(line + end)
            return
        if not self.cursor.is_new(stamp):
            return
        if content.startswith(self.marker):
            await self.on_stderr(content[len(self.marker):] + end)
        else:
            await self.on_stdout(content + end)


def _has_exit_code(terminated: asyncio.Future[Any]) -> bool:
    if terminated.cancelled() or terminated.exception() is not None:
        return False
    return getattr(terminated.result(), "exit_code", None) is not None


class _StatusError(Exception):
    """A non-2xx response to a raw log request, shaped like ApiException for error messages."""

    def __init__(self, response: Any) -> None:
        self.status = response.status
        self.reason = response.reason
        self.body = response.data
        super().__init__(f"HTTP {self.status} {self.reason}")
