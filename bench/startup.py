"""Cold start of `brigtui DIR` to its first frame, and `brigtui --help`, against Python itself.

First frame: the installed `brigtui` runs in a tmux pane at 80x24 on a copy of the example
pipelines. The time runs from starting the pane to the first capture that shows the script
list and the status line; captures come every 10 ms, so the time is up to 10 ms late. Baseline: the same
pane running `python -c` that prints one line, measured the same way in the same run.
`--help`: wall time of the `brigtui --help` process against `python -c pass`.

Goals: first frame <= 1 s; `brigtui --help` <= 0.3 s.

Usage: .venv/bin/python bench/startup.py [--rounds 10] [--record]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import machine_line, record_section

REPO = Path(__file__).resolve().parent.parent
BRIGTUI = Path(sys.executable).parent / "brigtui"


def time_pane(command: str, marks: tuple[str, ...]) -> float:
    """Seconds from starting a tmux pane running `command` until every mark is on screen."""
    name = f"brigtui-bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24",
                    f"env TERM=xterm-256color {command}; sleep 30"], check=True)
    try:
        while True:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                                    capture_output=True, text=True).stdout
            if all(mark in screen for mark in marks):
                return time.perf_counter() - start
            if time.perf_counter() - start > 30:
                raise RuntimeError(f"{marks} did not show in 30 s:\n{screen}")
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def time_process(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(rounds: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"frame": [], "frame_base": [], "help": [], "help_base": []}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "pipelines"
        shutil.copytree(REPO / "pipelines", folder)
        python = sys.executable
        for _ in range(rounds):
            results["frame_base"].append(
                time_pane(f"{python} -c \"print('ready')\"", ("ready",)))
            results["frame"].append(
                time_pane(f"{BRIGTUI} {folder}", ("pass_output.py", "exec local")))
            results["help_base"].append(time_process([python, "-c", "pass"]))
            results["help"].append(time_process([str(BRIGTUI), "--help"]))
    return results


def report(results: dict[str, list[float]]) -> str:
    def row(label: str, key: str) -> str:
        values = results[key]
        return (f"| {label} | {statistics.median(values) * 1000:.0f} ms | "
                f"{max(values) * 1000:.0f} ms |")

    frame = statistics.median(results["frame"])
    helped = statistics.median(results["help"])
    frame_ratio = frame / statistics.median(results["frame_base"])
    help_ratio = helped / statistics.median(results["help_base"])
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return "\n".join([
        machine_line(),
        f"Load average when the run ended: {load} (other work shares the machine).",
        "",
        "| measure | median | slowest |",
        "|---|---|---|",
        row("tmux pane running `python -c print` (baseline)", "frame_base"),
        row("`brigtui DIR` to first frame with the script list", "frame"),
        row("`python -c pass` (baseline)", "help_base"),
        row("`brigtui --help`", "help"),
        "",
        f"{len(results['frame'])} rounds, alternating. First frame is {frame_ratio:.1f} x "
        f"the baseline pane; `--help` is {help_ratio:.1f} x bare Python start-up.",
        f"Goals: first frame <= 1 s: {'met' if frame <= 1 else 'NOT met'}; "
        f"`brigtui --help` <= 0.3 s: {'met' if helped <= 0.3 else 'NOT met'}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--record", action="store_true", help="write to bench/RESULTS.md")
    args = parser.parse_args()
    text = report(measure(args.rounds))
    print(text)
    if args.record:
        record_section("TUI: start-up", text)


if __name__ == "__main__":
    main()
