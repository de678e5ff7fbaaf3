"""Running a host process for a job: stream its output, feed its input, kill its group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

from brigtui.engine.executors.base import ChunkSink, OwnedFd

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
TERMINATE_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when a job is stopped."""
DRAIN_GRACE = 2.0
"""Seconds to wait for output pipes to close once the job's process has exited."""


async def run_process(
    command: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: AsyncIterator[bytes] | None,
    on_stdout: ChunkSink,
    on_stderr: ChunkSink,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    stdin_fd: OwnedFd | None = None,
    stdout_fd: OwnedFd | None = None,
) -> int:
    """Run `command` in a new session and return its exit code (128 + N for signal N).

    When the calling task is cancelled, the whole process group gets SIGTERM, then SIGKILL,
    and `on_stop` runs (the container executor stops its container there). `stdin_fd` and
    `stdout_fd` replace the input iterator and the output sink with pipes; this function
    takes them and closes its copies once the process has them.
    """
    in_fd = stdin_fd.take() if stdin_fd is not None else None
    out_fd = stdout_fd.take() if stdout_fd is not None else None
    if in_fd is not None:
        stdin_arg: int = in_fd
    else:
        stdin_arg = asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL
    # A cancel that arrives while the process is being spawned must still stop it.
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *command,
            stdin=stdin_arg,
            stdout=out_fd if out_fd is not None else asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            limit=CHUNK_SIZE,
        )
    )
    try:
        process = await asyncio.shield(spawn)
    except asyncio.CancelledError:
        process = await spawn
        await stop_process(process)
        if on_stop is not None:
            await asyncio.shield(on_stop())
        raise
    finally:
        for fd in (in_fd, out_fd):
            if fd is not None:
                os.close(fd)
    assert process.stderr is not None
    readers = [asyncio.create_task(_pump_out(process.stderr, on_stderr, process.pid))]
    if process.stdout is not None:
        readers.append(asyncio.create_task(_pump_out(process.stdout, on_stdout, process.pid)))
    writer = None
    if stdin is not None and in_fd is None:
        writer = asyncio.create_task(_pump_in(process, stdin))
    try:
        code = await process.wait()

        # Background processes the tasks left behind belong to the job: end them too, so
        # they neither keep running nor hold the output pipes open.
        kill_group(process.pid, signal.SIGKILL)
        await _drain(readers)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        for reader in readers:
            if reader.done() and not reader.cancelled() and reader.exception():
                raise reader.exception()  # type: ignore[misc]
        return 128 - code if code < 0 else code
    except BaseException:
        await stop_process(process)
        if on_stop is not None:
            await asyncio.shield(on_stop())
        for task in (*readers, writer):
            if task is not None:
                task.cancel()
        raise


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """Send SIGTERM to the process group, then SIGKILL after a grace period."""
    if process.returncode is not None:
        kill_group(process.pid, signal.SIGKILL)
        return
    kill_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.shield(asyncio.wait_for(process.wait(), TERMINATE_GRACE))
    except (TimeoutError, asyncio.CancelledError):
        pass
    kill_group(process.pid, signal.SIGKILL)
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.shield(asyncio.wait_for(process.wait(), TERMINATE_GRACE))


def kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _pump_out(stream: asyncio.StreamReader, sink: ChunkSink, pid: int) -> None:
    while chunk := await stream.read(CHUNK_SIZE):
        try:
            await sink(chunk)
        except BrokenPipeError:
            # The consumer of the output (the next job of a pipe) stopped reading, so end the
            # job as a shell pipeline would, then drain what it already wrote.
            kill_group(pid, signal.SIGPIPE)
            while await stream.read(CHUNK_SIZE):
                pass
            return


async def _pump_in(process: asyncio.subprocess.Process, source: AsyncIterator[bytes]) -> None:
    assert process.stdin is not None
    try:
        async for chunk in source:
            process.stdin.write(chunk)
            await process.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        # The job stopped reading (`head -1`); the rest of its input is not needed.
        logger.debug("Job closed its standard input early.")
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()
            await process.stdin.wait_closed()


async def _drain(readers: list[asyncio.Task[None]]) -> None:
    _, pending = await asyncio.wait(readers, timeout=DRAIN_GRACE)
    for task in pending:
        logger.warning("Output pipe still open %.0f s after the job exited.", DRAIN_GRACE)
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def find_tagged_processes(tag: str, value: str) -> list[int]:
    """Return the pids of processes whose environment has `tag=value`.

    Every local job carries its build id in its environment, which is how `brigtui gc` and
    the end of a build find processes that escaped the job's process group.
    """
    needle = f"{tag}={value}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def kill_tagged_processes(tag: str, value: str) -> int:
    """SIGKILL every process tagged with `tag=value`; return how many there were."""
    pids = find_tagged_processes(tag, value)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)
