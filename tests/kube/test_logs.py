"""Log following: timestamps, lines across chunks, resume after a drop, stderr kept apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from brigtui.kube.logs import LogCursor, parse_timestamp, since_time
from tests.kube.conftest import client_requests, kube_settings
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster, go_timestamp

NOISY_JOB = """
@events.on("exec")
async def exec_handler(event, project):
    job = Job("noisy", "alpine:3.19", [
        'i=0; while [ $i -lt 300 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done',
        "printf 'last line without newline'",
    ])
    await job.run()
"""

BASE = int(datetime(2026, 12, 4, 20, 13, 5, tzinfo=UTC).timestamp()) * 10**9

EXPECTED_OUT = "".join(f"out {i}\n" for i in range(300)) + "last line without newline"


def test_timestamp_parsing_orders_fractions() -> None:
    assert parse_timestamp(b"2026-12-04T20:13:05Z") == BASE
    assert parse_timestamp(b"2026-12-04T20:13:05.5Z") == BASE + 500_000_000
    assert parse_timestamp(b"2026-12-04T20:13:05.000000001Z") == BASE + 1
    assert parse_timestamp(b"2026-12-04T20:13:05.1Z") > parse_timestamp(b"2026-12-04T20:13:05.09Z")


def test_timestamp_without_utc_rejected() -> None:
    with pytest.raises(ValueError, match="not in UTC"):
        parse_timestamp(b"2026-12-04T20:13:05+01:00")


def test_go_format_round_trips() -> None:
    for nanos in (BASE, BASE + 120_000_000, 7):
        assert parse_timestamp(go_timestamp(nanos).encode()) == nanos


def test_cursor_skips_seen_lines_on_resume() -> None:
    cursor = LogCursor()
    assert cursor.resume() is None
    stamps = [10, 20, 20, 20]
    assert [cursor.is_new(stamp) for stamp in stamps] == [True, True, True, True]

    # The resumed stream repeats the whole second: older lines and the three at 20 go.
    assert cursor.resume() == since_time(20)
    repeated = [10, 20, 20, 20, 20, 30]
    assert [cursor.is_new(stamp) for stamp in repeated] == [False, False, False, False, True, True]


async def test_odd_chunks_reassembled(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.chunk_size = 3
    finished = await run_script(tmp_path / "p", NOISY_JOB, kube_settings())
    assert finished.status == "succeeded", finished.error
    assert finished.output("noisy").decode() == EXPECTED_OUT
    log = finished.log("noisy")
    assert "err 299" in log
    assert "\x1e" not in log


async def test_dropped_stream_resumes_without_loss(
    tmp_path: Path, cluster: SimulatedCluster
) -> None:
    cluster.chunk_size = 11
    cluster.drop_after = 1500
    finished = await run_script(tmp_path / "p", NOISY_JOB, kube_settings())
    assert finished.status == "succeeded", finished.error
    assert [pod.streams for pod in cluster.pods.values()] == [2]
    assert finished.output("noisy").decode() == EXPECTED_OUT
    log = finished.log("noisy")
    for i in range(300):
        assert log.count(f"err {i}\n") == 1, f"stderr line {i}"
    log_requests = [r for r in client_requests(cluster) if r.url.path.endswith("/log")]
    assert len(log_requests) >= 2
    assert "sinceTime" in log_requests[1].params


async def test_stderr_not_in_result(tmp_path: Path, cluster: SimulatedCluster) -> None:
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        one = Job("one", "alpine:3.19", ["echo visible", "echo hidden >&2"])
        result = await one.run()
        print(repr(str(result)))
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "succeeded", finished.error
    assert finished.printed == ["'visible'"]
    assert finished.output("one") == b"visible\n"
    assert "hidden" in finished.log("one")


async def test_drop_while_job_runs(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.drop_after = 200
    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("slow", "alpine:3.19", [
            "for i in $(seq 1 50); do echo early $i; done",
            "sleep 1",
            "for i in $(seq 1 50); do echo late $i; done",
        ]).run()
    """
    finished = await run_script(tmp_path / "p", body, kube_settings())
    assert finished.status == "succeeded", finished.error
    expected = [f"early {i}" for i in range(1, 51)] + [f"late {i}" for i in range(1, 51)]
    assert finished.output("slow").decode().splitlines() == expected
    assert [pod.streams for pod in cluster.pods.values()] == [2]


async def test_watch_reconnects_after_drop(tmp_path: Path, cluster: SimulatedCluster) -> None:
    async def drop_watch_once() -> None:
        while not cluster.pods:
            await asyncio.sleep(0.01)
        watch = next(r for r in client_requests(cluster) if r.params.get("watch") == "true")
        watch._raw_request.transport.abort()

    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("one", "alpine:3.19", ["sleep 1.5", "echo done"]).run()
    """
    dropper = asyncio.create_task(drop_watch_once())
    finished = await run_script(tmp_path / "p", body, kube_settings())
    await dropper
    assert finished.status == "succeeded", finished.error
    assert finished.output("one") == b"done\n"
    watches = [r for r in client_requests(cluster) if r.params.get("watch") == "true"]
    assert len(watches) == 2


async def test_deletion_during_watch_gap(tmp_path: Path, cluster: SimulatedCluster) -> None:
    async def drop_watch_and_delete() -> None:
        while not any(pod.records for pod in cluster.pods.values()):
            await asyncio.sleep(0.01)
        watch = next(r for r in client_requests(cluster) if r.params.get("watch") == "true")
        watch._raw_request.transport.abort()
        name = next(iter(cluster.pods))
        await cluster.client.delete(f"/api/v1/namespaces/brig/pods/{name}")

    body = """
    @events.on("exec")
    async def exec_handler(event, project):
        await Job("one", "alpine:3.19", ["echo started", "sleep 20"]).run()
    """
    dropper = asyncio.create_task(drop_watch_and_delete())
    finished = await run_script(tmp_path / "p", body, kube_settings())
    await dropper
    assert finished.status == "failed"
    assert "was deleted" in finished.job("one").error
    lists = [r for r in client_requests(cluster)
             if r.method == "GET" and r.url.path.endswith("/pods") and "watch" not in r.params]
    assert len(lists) == 1
