"""An inspector that runs every operation as a command inside a debug pod or container.

The transport decides where commands run: `kubectl`-style exec in a pod, `podman exec` in a
container, or any local command prefix. Nothing here touches the host's copy of the share.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from brigtui.share import exec_script
from brigtui.share.inspector import Entry, ShareError, ShareInspector, kind_of, split_path

logger = logging.getLogger(__name__)

BLOCK = 64 * 1024
"""Block size of ranged reads; `dd` seeks in whole blocks, the client trims the rest."""
COMMAND_TIMEOUT = 120.0
"""Seconds one listing, stat or read may take in the pod or container."""


@dataclass
class ExecResult:
    code: int
    stdout: bytes
    stderr: bytes


class ExecTransport(Protocol):
    """Runs commands where the share is mounted read-only at /mnt/brigade/share."""

    def run(self, argv: list[str], timeout: float) -> ExecResult:
        """Run a command to its end and return its exit code and output."""
        ...

    def stream(self, argv: list[str]) -> AbstractContextManager[tuple[BinaryIO, ExecDone]]:
        """Run a command and yield its standard output as a stream, and its outcome."""
        ...

    def interactive(self, argv: list[str]) -> int:
        """Run a command on the current terminal (stdin, stdout and a tty); return its exit code."""
        ...


class ExecDone(Protocol):
    def wait(self) -> ExecResult:
        """Wait for the command's end; stdout in the result is empty (it was streamed)."""
        ...


class ExecInspector(ShareInspector):
    """Implements the inspector's operations with exec_script's commands over a transport."""

    backend = "exec"

    def __init__(self, build_id: str) -> None:
        self.build_id = build_id
        self._transport: ExecTransport | None = None

    @property
    def transport(self) -> ExecTransport:
        if self._transport is None:
            self.open()
        if self._transport is None:
            raise ShareError(f"the inspector of build {self.build_id} is not open")
        return self._transport

    def _run(self, script: str, path: str, *extra: str) -> bytes:
        result = self.transport.run(exec_script.script_argv(script, path, *extra), COMMAND_TIMEOUT)
        if result.code != 0:
            raise exec_script.share_error(result.code, result.stderr, path, self.backend)
        return result.stdout

    def list_dir(self, path: str) -> list[Entry]:
        parent = "/".join(split_path(path))
        return exec_script.parse_listing(self._run(exec_script.LIST_SCRIPT, parent), parent)

    def stat(self, path: str) -> Entry:
        clean = "/".join(split_path(path))
        output = self._run(exec_script.STAT_SCRIPT, clean)
        line, _, target = output.partition(b"\0")
        mode, size, mtime, uid, gid, _name = exec_script.parse_stat_line(line.rstrip(b"\n"))
        link = target.decode("utf-8", "surrogateescape") if target else None
        return Entry(clean, kind_of(mode), size, mode, mtime, link, uid, gid)

    def read(self, path: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        clean = "/".join(split_path(path))
        first = offset // BLOCK
        last = (offset + length + BLOCK - 1) // BLOCK
        data = self._run(exec_script.READ_SCRIPT, clean, str(BLOCK), str(first), str(last - first))
        start = offset - first * BLOCK
        return data[start : start + length]

    def measure(self, path: str) -> tuple[int, int]:
        clean = "/".join(split_path(path))
        sizes = self._run(exec_script.MEASURE_SCRIPT, clean).split()
        return len(sizes), sum(int(size) for size in sizes)

    @contextmanager
    def _tar(self, path: str) -> Iterator[BinaryIO]:
        clean = "/".join(split_path(path))
        argv = exec_script.script_argv(exec_script.TAR_SCRIPT, clean)
        with self.transport.stream(argv) as (stdout, done):
            yield _CheckedStream(stdout, done, clean, self.backend)  # type: ignore[misc]

    def open_tar(self, path: str) -> AbstractContextManager[BinaryIO]:
        return self._tar(path)

    def shell_command(self) -> list[str]:
        return ["sh", "-c", exec_script.SHELL_SCRIPT]

    def run_shell(self) -> int:
        return self.transport.interactive(self.shell_command())


class _CheckedStream:
    """A command's stdout that raises the command's error at its end instead of a short EOF."""

    def __init__(self, stdout: BinaryIO, done: ExecDone, path: str, backend: str) -> None:
        self._stdout = stdout
        self._done = done
        self._path = path
        self._backend = backend

    def read(self, size: int = -1) -> bytes:
        data = self._stdout.read(size)
        if not data or size < 0:
            result = self._done.wait()
            if result.code != 0:
                raise exec_script.share_error(result.code, result.stderr, self._path, self._backend)
        return data


class CommandTransport:
    """Runs commands as local processes behind a prefix (`podman exec -i NAME`, `bwrap ...`)."""

    def __init__(self, prefix: list[str], interactive_prefix: list[str] | None = None) -> None:
        self.prefix = prefix
        self.interactive_prefix = interactive_prefix or prefix

    def run(self, argv: list[str], timeout: float) -> ExecResult:
        try:
            completed = subprocess.run([*self.prefix, *argv], capture_output=True, timeout=timeout,
                                       stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            raise ShareError(f"the inspector's command took longer than {timeout:g} s") from None
        except OSError as error:
            raise ShareError(f"cannot run {self.prefix[0]}: {error.strerror}") from None
        return ExecResult(completed.returncode, completed.stdout, completed.stderr)

    @contextmanager
    def stream(self, argv: list[str]) -> Iterator[tuple[BinaryIO, ExecDone]]:
        process = subprocess.Popen([*self.prefix, *argv], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None
        done = _ProcessDone(process)
        try:
            yield process.stdout, done  # type: ignore[misc]
        finally:
            if process.poll() is None:
                process.kill()
            done.wait()
            process.stdout.close()

    def interactive(self, argv: list[str]) -> int:
        return subprocess.call([*self.interactive_prefix, *argv])


class _ProcessDone:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self._stderr = b""
        self._reader = threading.Thread(target=self._drain, daemon=True, name="exec-stderr")
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        self._stderr = self.process.stderr.read()

    def wait(self) -> ExecResult:
        code = self.process.wait()
        self._reader.join()
        return ExecResult(code, b"", self._stderr)

