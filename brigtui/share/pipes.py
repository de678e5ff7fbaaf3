"""`pipe(one, two, ...)`: jobs connected standard output to standard input, like `one | two`.

The engine relays the bytes between jobs and counts them. Two relays exist:

- `SpliceLink`, for executors whose jobs are host processes (local, container): each job
  gets a real pipe, and a thread moves the data between the two pipes with `splice(2)`,
  so it never enters Python's memory.
- `QueueLink`, for every other executor: chunks go through a bounded asyncio queue from
  one job's output sink to the next job's input iterator.

Either way memory stays bounded (the pipes' buffers, or the queue's few chunks) whatever
the amount of data, and a job that stops reading gives the job before it SIGPIPE, as in a
shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import threading
from collections.abc import AsyncIterator

from brigtui.engine.context import current_build
from brigtui.engine.model import Job, Result

logger = logging.getLogger(__name__)

QUEUE_CHUNKS = 16
"""Maximum chunks in a QueueLink (at 256 KiB each, 4 MiB)."""
PIPE_SIZE = 1024 * 1024
"""Buffer size of each kernel pipe of a SpliceLink (the default 64 KiB costs throughput)."""
_SET_PIPE_SIZE = getattr(fcntl, "F_SETPIPE_SZ", 1031)


async def pipe(*jobs: Job) -> list[Result]:
    """Run the jobs at once, each one's standard output feeding the next one's input.

    Returns the results in the order of the jobs. Every job but the last hands its output
    to the next job, so its Result has an empty text and the byte count in `size`. A
    failure anywhere fails the pipe, naming the job.
    """
    if not jobs:
        raise ValueError("pipe() needs at least one job")
    return await current_build().run_pipe(list(jobs))


class QueueLink:
    """A bounded queue between two jobs' output sink and input iterator."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)
        self._reader_closed = False
        self.bytes = 0

    async def write(self, chunk: bytes) -> None:
        if self._reader_closed:
            raise BrokenPipeError(errno.EPIPE, "the next job in the pipe stopped reading")
        self.bytes += len(chunk)
        await self._queue.put(chunk)

    async def close_writer(self) -> None:
        if not self._reader_closed:
            await self._queue.put(None)

    def close_reader(self) -> None:
        """Drop what is queued and fail further writes, once the next job has ended."""
        self._reader_closed = True
        while not self._queue.empty():
            self._queue.get_nowait()

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self._queue.get()) is not None:
            yield chunk


class SpliceLink:
    """Two kernel pipes and a thread that splices from one to the other, counting bytes."""

    def __init__(self) -> None:
        self.upstream_read, self.upstream_write = os.pipe()
        self.downstream_read, self.downstream_write = os.pipe()
        for fd in (self.upstream_write, self.downstream_write):
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, _SET_PIPE_SIZE, PIPE_SIZE)
        self.bytes = 0
        self._done = asyncio.get_running_loop().create_future()
        self._thread = threading.Thread(target=self._relay, name="brigtui-pipe", daemon=True)

    def take_writer_fd(self) -> int:
        """Hand over the fd the upstream job writes to; the taker closes it."""
        fd, self.upstream_write = self.upstream_write, -1
        return fd

    def take_reader_fd(self) -> int:
        """Hand over the fd the downstream job reads from; the taker closes it."""
        fd, self.downstream_read = self.downstream_read, -1
        return fd

    def abandon_writer(self) -> None:
        """End the stream when the upstream job never started, so the downstream job reads EOF."""
        fd = self.take_writer_fd()
        if fd >= 0:
            os.close(fd)

    def abandon_reader(self) -> None:
        """Close the read end when the downstream job never started, so the upstream job gets SIGPIPE."""
        fd = self.take_reader_fd()
        if fd >= 0:
            os.close(fd)

    def start(self) -> None:
        self._thread.start()

    async def wait(self) -> None:
        await self._done

    def close(self) -> None:
        for name in ("upstream_read", "upstream_write", "downstream_read", "downstream_write"):
            fd = getattr(self, name)
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, -1)

    def _relay(self) -> None:
        loop = self._done.get_loop()
        try:
            while True:
                moved = os.splice(self.upstream_read, self.downstream_write, PIPE_SIZE)
                if moved == 0:
                    break
                self.bytes += moved
        except BrokenPipeError:
            # The downstream job stopped reading: closing our read end gives the upstream
            # job SIGPIPE on its next write, as in a shell.
            logger.debug("The next job of a pipe closed its input after %d bytes.", self.bytes)
        except OSError as error:
            logger.warning("A pipe between jobs failed after %d bytes: %s", self.bytes, error)
        finally:
            for name in ("upstream_read", "downstream_write"):
                fd = getattr(self, name)
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                    setattr(self, name, -1)
            loop.call_soon_threadsafe(_resolve, self._done)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
