"""The local executor: sandbox mounts, share isolation, timeouts, cancel, environment limits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from brigtui.config import Settings
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.executors.local import BUILD_TAG
from brigtui.engine.executors.process import find_tagged_processes
from brigtui.engine.executors.sandbox import detect_sandbox
from brigtui.engine.messages import BuildNoted, BuildPrinted, JobStateChanged
from brigtui.engine.model import BuildStatus
from tests.support import Recorder, run, write_script

SANDBOXES = ["bubblewrap", "unshare", "none"]


def engine_with(pipelines: Path, sandbox: str) -> Engine:
    settings = Settings()
    settings.local.sandbox = sandbox  # type: ignore[assignment]
    kind = detect_sandbox(sandbox).kind
    if kind != sandbox:
        pytest.fail(f"sandbox {sandbox} does not work here: {detect_sandbox(sandbox).reason}")
    return Engine(pipelines, settings=settings)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("sandbox", ["bubblewrap", "unshare"])
async def test_source_and_share_mounted(pipelines: Path, sandbox: str) -> None:
    engine = engine_with(pipelines, sandbox)
    recorder = Recorder()
    engine.subscribe(recorder)
    host_mnt = sorted(os.listdir("/mnt")) if os.path.isdir("/mnt") else []
    script = write_script(pipelines, "mounts.py", '''
        @events.on("exec")
        async def handler(event, project):
            plain = await Job("plain", "img", ["pwd", "test -f animals.txt && echo src-ok",
                                                 "test -d /mnt/brigade/share || echo no-share"]).run()
            print(plain)
            shared = await Job("shared", "img", ["echo hi > /mnt/brigade/share/f",
                                                  "cat $BRIGADE_SHARE_DIR/f"], storage=True).run()
            print(shared)
    ''')
    outcome = await run(engine, script)
    engine.close()
    assert outcome.status == BuildStatus.SUCCEEDED
    assert [m.text for m in recorder.of(BuildPrinted)] == ["/src", "src-ok", "no-share", "hi"]
    assert (sorted(os.listdir("/mnt")) if os.path.isdir("/mnt") else []) == host_mnt
    assert not Path("/src").exists()


async def test_no_sandbox_uses_share_dir_variable(pipelines: Path) -> None:
    engine = engine_with(pipelines, "none")
    recorder = Recorder()
    engine.subscribe(recorder)
    script = write_script(pipelines, "nons.py", '''
        @events.on("exec")
        async def handler(event, project):
            for name in ("a", "b"):
                await Job(name, "img", ['echo x >> "$BRIGADE_SHARE_DIR/log"',
                                        'wc -l < "$BRIGADE_SHARE_DIR/log"'], storage=True).run()
    ''')
    outcome = await run(engine, script)
    engine.close()
    assert outcome.status == BuildStatus.SUCCEEDED
    warnings = [m.text for m in recorder.of(BuildNoted) if "could not be mounted" in m.text]
    assert len(warnings) == 1
    image_notes = [m.text for m in recorder.of(BuildNoted) if "ignores job images" in m.text]
    assert len(image_notes) == 1


async def test_concurrent_builds_have_own_share(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "iso.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("write", "img", ["echo $BRIGADE_BUILD_ID > /mnt/brigade/share/id",
                                       "sleep 0.5"], storage=True).run()
            seen = await Job("read", "img", ["ls /mnt/brigade/share", "cat /mnt/brigade/share/id"],
                             storage=True).run()
            assert seen.text == "id\\n" + event.build_id, seen.text
    ''')
    outcomes = await asyncio.gather(*(run(engine, script) for _ in range(4)))
    assert [o.status for o in outcomes] == [BuildStatus.SUCCEEDED] * 4
    assert len({o.build_id for o in outcomes}) == 4


@pytest.mark.parametrize("sandbox", SANDBOXES)
async def test_timeout_kills_whole_job(pipelines: Path, sandbox: str) -> None:
    engine = engine_with(pipelines, sandbox)
    pids = pipelines / "pids"
    script = write_script(pipelines, "slow.py", f'''
        @events.on("exec")
        async def handler(event, project):
            job = Job("slow", "img", [
                "sleep 300 & echo $! >> {pids}",
                "setsid sleep 300 & echo $! >> {pids}",
                "sh -c 'sleep 300' & echo $! >> {pids}",
                "sleep 300",
            ])
            job.timeout = 1
            await job.run()
    ''')
    outcome = await run(engine, script)
    engine.close()
    assert outcome.status == BuildStatus.FAILED
    assert "timed out after 1 s" in (outcome.error or "")
    assert find_tagged_processes(BUILD_TAG, outcome.build_id) == []
    recorded = [int(line) for line in pids.read_text().split()]
    assert len(recorded) == 3
    # Inside a pid namespace these are namespace pids; outside they are host pids.
    if sandbox == "none":
        assert [pid for pid in recorded if pid_alive(pid)] == []


@pytest.mark.parametrize("sandbox", SANDBOXES)
async def test_cancel_stops_jobs_and_keeps_share(pipelines: Path, sandbox: str) -> None:
    engine = engine_with(pipelines, sandbox)
    recorder = Recorder()
    engine.subscribe(recorder)
    script = write_script(pipelines, "cancel.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("forever", "img", ["touch $BRIGADE_SHARE_DIR/started", "sleep 300"],
                      storage=True).run()
    ''')
    runner = engine.start_build(BuildRequest(script))
    started = engine.state_dir / "shares" / runner.id / "started"
    for _ in range(1500):
        if started.exists():
            break
        await asyncio.sleep(0.02)
    assert any(m.status == "running" for m in recorder.of(JobStateChanged))
    engine.cancel_build(runner.id)
    assert runner.task is not None
    outcome = await runner.task
    assert outcome.status == BuildStatus.CANCELLED
    assert find_tagged_processes(BUILD_TAG, runner.id) == []
    build = engine.store.get_build(runner.id)
    engine.close()
    assert build is not None
    assert build.status == "cancelled"
    assert build.jobs[0].status == "cancelled"
    assert build.share_state == "kept"
    assert build.share_expires_at is not None
    assert (engine.state_dir / "shares" / runner.id / "started").exists()


async def test_env_value_too_large(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "bigenv.py", '''
        @events.on("exec")
        async def handler(event, project):
            big = await Job("big", "img", ["head -c 200000 /dev/zero | tr '\\\\0' x"]).run()
            await Job("two", "img", ["true"], env={"DATA": big}).run()
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    message = outcome.error or ""
    assert "job 'two'" in message
    assert "DATA is 195.3 KiB" in message
    assert "128.0 KiB" in message
    assert "stdin" in message
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert build.jobs[1].status == "failed"
    assert build.jobs[1].started_at is None
    # The job detail still shows what the job asked for, shortened.
    assert build.jobs[1].spec["tasks"] == ["true"]
    assert build.jobs[1].spec["env"]["DATA"].endswith("(200000 characters)")


async def test_env_total_too_large(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "bigtotal.py", '''
        import os
        @events.on("exec")
        async def handler(event, project):
            count = os.sysconf("SC_ARG_MAX") // 100_000 + 2
            env = {f"V{i}": "y" * 100_000 for i in range(count)}
            await Job("many", "img", ["true"], env=env).run()
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert "job 'many': its environment takes" in (outcome.error or "")
    assert "shared storage" in (outcome.error or "")


async def test_stdin_from_result_and_bytes(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "stdin.py", '''
        @events.on("exec")
        async def handler(event, project):
            data = await Job("one", "img", ["cat animals.txt"]).run()
            two = Job("two", "img", ["grep -c rhino"])
            two.stdin = data
            print(await two.run())
            print(await Job("three", "img", ["wc -c"], stdin=b"12345").run())
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert [m.text for m in recorder.of(BuildPrinted)] == ["5", "5"]
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert [(h.source_job, h.target_job, h.how) for h in build.handovers] == [("one", "two", "stdin")]


async def test_here_string_works_with_default_shell(engine: Engine, pipelines: Path) -> None:
    outcome = await run(engine, pipelines / "pass_output.py")
    assert outcome.status == BuildStatus.SUCCEEDED
