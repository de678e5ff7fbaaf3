"""Running one job alone with data from another build: the engine side of the pipe pane."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from brigtui.engine.errors import JobSpecError, UsageError
from brigtui.engine.model import BuildStatus
from brigtui.share.handover import (
    Source,
    find_job_spec,
    recorded_source,
    start_filter,
    start_job_alone,
    write_source_file,
)
from tests.support import run, write_script

RHINOS = "black rhino\ngreater one-horned rhino\njavan rhino\nsumatran rhino\nwhite rhino"


async def finish(runner):
    assert runner.task is not None
    return await runner.task


async def test_same_matches_by_env_stdin_and_share(engine: Engine, pipelines: Path) -> None:
    first = await run(engine, pipelines / "pass_output.py")
    source = recorded_source(engine, first.build_id, "one")
    assert source.size == (pipelines / "animals.txt").stat().st_size

    # By env: job `two` of pass_output.py reads $DATA.
    two = await find_job_spec(engine, pipelines / "pass_output.py", "two")
    by_env = await finish(start_job_alone(engine, pipelines / "pass_output.py", two, source, "env", "DATA"))
    assert by_env.status == BuildStatus.SUCCEEDED
    assert engine.result_of(by_env.build_id, "two").text == RHINOS

    # By stdin: a job that greps its standard input.
    write_script(pipelines, "grepper.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("grep", "img", ["grep rhino"]).run()
    ''')
    grep = await find_job_spec(engine, pipelines / "grepper.py", "grep")
    by_stdin = await finish(start_job_alone(engine, pipelines / "grepper.py", grep, source, "stdin"))
    assert engine.result_of(by_stdin.build_id, "grep").text == RHINOS

    # By a file in the share: job `two` of shared_storage.py reads the share's animals.txt.
    reader = await find_job_spec(engine, pipelines / "shared_storage.py", "two")
    by_share = await finish(
        start_job_alone(engine, pipelines / "shared_storage.py", reader, source, "share", "animals.txt")
    )
    assert by_share.status == BuildStatus.SUCCEEDED, by_share.error
    assert engine.result_of(by_share.build_id, "two").text == RHINOS

    # Each build records where its input came from.
    record = engine.store.get_build(by_env.build_id)
    assert record is not None
    assert [(h.source_build, h.source_job, h.target_job, h.how) for h in record.handovers] == [
        (first.build_id, "one", "two", "env")
    ]
    assert record.trigger == f"pipe pane: build {first.build_id} job one into two by env DATA"


async def test_filter_then_target(engine: Engine, pipelines: Path) -> None:
    first = await run(engine, pipelines / "pass_output.py")
    source = recorded_source(engine, first.build_id, "one")
    filtered = await finish(start_filter(engine, pipelines / "pass_output.py", source, "grep white", "alpine"))
    result = engine.result_of(filtered.build_id, "filter")
    assert result.text == "white rhino"
    two = await find_job_spec(engine, pipelines / "pass_output.py", "two")
    target = await finish(start_job_alone(
        engine, pipelines / "pass_output.py", two, Source(result=result, label="filter"), "env", "DATA"
    ))
    assert engine.result_of(target.build_id, "two").text == "white rhino"


async def test_env_too_large_refused_before_running(engine: Engine, pipelines: Path) -> None:
    big = write_source_file(b"x" * 300_000)
    two = await find_job_spec(engine, pipelines / "pass_output.py", "two")
    before = len(engine.store.list_builds())
    with pytest.raises(JobSpecError, match="too large for an environment variable"):
        start_job_alone(engine, pipelines / "pass_output.py", two, Source(file=big, label="big"), "env", "DATA")
    assert len(engine.store.list_builds()) == before
    big.unlink()


async def test_unknown_job_lists_jobs(engine: Engine, pipelines: Path) -> None:
    with pytest.raises(UsageError, match=r"runs no job 'three'.*its jobs: one, two"):
        await find_job_spec(engine, pipelines / "pass_output.py", "three")


async def test_local_file_source_by_stdin_and_filter(engine: Engine, pipelines: Path) -> None:
    data = write_source_file((pipelines / "animals.txt").read_bytes())
    source = Source(file=data, label="share of build x: animals.txt")
    filtered = await finish(start_filter(engine, pipelines / "pass_output.py", source, "grep -c rhino", "alpine"))
    assert engine.result_of(filtered.build_id, "filter").text == "5"
    two = await find_job_spec(engine, pipelines / "pass_output.py", "two")
    by_env = await finish(start_job_alone(engine, pipelines / "pass_output.py", two, source, "env", "DATA"))
    assert engine.result_of(by_env.build_id, "two").text == RHINOS
    data.unlink()
