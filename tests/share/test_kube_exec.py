"""The websocket exec transport against a local server that speaks the exec channel protocol.

The server replaces the API server's `pods/exec` subresource (v4.channel.k8s.io: one
leading byte per frame names the channel; channel 3 carries the final status). It runs the
requested command in busybox under bubblewrap with a test share mounted read-only, so the
inspector's scripts, their binary output and their exit codes cross a real websocket.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from kubernetes import client

from brigtui.kube.connection import Connection
from brigtui.share.exec_inspector import ExecInspector
from brigtui.share.inspector import ShareAccessDenied, ShareEscape, ShareNotFound
from brigtui.share.kube_exec import KubeExecTransport
from tests.share.support import BUSYBOX, INVALID_UTF8, ODD_NAMES, busybox_pod, make_share

pytestmark = pytest.mark.skipif(
    BUSYBOX is None or shutil.which("bwrap") is None,
    reason="the fake exec server runs busybox in bubblewrap; install both",
)

FRAME = 16 * 1024
"""Bytes per stdout frame, small so that large outputs cross several frames."""


def status(code: int) -> bytes:
    if code == 0:
        return json.dumps({"metadata": {}, "status": "Success"}).encode()
    return json.dumps({
        "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }).encode()  # fmt: skip


async def serve_exec(share: Path, seen: list[list[str]]) -> web.Application:
    prefix = busybox_pod(share).prefix

    async def exec_handler(request: web.Request) -> web.WebSocketResponse:
        command = request.query.getall("command")
        seen.append(command)
        socket = web.WebSocketResponse(protocols=("v4.channel.k8s.io",))
        await socket.prepare(request)
        process = await asyncio.create_subprocess_exec(
            *prefix, *command, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        while chunk := await process.stdout.read(FRAME):
            await socket.send_bytes(b"\x01" + chunk)
        error = await process.stderr.read()
        if error:
            await socket.send_bytes(b"\x02" + error)
        await socket.send_bytes(b"\x03" + status(await process.wait()))
        await socket.close()
        return socket

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/{namespace}/pods/{pod}/exec", exec_handler)
    return app


@pytest.fixture
async def exec_server(tmp_path: Path) -> AsyncIterator[tuple[Connection, Path, list[list[str]]]]:
    share = make_share(tmp_path / "claim")
    seen: list[list[str]] = []
    runner = web.AppRunner(await serve_exec(share, seen))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    configuration = client.Configuration(host=f"http://127.0.0.1:{port}")
    api = client.ApiClient(configuration)
    try:
        yield Connection(api, "fake", "brig", configuration.host), share, seen
    finally:
        api.close()
        await runner.cleanup()


def inspector_over(connection: Connection) -> ExecInspector:
    inspector = ExecInspector("b1")
    inspector.backend = "kubernetes"
    inspector._transport = KubeExecTransport(connection, "debug-pod", "inspect")
    return inspector


async def test_listing_over_websocket(exec_server: tuple[Connection, Path, list[list[str]]]) -> None:
    connection, share, seen = exec_server
    inspector = inspector_over(connection)
    names = [entry.name for entry in await asyncio.to_thread(inspector.list_dir, "")]
    assert "new\nline.txt" in names
    assert INVALID_UTF8 in names
    assert seen[0][:2] == ["sh", "-c"]
    for name in [*ODD_NAMES, INVALID_UTF8]:
        assert await asyncio.to_thread(inspector.read, name, 0, 100) == (share / name).read_bytes()


async def test_exit_codes_over_websocket(exec_server: tuple[Connection, Path, list[list[str]]]) -> None:
    connection, _share, _seen = exec_server
    inspector = inspector_over(connection)
    with pytest.raises(ShareEscape):
        await asyncio.to_thread(inspector.read, "data/up-out/etc/passwd", 0, 10)
    with pytest.raises(ShareNotFound):
        await asyncio.to_thread(inspector.stat, "missing")


async def test_large_tar_over_websocket(exec_server: tuple[Connection, Path, list[list[str]]],
                                        tmp_path: Path) -> None:
    connection, share, _seen = exec_server
    (share / "data" / "large.bin").write_bytes(bytes(range(256)) * 4096)
    inspector = inspector_over(connection)

    def fetch() -> None:
        from brigtui.share.download import download

        download(inspector, "data", tmp_path / "got")

    await asyncio.to_thread(fetch)
    for name in ("large.bin", "blob.bin", "deep/leaf.py"):
        assert (tmp_path / "got" / "data" / name).read_bytes() == (share / "data" / name).read_bytes()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
async def test_refused_read_names_setting(exec_server: tuple[Connection, Path, list[list[str]]]) -> None:
    connection, share, _seen = exec_server
    secret = share / "other-user.txt"
    secret.write_text("private\n")
    os.chown(secret, 4321, 4321)
    secret.chmod(0o600)
    inspector = inspector_over(connection)
    with pytest.raises(ShareAccessDenied, match=r"kubernetes\.debug_user"):
        await asyncio.to_thread(inspector.read, "other-user.txt", 0, 10)
