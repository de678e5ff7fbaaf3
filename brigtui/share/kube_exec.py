"""Exec in the debug pod over the API server's websocket (what `kubectl exec` does).

Output travels as binary frames (`binary=True`), so file contents and names reach brigtui
byte for byte. The interactive shell puts the local terminal in raw mode and forwards
keystrokes, output and window size until the shell ends.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import sys
import termios
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from brigtui.share.exec_inspector import ExecResult
from brigtui.share.inspector import ShareError

logger = logging.getLogger(__name__)

_RESIZE_CHANNEL = 4


class KubeExecTransport:
    """Runs commands in one container of one pod through the exec subresource."""

    def __init__(self, connection: Any, pod: str, container: str) -> None:
        self.connection = connection
        self.pod = pod
        self.container = container

    def _open(self, argv: list[str], *, tty_mode: bool = False) -> Any:
        from kubernetes.stream import stream

        self.connection.count_request()
        try:
            return stream(
                self.connection.core.connect_get_namespaced_pod_exec, self.pod,
                self.connection.namespace, container=self.container, command=argv,
                stderr=not tty_mode, stdin=tty_mode, stdout=True, tty=tty_mode,
                _preload_content=False, binary=True,
            )  # fmt: skip
        except Exception as error:  # the websocket client raises many unrelated types
            raise ShareError(
                f"cannot exec in debug pod {self.pod} in {self.connection.where()}: {error}; "
                "exec needs the RBAC right to create pods/exec"
            ) from None

    def run(self, argv: list[str], timeout: float) -> ExecResult:
        client = self._open(argv)
        reader = _WebsocketReader(client)
        deadline = time.monotonic() + timeout
        stdout = bytearray()
        try:
            while True:
                if time.monotonic() > deadline:
                    raise ShareError(f"a command in debug pod {self.pod} took longer than {timeout:g} s")
                chunk = reader.read(256 * 1024)
                if not chunk:
                    break
                stdout += chunk
            return ExecResult(exit_code(client), bytes(stdout), bytes(reader.stderr))
        finally:
            client.close()

    @contextmanager
    def stream(self, argv: list[str]) -> Iterator[tuple[BinaryIO, _WebsocketDone]]:
        client = self._open(argv)
        reader = _WebsocketReader(client)
        try:
            yield reader, _WebsocketDone(client, reader)  # type: ignore[misc]
        finally:
            client.close()

    def interactive(self, argv: list[str]) -> int:
        # TODO(2026-12-04): run this against a real API server; the tests cover exec without
        # a tty only, and window resizes after the start are not forwarded yet.
        client = self._open(argv, tty_mode=True)
        stdin = sys.stdin.fileno()
        saved = termios.tcgetattr(stdin) if os.isatty(stdin) else None
        try:
            if saved is not None:
                tty.setraw(stdin)
            self._send_size(client)
            self._forward(client, stdin)
            return exit_code(client)
        finally:
            if saved is not None:
                termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
            client.close()

    def _forward(self, client: Any, stdin: int) -> None:
        out = sys.stdout.buffer
        while client.is_open():
            client.update(timeout=0.05)
            if client.peek_stdout():
                out.write(client.read_stdout())
                out.flush()
            ready, _, _ = select.select([stdin], [], [], 0)
            if ready:
                data = os.read(stdin, 4096)
                if not data:
                    return
                client.write_stdin(data)

    def _send_size(self, client: Any) -> None:
        size = shutil.get_terminal_size()
        client.write_channel(_RESIZE_CHANNEL, json.dumps({"Width": size.columns, "Height": size.lines}))


class _WebsocketReader:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.buffer = bytearray()
        self.stderr = bytearray()

    def _fill(self) -> bool:
        """Read more output; return False once the command has ended and nothing is left."""
        while not self.buffer:
            if self.client.peek_stderr():
                self.stderr += self.client.read_stderr()
            if self.client.peek_stdout():
                self.buffer += self.client.read_stdout()
                break
            if not self.client.is_open():
                return False
            self.client.update(timeout=1)
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            chunks = []
            while self._fill():
                chunks.append(bytes(self.buffer))
                self.buffer.clear()
            return b"".join(chunks)
        if not self._fill():
            return b""
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data


class _WebsocketDone:
    def __init__(self, client: Any, reader: _WebsocketReader) -> None:
        self.client = client
        self.reader = reader

    def wait(self) -> ExecResult:
        while self.client.is_open():
            self.client.update(timeout=1)
            if self.client.peek_stderr():
                self.reader.stderr += self.client.read_stderr()
        if self.client.peek_stderr():
            self.reader.stderr += self.client.read_stderr()
        return ExecResult(exit_code(self.client), b"", bytes(self.reader.stderr))


def exit_code(client: Any) -> int:
    """Return the command's exit code from the status the API server sends on channel 3."""
    try:
        return int(client.returncode or 0)
    except (TypeError, KeyError, IndexError, ValueError) as error:
        logger.warning("The exec status of the debug pod was unreadable (%r).", error)
        return 1
