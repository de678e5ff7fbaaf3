"""Latency from saving a file to the first job of its rerun starting.

A RerunController watches a folder with one event script whose single job runs `true`.
Each round writes the script's data file and measures, from just before the write:

- watchfiles: the first event of a plain `watchfiles.awatch` on the same folder with its
  default settings (the baseline, measured in the same run);
- batch: the first `FilesChanged` of brigtui's FolderWatcher (its debounce included);
- job started: the engine's first `JobStateChanged` to `running` of the rerun's build,
  which the engine sends just before it starts the job's process.

Every round waits for its build to finish and for the watchers to go quiet, so rounds do
not overlap. It runs once per `--small-batch-ms` value (`watch.small_batch_debounce_ms`,
the quiet time of a batch of at most three files; a save is one file); the other watch
settings keep their defaults. Goal: job started p50 <= 100 ms and p95 <= 200 ms.

Usage: .venv/bin/python bench/watch_latency.py [--saves 30] [--small-batch-ms 50 150] [--record]
`--record` writes the result to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import machine_line, record_section
from brigtui.config import Settings
from brigtui.engine.engine import Engine
from brigtui.engine.messages import BuildFinished, EngineMessage, JobStateChanged
from brigtui.engine.rerun import RerunController
from brigtui.engine.watcher import FilesChanged, FolderWatcher, WatchStarted

GOAL_P50_MS = 100.0
GOAL_P95_MS = 200.0
QUIET_SECONDS = 0.5
"""Pause after each round's build, so the next save starts on quiet watchers."""
TIMEOUT = 30.0

SCRIPT = """\
from brigtui import Job, events

@events.on("exec")
async def exec_handler(event, project):
    await Job("one", "alpine:3.7", ["true"]).run()
"""


@dataclass
class Samples:
    watchfiles: list[float] = field(default_factory=list)
    batch: list[float] = field(default_factory=list)
    job: list[float] = field(default_factory=list)


class Stamps:
    """The monotonic time of the first occurrence of each awaited event since `reset()`."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.changed = asyncio.Event()

    def reset(self) -> None:
        self.times.clear()

    def mark(self, name: str) -> None:
        self.times.setdefault(name, time.monotonic())
        self.changed.set()

    async def wait(self, *names: str) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not all(name in self.times for name in names):
                self.changed.clear()
                await self.changed.wait()


async def baseline_watch(folder: Path, stamps: Stamps, ready: asyncio.Event) -> None:
    watch = watchfiles.awatch(folder)
    ready.set()
    async for _changes in watch:
        stamps.mark("watchfiles")


async def brigtui_watch(watcher: FolderWatcher, controller: RerunController,
                        stamps: Stamps, ready: asyncio.Event) -> None:
    async for event in watcher.events():
        if isinstance(event, WatchStarted):
            ready.set()
        if isinstance(event, FilesChanged):
            stamps.mark("batch")
        controller.handle(event)


async def measure(small_batch_ms: int, saves: int) -> Samples:
    with tempfile.TemporaryDirectory(prefix="brigtui-bench-") as temporary:
        root = Path(temporary)
        folder = root / "pipelines"
        folder.mkdir()
        (folder / "hello.py").write_text(SCRIPT)
        data = folder / "animals.txt"
        data.write_text("rhino\n")

        settings = Settings()
        settings.watch.small_batch_debounce_ms = small_batch_ms
        engine = Engine(folder, state_dir=root / "state", settings=settings)
        controller = RerunController(engine)
        watcher = FolderWatcher.from_settings(folder, settings.watch)
        stamps = Stamps()

        def on_message(message: EngineMessage) -> None:
            if isinstance(message, JobStateChanged) and message.status == "running":
                stamps.mark("job")
            if isinstance(message, BuildFinished):
                stamps.mark("finished")

        engine.subscribe(on_message)
        baseline_ready, brigtui_ready = asyncio.Event(), asyncio.Event()
        tasks = [
            asyncio.create_task(baseline_watch(folder, stamps, baseline_ready)),
            asyncio.create_task(brigtui_watch(watcher, controller, stamps, brigtui_ready)),
        ]
        samples = Samples()
        try:
            await baseline_ready.wait()
            await brigtui_ready.wait()
            await asyncio.sleep(QUIET_SECONDS)  # awatch sets up its watch on its first step

            for number in range(saves):
                # Save, then wait for all three events and the end of the build.
                stamps.reset()
                start = time.monotonic()
                data.write_text(f"rhino {number}\n")
                await stamps.wait("watchfiles", "batch", "job", "finished")
                samples.watchfiles.append(stamps.times["watchfiles"] - start)
                samples.batch.append(stamps.times["batch"] - start)
                samples.job.append(stamps.times["job"] - start)
                await asyncio.sleep(QUIET_SECONDS)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.cancel_all()
            engine.close()
        return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index] * 1000


def table(results: dict[int, Samples]) -> str:
    lines = [
        "| small_batch_debounce_ms | watchfiles p50 / p95 | batch p50 / p95 | job started p50 / p95 "
        "| job p50 / watchfiles p50 | goal |",
        "|---|---|---|---|---|---|",
    ]
    for small_batch_ms, samples in results.items():
        job50, job95 = percentile(samples.job, 0.5), percentile(samples.job, 0.95)
        base50 = percentile(samples.watchfiles, 0.5)
        met = job50 <= GOAL_P50_MS and job95 <= GOAL_P95_MS
        lines.append(
            f"| {small_batch_ms} "
            f"| {base50:.0f} / {percentile(samples.watchfiles, 0.95):.0f} ms "
            f"| {percentile(samples.batch, 0.5):.0f} / {percentile(samples.batch, 0.95):.0f} ms "
            f"| {job50:.0f} / {job95:.0f} ms "
            f"| {job50 / base50:.2f} x "
            f"| {'met' if met else 'NOT met'} |"
        )
    return "\n".join(lines)


async def main(saves: int, small_batch_values: list[int], record: bool) -> None:
    load = os.getloadavg()[0]
    results = {value: await measure(value, saves) for value in small_batch_values}
    body = (
        f"{machine_line()} Load average at the start: {load:.1f}.\n\n{table(results)}\n\n"
        f"{saves} saves of a data file per row, each timed from just before the write; "
        "`watchfiles` is a plain `watchfiles.awatch` with its defaults on the same folder, "
        "`batch` is brigtui's FolderWatcher (debounce_ms 150, max_delay_ms 2000), "
        "`job started` is the "
        "first job of the rerun entering `running` (local executor). With "
        "small_batch_debounce_ms 150 every batch waits the full debounce_ms. "
        f"Goal: job started p50 <= {GOAL_P50_MS:.0f} ms and p95 <= {GOAL_P95_MS:.0f} ms. "
        "Script: bench/watch_latency.py."
    )
    print(body)
    if record:
        record_section("Watch: file save to first job started", body)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=30, help="saves per debounce value")
    parser.add_argument("--small-batch-ms", type=int, nargs="+", default=[50, 150],
                        help="watch.small_batch_debounce_ms values to measure, in milliseconds")
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.saves, arguments.small_batch_ms, arguments.record))
