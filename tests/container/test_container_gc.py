"""Removing labelled containers: `gc_containers` for `brigtui gc`, and the end-of-build sweep."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from brigtui.config import Settings
from brigtui.container.gc import gc_containers, remove_args, remove_build_containers
from brigtui.container.runtime import Runtime
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.executors.base import LABEL_BUILD, LABEL_JOB, LABEL_MANAGED_BY, MANAGED_BY
from brigtui.engine.model import BuildStatus
from tests.container.support import TEST_IMAGE, client, containers_of
from tests.container.test_container_executor import wait_for_running_container
from tests.support import write_script

pytestmark = pytest.mark.container

ENDED_BUILD = "20000101-000000-dead"
LIVE_BUILD = "20000101-000000-beef"


@pytest.fixture
def made_containers(runtime: Runtime) -> Iterator[dict[str, str]]:
    """Containers made by hand: a running and a created one of an ended build, one of a live
    build, and one with brigtui's managed-by label but no build label."""
    made: dict[str, str] = {}

    def make(key: str, labels: dict[str, str], start: bool) -> None:
        args = ["run", "--detach"] if start else ["create"]
        args += ["--network", "none", "--name", f"brigtui-gc-test-{key}"]
        for name, value in labels.items():
            args += ["--label", f"{name}={value}"]
        made[key] = client(runtime, *args, TEST_IMAGE, "sleep", "300").stdout.strip()

    managed = {LABEL_MANAGED_BY: MANAGED_BY}
    make("ended-running", {**managed, LABEL_BUILD: ENDED_BUILD, LABEL_JOB: "one"}, True)
    make("ended-created", {**managed, LABEL_BUILD: ENDED_BUILD, LABEL_JOB: "two"}, False)
    make("live", {**managed, LABEL_BUILD: LIVE_BUILD, LABEL_JOB: "one"}, True)
    make("unbuilt", managed, False)
    yield made
    client(runtime, *remove_args(runtime, list(made.values())), check=False)


def existing(runtime: Runtime, ids: dict[str, str]) -> set[str]:
    listed = client(runtime, "ps", "--all", "--quiet", "--no-trunc").stdout.split()
    return {key for key, container in ids.items() if container in listed}


def test_gc_removes_ended_builds_only(runtime: Runtime, made_containers: dict[str, str]) -> None:
    removed = gc_containers(runtime, lambda build: build == LIVE_BUILD)
    assert existing(runtime, made_containers) == {"live", "unbuilt"}
    assert len(removed) == 2
    assert all(ENDED_BUILD in line for line in removed)
    assert any("job one" in line for line in removed)
    assert any("job two" in line for line in removed)


def test_gc_accepts_settings_and_preference(
    runtime: Runtime, made_containers: dict[str, str]
) -> None:
    settings = Settings()
    settings.container.runtime = runtime.name
    assert gc_containers(runtime.name, lambda build: True) == []
    assert gc_containers(settings, lambda build: True) == []
    assert existing(runtime, made_containers) == set(made_containers)
    assert len(gc_containers(settings, lambda build: False)) == 3


async def test_end_of_build_sweep_removes_build_containers(
    runtime: Runtime, made_containers: dict[str, str]
) -> None:
    count = await remove_build_containers(runtime, ENDED_BUILD)
    assert count == 2
    assert existing(runtime, made_containers) == {"live", "unbuilt"}
    assert await remove_build_containers(runtime, ENDED_BUILD) == 0


async def test_gc_stops_job_of_dead_build(runtime: Runtime, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "orphan.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("orphan", "alpine:3.19", ["sleep 300"]).run()
    """)
    engine = Engine(container_pipelines, executor="container")
    try:
        runner = engine.start_build(BuildRequest(script))
        await wait_for_running_container(runtime, runner.id)

        # While the build runs, gc keeps its container; once it counts as dead, gc removes it.
        kept = await asyncio.to_thread(gc_containers, runtime, lambda build: build == runner.id)
        assert all(runner.id not in line for line in kept)
        assert containers_of(runtime, runner.id) != []
        removed = await asyncio.to_thread(gc_containers, runtime, lambda build: False)
        assert [line for line in removed if runner.id in line] != []

        assert runner.task is not None
        outcome = await runner.task
        assert outcome.status == BuildStatus.FAILED
        assert containers_of(runtime, runner.id) == []
    finally:
        engine.close()
