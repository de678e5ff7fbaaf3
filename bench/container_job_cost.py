"""Per-job cost of the container executor against a bare `podman run --rm IMAGE true`.

Both are measured in the same run, in alternating rounds so that drift of the machine hits
both alike. Each round runs the baseline command `--jobs` times, then one build whose event
script runs `--jobs` jobs one after another, each with the single task `true`. The per-job
cost is the build's wall time divided by its jobs, so it includes the engine's share of the
build (loading the script, recording, the end of the build). The median of the jobs' own
recorded durations is printed too.

Usage: .venv/bin/python bench/container_job_cost.py [--rounds 5] [--jobs 10] [--record]
`--record` appends the result to bench/RESULTS.md. The image is built offline by
scripts/build-test-image.sh first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from brigtui.container.runtime import Runtime, detect_runtime  # noqa: E402
from brigtui.engine.engine import BuildRequest, Engine  # noqa: E402
from brigtui.engine.ids import parse_iso  # noqa: E402

IMAGE = "localhost/brigtui-test:latest"
TEST_CONF = REPO / "tests" / "container" / "containers.conf"
GOAL = 1.1


def prepare(runtime: Runtime) -> str:
    """Build the image and pick a containers.conf; return a note on the configuration."""
    subprocess.run(
        [str(REPO / "scripts" / "build-test-image.sh"), IMAGE, runtime.name],
        check=True, capture_output=True,
    )  # fmt: skip
    if runtime.name != "podman" or "CONTAINERS_CONF" in os.environ:
        return os.environ.get("CONTAINERS_CONF", "default configuration")
    probe = subprocess.run(
        [runtime.path, "run", "--rm", IMAGE, "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        os.environ["CONTAINERS_CONF"] = str(TEST_CONF)
        return f"CONTAINERS_CONF={TEST_CONF.relative_to(REPO)} (the defaults fail here)"
    return "default configuration"


def baseline_round(runtime: Runtime, jobs: int) -> float:
    """Seconds per `run --rm IMAGE true`, averaged over `jobs` runs."""
    started = time.perf_counter()
    for _ in range(jobs):
        subprocess.run([runtime.path, "run", "--rm", IMAGE, "true"], check=True)
    return (time.perf_counter() - started) / jobs


async def brigtui_round(folder: Path, script: Path) -> tuple[float, list[float]]:
    """Seconds per job of one build, and each job's recorded duration."""
    engine = Engine(folder, executor="container")
    try:
        started = time.perf_counter()
        outcome = await engine.run_build(BuildRequest(script))
        elapsed = time.perf_counter() - started
        if outcome.error:
            raise SystemExit(f"the benchmark build failed: {outcome.error}")
        build = engine.store.get_build(outcome.build_id)
        assert build is not None
        durations = []
        for job in build.jobs:
            start, end = parse_iso(job.started_at), parse_iso(job.finished_at)
            assert start is not None and end is not None
            durations.append((end - start).total_seconds())
        return elapsed / len(build.jobs), durations
    finally:
        engine.close()


def write_script(folder: Path, jobs: int) -> Path:
    script = folder / "cost.py"
    script.write_text(
        "from brigtui import Job, events\n\n"
        "@events.on('exec')\n"
        "async def run(event, project):\n"
        f"    for index in range({jobs}):\n"
        f"        await Job(f'job-{{index}}', {IMAGE!r}, ['true']).run()\n"
    )
    return script


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--jobs", type=int, default=10, help="jobs per round (default 10)")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    runtime = detect_runtime("auto")
    conf = prepare(runtime)
    version = subprocess.run(
        [runtime.path, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()

    # Alternate baseline and brigtui rounds, after one warm-up of each.
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "pipelines"
        folder.mkdir()
        script = write_script(folder, args.jobs)
        baseline_round(runtime, 2)
        asyncio.run(brigtui_round(folder, script))
        baseline: list[float] = []
        per_job: list[float] = []
        recorded: list[float] = []
        for _ in range(args.rounds):
            baseline.append(baseline_round(runtime, args.jobs))
            cost, durations = asyncio.run(brigtui_round(folder, script))
            per_job.append(cost)
            recorded.extend(durations)
        shutil.rmtree(folder, ignore_errors=True)

    # Report medians and the ratio against the goal.
    base = statistics.median(baseline)
    job = statistics.median(per_job)
    job_recorded = statistics.median(recorded)
    ratio = job / base
    lines = [
        f"- machine: {machine()}; {version}; {conf}",
        f"- {args.rounds} rounds of {args.jobs} jobs, alternating with {args.jobs} runs of "
        f"`{runtime.name} run --rm {IMAGE} true`",
        f"- baseline `{runtime.name} run --rm IMAGE true`: {base * 1000:.0f} ms (median of "
        "round means)",
        f"- brigtui container job (build wall time / jobs): {job * 1000:.0f} ms; a job's "
        f"recorded duration: {job_recorded * 1000:.0f} ms (median)",
        f"- ratio: {ratio:.2f} × the baseline (goal at most {GOAL} ×): "
        f"{'met' if ratio <= GOAL else 'not met'}",
    ]
    print("\n".join(lines))
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = f"\n## Container executor: per-job cost ({stamp})\n\n" + "\n".join(lines) + "\n"
        results = REPO / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n")
        with results.open("a", encoding="utf-8") as handle:
            handle.write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
