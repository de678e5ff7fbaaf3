"""pipe(), standard input hand-overs and large data between jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from brigtui.engine.executors.local import LocalExecutor
from brigtui.engine.messages import BuildPrinted
from brigtui.engine.model import BuildStatus
from tests.support import Recorder, run, run_measured, write_script

RELAYS = ["splice", "queue"]


@pytest.fixture(params=RELAYS)
def relay(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "queue":
        monkeypatch.setattr(LocalExecutor, "accepts_fds", False)
    return str(request.param)


def printed(recorder: Recorder) -> list[str]:
    return [m.text for m in recorder.of(BuildPrinted)]


async def test_pipe_like_shell(engine: Engine, pipelines: Path, recorder: Recorder, relay: str) -> None:
    script = write_script(pipelines, "piped.py", '''
        from brigtui import pipe

        @events.on("exec")
        async def handler(event, project):
            one = Job("one", "img", ["cat animals.txt"])
            two = Job("two", "img", ["grep rhino"])
            three = Job("three", "img", ["wc -l"])
            results = await pipe(one, two, three)
            print([r.job for r in results], results[-1].text.strip())
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert printed(recorder) == ["['one', 'two', 'three'] 5"]
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    sizes = {(h.source_job, h.target_job, h.how): h.bytes for h in build.handovers}
    animals = (pipelines / "animals.txt").stat().st_size
    assert sizes[("one", "two", "pipe")] == animals
    assert sizes[("two", "three", "pipe")] == len(
        "".join(line for line in (pipelines / "animals.txt").read_text().splitlines(True) if "rhino" in line)
    )


async def test_pipe_failure_names_job(engine: Engine, pipelines: Path, relay: str) -> None:
    script = write_script(pipelines, "pipefail.py", '''
        from brigtui import pipe

        @events.on("exec")
        async def handler(event, project):
            await pipe(Job("source", "img", ["cat animals.txt"]),
                       Job("broken", "img", ["cat > /dev/null; exit 7"]),
                       Job("sink", "img", ["wc -c"]))
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert "pipe failed: job 'broken' failed with exit code 7" in (outcome.error or "")


async def test_pipe_reader_stops_early(engine: Engine, pipelines: Path, recorder: Recorder, relay: str) -> None:
    script = write_script(pipelines, "early.py", '''
        from brigtui import JobFailed, pipe

        @events.on("exec")
        async def handler(event, project):
            try:
                await pipe(Job("endless", "img", ["yes rhino"]), Job("first", "img", ["head -1"]))
            except JobFailed as error:
                print("failed:", error.job, "141" in str(error))
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == ["failed: endless True"]


async def test_pipe_with_unstartable_job(engine: Engine, pipelines: Path, relay: str) -> None:
    script = write_script(pipelines, "nostart.py", '''
        from brigtui import pipe

        @events.on("exec")
        async def handler(event, project):
            await pipe(Job("one", "img", ["cat animals.txt"]),
                       Job("two", "img", ["cat"], env={"BAD": "x" * 200_000}),
                       Job("three", "img", ["wc -c"]))
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert "job 'two'" in (outcome.error or "")


async def test_same_matches_by_env_stdin_pipe_share(
    engine: Engine, pipelines: Path, recorder: Recorder
) -> None:
    script = write_script(pipelines, "four.py", '''
        from pathlib import Path
        from brigtui import pipe

        @events.on("exec")
        async def handler(event, project):
            data = await Job("one", "img", ["cat animals.txt"]).run()
            by_env = await Job("env", "img", ['grep rhino <<< "$DATA"'], env={"DATA": data}).run()
            by_stdin = await Job("stdin", "img", ["grep rhino"], stdin=data).run()
            piped = await pipe(Job("cat", "img", ["cat animals.txt"]), Job("grep", "img", ["grep rhino"]))
            await Job("put", "img", ["cp animals.txt /mnt/brigade/share/a"], storage=True).run()
            by_share = await Job("share", "img", ["grep rhino"], storage=True,
                                 stdin=Path("/mnt/brigade/share/a")).run()
            print(len({by_env.text, by_stdin.text, piped[-1].text, by_share.text}), by_env.text.count("\\n") + 1)
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert printed(recorder) == ["1 5"]


def test_gigabyte_through_pipe_bounded_memory(pipelines: Path) -> None:
    write_script(pipelines, "bigpipe.py", '''
        from brigtui import pipe

        @events.on("exec")
        async def handler(event, project):
            results = await pipe(Job("make", "img", ["head -c 1073741824 /dev/zero"]),
                                 Job("pass", "img", ["cat"]),
                                 Job("count", "img", ["wc -c"]))
            print(results[-1].text.strip())
    ''')
    completed, peak_kib = run_measured("run", str(pipelines / "bigpipe.py"))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(1024**3)
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib} KiB"


async def test_result_plain_strips_ansi(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "ansi.py", r'''
        @events.on("exec")
        async def handler(event, project):
            result = await Job("colour", "img", [r"printf '\033[1;31mred\033[0m \033]0;title\007plain\n'"]).run()
            print(repr(result.plain), "\x1b[" in result.text)
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == ["'red plain' True"]
    log = next((engine.state_dir / "builds" / outcome.build_id / "jobs").glob("colour.log"))
    assert b"\x1b[1;31m" in log.read_bytes()
