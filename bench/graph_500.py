"""The job graph at 500 jobs: layout time, and key press to screen update.

Builds a random layered DAG of 500 jobs (and of 20 jobs, the baseline) in the same run,
lays it out, shows it in a headless app at 80x24 and times arrow-key presses until the
screen is updated. Goal: a key press updates the screen within 100 ms at 500 jobs.

Usage: .venv/bin/python bench/graph_500.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult

from bench.results import machine_line, record_section
from brigtui.engine.messages import BuildStarted, JobCreated, JobStateChanged
from brigtui.widgets.build_model import BuildBoard, BuildView
from brigtui.widgets.graph_layout import lay_out
from brigtui.widgets.job_graph import JobGraph

GOAL_MS = 100.0
PRESSES = 40


def random_build(count: int, seed: int = 7) -> BuildView:
    chance = random.Random(seed)
    names = [f"job-{number}" for number in range(count)]
    board = BuildBoard()
    board.apply(BuildStarted("bench", "/p/bench.py", "exec", "manual", "local"))
    for seq, name in enumerate(names, start=1):
        board.apply(JobCreated("bench", name, "alpine", seq % 7 == 0, seq))
        board.apply(JobStateChanged("bench", name, "running"))
        board.apply(JobStateChanged("bench", name, "succeeded", 0))
    build = board.builds["bench"]
    build.order_edges.clear()
    for number in range(1, count):
        source = names[chance.randrange(max(0, number - 40), number)]
        build.add_data_edge(source, names[number])
    return build


class GraphApp(App[None]):
    def __init__(self, build: BuildView) -> None:
        super().__init__()
        self.build = build

    def compose(self) -> ComposeResult:
        yield JobGraph()

    def on_mount(self) -> None:
        graph = self.query_one(JobGraph)
        graph.show(self.build)
        graph.focus()


def layout_ms(build: BuildView) -> float:
    edges = list(build.edges)
    start = time.perf_counter()
    lay_out(list(build.jobs), edges)
    return (time.perf_counter() - start) * 1000


async def key_latencies(build: BuildView) -> list[float]:
    app = GraphApp(build)
    latencies = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for number in range(PRESSES):
            start = time.perf_counter()
            await pilot.press("right" if number % 4 else "down")
            await pilot.pause()
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def main() -> None:
    rows = []
    for count in (20, 500):
        build = random_build(count)
        layout = min(layout_ms(build) for _ in range(3))
        keys = sorted(asyncio.run(key_latencies(build)))
        p50 = statistics.median(keys)
        p99 = keys[min(len(keys) - 1, int(len(keys) * 0.99))]
        rows.append((count, layout, p50, p99))
    verdict = "met" if rows[-1][3] <= GOAL_MS else "NOT met"
    lines = [
        machine_line(),
        "",
        "| jobs | layout | key to update p50 | p99 |",
        "|---|---|---|---|",
    ]
    lines += [f"| {c} | {lay:.1f} ms | {p50:.1f} ms | {p99:.1f} ms |" for c, lay, p50, p99 in rows]
    lines += [
        "",
        f"Random layered DAG, one data edge per job; {PRESSES} arrow-key presses in a headless "
        f"app at 80x24; 20 jobs is the baseline. Goal: key to update within {GOAL_MS:g} ms at "
        f"500 jobs: {verdict}. Script: bench/graph_500.py.",
    ]
    body = "\n".join(lines) + "\n"
    record_section("Job graph: 500 jobs", body)
    print(body)


if __name__ == "__main__":
    main()
