"""Throughput of `pipe()` against a raw shell pipe of the same data.

Measures, in one run: `head -c N /dev/zero | cat | wc -c` in a shell, and a build whose
handler runs `pipe(head, cat, wc)` on the local executor, once with the splice relay (host
processes) and once with the queue relay (what executors without host pipes use). Each
build runs in a child process that reports its peak memory.
Goals: at least half the shell pipe's throughput, at most 100 MB peak memory for 1 GiB.

Usage: .venv/bin/python bench/pipe_throughput.py [MEBIBYTES]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import machine_line, record_section

CHILD = """
import asyncio, sys, time
from pathlib import Path
from tests.support import peak_rss_kib
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.executors.local import LocalExecutor
if sys.argv[2] == "queue":
    LocalExecutor.accepts_fds = False
engine = Engine(Path(sys.argv[1]).parent)
start = time.perf_counter()
outcome = asyncio.run(engine.run_build(BuildRequest(Path(sys.argv[1]))))
elapsed = time.perf_counter() - start
assert outcome.status == "succeeded", outcome.error
print(elapsed, peak_rss_kib())
"""


def shell_pipe(size: int) -> float:
    start = time.perf_counter()
    output = subprocess.run(
        ["sh", "-c", f"head -c {size} /dev/zero | cat | wc -c"], capture_output=True, text=True, check=True
    ).stdout
    elapsed = time.perf_counter() - start
    assert int(output) == size
    return elapsed


def brigtui_pipe(size: int, folder: Path, relay: str) -> tuple[float, int]:
    script = folder / "bench_pipe.py"
    script.write_text(
        "from brigtui import Job, events, pipe\n"
        "@events.on('exec')\n"
        "async def handler(event, project):\n"
        f"    results = await pipe(Job('head', 'i', ['head -c {size} /dev/zero']),\n"
        "                         Job('cat', 'i', ['cat']), Job('wc', 'i', ['wc -c']))\n"
        f"    assert int(results[-1].text) == {size}, results[-1].text\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    output = subprocess.run(
        [sys.executable, "-c", CHILD, str(script), relay], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    return float(output[0]), int(output[1])


def main(mebibytes: int) -> None:
    size = mebibytes * 1024 * 1024
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "pipelines"
        folder.mkdir()
        shell = min(shell_pipe(size) for _ in range(3))
        for relay in ("splice", "queue"):
            runs = [brigtui_pipe(size, folder, relay) for _ in range(3)]
            elapsed = min(seconds for seconds, _ in runs)
            peak = max(kib for _, kib in runs)
            rows.append((relay, elapsed, peak))
    shell_rate = size / shell / 2**20
    lines = [
        machine_line(),
        "",
        "| pipe | MiB/s | share of shell speed | peak memory of brigtui |",
        "|---|---|---|---|",
        f"| shell pipe of head, cat and wc -c (baseline) | {shell_rate:.0f} | 1.00 | - |",
    ]
    for relay, elapsed, peak in rows:
        rate = size / elapsed / 2**20
        lines.append(f"| brigtui `pipe()`, {relay} relay | {rate:.0f} | {rate / shell_rate:.2f} | {peak / 1024:.0f} MB |")
    splice = rows[0]
    verdict = "met" if size / splice[1] >= size / shell / 2 and splice[2] <= 100 * 1024 else "NOT met"
    lines += [
        "",
        f"{mebibytes} MiB of zeros through three jobs; fastest of 3 runs each, including the "
        "build's start-up and the sandboxes. The splice relay is used by the local executor; "
        "the queue relay by executors whose jobs are not host processes. "
        f"Goal (splice relay: at least 0.5 of the shell's speed, at most 100 MB): {verdict}.",
    ]
    body = "\n".join(lines) + "\n"
    record_section("pipe() throughput", body)
    print(body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
