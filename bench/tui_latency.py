"""Key press to screen update while 200 jobs stream 20,000 log lines per second in total.

The app runs headless in this process (Textual's `App.run_test`), at 120x40, with the build
list focused. Each sample posts a `down` or `up` key event to the app, as the terminal driver
does. It measures until the compositor hands the first frame that shows the moved cursor to
the output. The probe wraps the app's private `_display` for this measurement only, and in
headless mode the frame is composed but not written. Moving the cursor selects another build, so the job
graph and the log title are redrawn too.

The baseline is the same key presses on the same app with no build running, in the same run.
The load is one build of 200 jobs; each job prints 10 lines every 100 ms for `--seconds`.
Goal: p99 <= 100 ms under load.

Usage: .venv/bin/python bench/tui_latency.py [--jobs 200] [--seconds 20] [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events

from bench.results import machine_line, record_section
from brigtui.app import BrigtuiApp
from brigtui.engine.messages import JobLogged, JobStateChanged

FLOOD = '''\
from brigtui import Group, Job, events

PRINT = (
    "python3 -c 'import sys, time\\n"
    "end = time.monotonic() + {seconds}\\n"
    "n = 0\\n"
    "while time.monotonic() < end:\\n"
    "    sys.stdout.write(\\"\\".join(f\\"\\\\x1b[32m{{n + i}}\\\\x1b[0m a log line of some length\\\\n\\" for i in range(10)))\\n"
    "    sys.stdout.flush()\\n"
    "    n += 10\\n"
    "    time.sleep(0.1)\\n'"
)


@events.on("exec")
async def exec_handler(event, project):
    await Group(Job(f"job-{{number}}", "alpine:3.19", [PRINT]) for number in range({jobs})).run_all()
'''


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class FrameProbe:
    """Resolves a future at the first composed frame after the build list's cursor moved."""

    def __init__(self, app: BrigtuiApp) -> None:
        self.app = app
        self.waiting: tuple[int, asyncio.Future[float]] | None = None
        original = app._display

        def display(screen: object, renderable: object) -> None:
            original(screen, renderable)  # type: ignore[arg-type]
            if renderable is None or self.waiting is None:
                return
            before, future = self.waiting
            if app.dashboard.build_list.cursor_line != before and not future.done():
                future.set_result(time.perf_counter())

        app._display = display  # type: ignore[method-assign]

    async def press(self, key: str) -> float:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting = (self.app.dashboard.build_list.cursor_line, future)
        start = time.perf_counter()
        self.app.post_message(events.Key(key, None))
        end = await asyncio.wait_for(future, 10)
        self.waiting = None
        return end - start


async def press_samples(probe: FrameProbe, count: int, gap: float) -> list[float]:
    samples = []
    for number in range(count):
        samples.append(await probe.press("down" if number % 2 == 0 else "up"))
        await asyncio.sleep(gap)
    return samples


async def measure(jobs: int, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "pipelines"
        folder.mkdir()
        script = folder / "flood.py"
        script.write_text(FLOOD.format(jobs=jobs, seconds=seconds))
        (folder / "other.py").write_text(
            "from brigtui import Job, events\n\n\n@events.on('exec')\n"
            "async def exec_handler(event, project):\n    await Job('x', 'a', ['true']).run()\n"
        )
        app = BrigtuiApp(folder, watch=False)
        running: set[str] = set()
        streaming: set[str] = set()

        def count_running(message: object) -> None:
            if isinstance(message, JobStateChanged) and message.status == "running":
                running.add(message.job)
            elif isinstance(message, JobLogged):
                streaming.add(message.job)

        app.engine.subscribe(count_running)
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.dashboard.build_list.scripts:
                await pilot.pause()
            app.dashboard.build_list.focus()
            await pilot.pause()
            probe = FrameProbe(app)

            # Baseline: the same presses with nothing running.
            idle = await press_samples(probe, 100, 0.02)

            # Load: start the flood, wait until every job's process prints (the engine starts
            # processes one by one, blocking its loop for each), then sample while they stream.
            app.start_manual_build(script, "exec", None)
            started = time.monotonic()
            while len(streaming) < jobs and time.monotonic() - started < 90:
                await asyncio.sleep(0.05)
            window_start = time.monotonic()
            logs = app.engine.state_dir / "builds"
            size_before = sum(p.stat().st_size for p in logs.rglob("*.log"))
            loaded = await press_samples(probe, 300, 0.02)
            window = time.monotonic() - window_start
            size_after = sum(p.stat().st_size for p in logs.rglob("*.log"))
            await app.engine.cancel_all()
        app.engine.close()

    line_bytes = len("\x1b[32m1234\x1b[0m a log line of some length\n")
    return {
        "idle": idle,
        "loaded": loaded,
        "jobs_running": len(streaming),
        "lines_per_second": (size_after - size_before) / line_bytes / window,
        "window": window,
    }


def report(result: dict[str, object]) -> str:
    idle = result["idle"]
    loaded = result["loaded"]
    assert isinstance(idle, list) and isinstance(loaded, list)
    rows = []
    streaming = f"{result['jobs_running']} jobs streaming"
    for name, values in (("no build running (baseline)", idle), (streaming, loaded)):
        rows.append(
            f"| {name} | {statistics.median(values) * 1000:.1f} ms | "
            f"{percentile(values, 0.95) * 1000:.1f} ms | {percentile(values, 0.99) * 1000:.1f} ms |"
        )
    p99 = percentile(loaded, 0.99)
    ratio = p99 / percentile(idle, 0.99)
    verdict = "met" if p99 <= 0.1 else "NOT met"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return "\n".join([
        machine_line(),
        f"Load average when the run ended: {load} (the benchmark's own jobs included).",
        "",
        "| key press to screen update | p50 | p95 | p99 |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Load: {result['jobs_running']} jobs running, about "
        f"{result['lines_per_second']:,.0f} log lines per second written during the "
        f"{result['window']:.1f} s of sampling. p99 under load is {ratio:.1f} x the baseline "
        f"p99. Headless app in this process, 120x40, a `down` or `up` key event every 20 ms "
        f"in the build list; the time runs to the first composed frame that shows the moved "
        f"cursor, not to terminal paint.",
        f"The jobs are set to print {int(result['jobs_running']) * 100:,} lines per second; on this "
        f"machine the job processes and the engine share its cores with the UI. Profiling "
        f"(cProfile and asyncio's slow-callback log) put the slowest presses on full garbage "
        f"collections and on screen updates delayed by that contention.",
        f"Goal: p99 <= 100 ms: {verdict}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--record", action="store_true", help="write to bench/RESULTS.md")
    args = parser.parse_args()
    text = report(asyncio.run(measure(args.jobs, args.seconds)))
    print(text)
    if args.record:
        record_section("TUI: key press latency under a log flood", text)


if __name__ == "__main__":
    main()
