"""The container executor with real containers: examples, shares, cancel, timeout, failures."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brigtui.container.runtime import Runtime
from brigtui.engine.build import BuildOutcome
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.messages import BuildPrinted
from brigtui.engine.model import BuildStatus
from tests.container.support import TEST_IMAGE, client, containers_of
from tests.support import Recorder, write_script

pytestmark = pytest.mark.container

WAIT_STEP = 0.2
WAIT_STEPS = 300


@pytest.fixture
def make_engine(container_pipelines: Path) -> Iterator[Any]:
    engines: list[Engine] = []

    def make(**overrides: Any) -> Engine:
        engine = Engine(container_pipelines, executor="container", overrides=overrides)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


async def run_script(engine: Engine, script: Path) -> tuple[BuildOutcome, list[str]]:
    recorder = Recorder()
    unsubscribe = engine.subscribe(recorder)
    try:
        outcome = await engine.run_build(BuildRequest(script))
    finally:
        unsubscribe()
    return outcome, [message.text for message in recorder.of(BuildPrinted)]


def job_record(engine: Engine, build_id: str, name: str) -> Any:
    record = engine.store.get_job(build_id, name)
    assert record is not None, f"job {name} of build {build_id} was not recorded"
    return record


async def wait_for_running_container(runtime: Runtime, build_id: str) -> list[str]:
    """Poll until the build has a running container (bounded; not a timing assertion)."""
    for _ in range(WAIT_STEPS):
        running = await asyncio.to_thread(containers_of, runtime, build_id, True)
        if running:
            return running
        await asyncio.sleep(WAIT_STEP)
    raise AssertionError(f"build {build_id} never had a running container")


# The example pipelines


@pytest.mark.parametrize(
    "script", ["pass_output.py", "shared_storage.py", "herestring_env.py", "herestring_share.py"]
)
async def test_example_finds_rhinos(
    make_engine: Any, container_pipelines: Path, runtime: Runtime, script: str
) -> None:
    engine = make_engine()
    outcome, printed = await run_script(engine, container_pipelines / script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    rhinos = [line for line in (container_pipelines / "animals.txt").read_text().splitlines()
              if "rhino" in line]
    assert printed == rhinos
    two = job_record(engine, outcome.build_id, "two")
    assert Path(two.output_path).read_text() == "\n".join(rhinos) + "\n"
    assert not (engine.state_dir / "shares" / outcome.build_id).exists()
    assert containers_of(runtime, outcome.build_id) == []


async def test_groups_example(make_engine: Any, container_pipelines: Path) -> None:
    engine = make_engine()
    outcome, printed = await run_script(engine, container_pipelines / "groups.py")
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    animals = (container_pipelines / "animals.txt").read_text().splitlines()
    species = ("rhino", "bear", "fox")
    counts = [f"{name}: {sum(name in line for line in animals)}" for name in species]
    assert printed[:3] == counts
    assert printed[3:6] == sorted(animals, reverse=True)[:3]
    assert printed[6:] == [f"build {outcome.build_id} finished: succeeded"]


async def test_job_sees_source_and_brigade_env(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "where.py", """
        @events.on("exec")
        async def run(event, project):
            job = Job("where", "alpine:3.19", ['echo "$PWD $BRIGADE_JOB $BRIGADE_SHARE_DIR"',
                                              "test -f animals.txt"], storage=True)
            print(await job.run())
    """)
    outcome, printed = await run_script(make_engine(), script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert printed == ["/src where /mnt/brigade/share"]


async def test_stdin_reaches_job(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "stdin.py", """
        @events.on("exec")
        async def run(event, project):
            one = Job("one", "alpine:3.19", ["cat animals.txt"])
            two = Job("two", "alpine:3.19", ["grep -c rhino"])
            two.stdin = await one.run()
            print(await two.run())
    """)
    outcome, printed = await run_script(make_engine(), script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    animals = (container_pipelines / "animals.txt").read_text()
    assert printed == [str(animals.count("rhino"))]


# Shares


async def test_concurrent_builds_have_isolated_shares(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    # Each job marks its share, then waits for a file in /src, so both run at the same time.
    script = write_script(container_pipelines, "isolated.py", """
        @events.on("exec")
        async def run(event, project):
            job = Job("mark", "alpine:3.19", [
                'echo "$BRIGADE_BUILD_ID" > /mnt/brigade/share/mark',
                "while [ ! -f release ]; do sleep 0.1; done",
                "ls /mnt/brigade/share",
                "cat /mnt/brigade/share/mark",
            ], storage=True)
            print((await job.run()).text.replace("\\n", " ").strip())
    """)
    engine = make_engine()
    runners = []
    for _ in range(2):
        runner = engine.start_build(BuildRequest(script))
        await wait_for_running_container(runtime, runner.id)
        runners.append(runner)
    assert all(containers_of(runtime, runner.id, True) for runner in runners)

    (container_pipelines / "release").touch()
    for runner in runners:
        assert runner.task is not None
        outcome = await runner.task
        assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
        output = job_record(engine, runner.id, "mark").output_path
        assert Path(output).read_text() == f"mark\n{runner.id}\n"
    assert runners[0].id != runners[1].id


async def test_share_removed_with_other_users_files(
    make_engine: Any, container_pipelines: Path
) -> None:
    # As rootless podman, files of container user 1000 belong to a subordinate host id.
    script = write_script(container_pipelines, "owners.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("owners", "alpine:3.19", [
                "mkdir -p /mnt/brigade/share/deep/er",
                "echo data > /mnt/brigade/share/deep/er/file",
                "chown -R 1000:1000 /mnt/brigade/share/deep",
                "chmod -R go-w /mnt/brigade/share/deep",
            ], storage=True).run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert not (engine.state_dir / "shares" / outcome.build_id).exists()


# Cancel, timeout and failures


async def test_cancel_removes_container(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    script = write_script(container_pipelines, "long.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("long", "alpine:3.19", ["sleep 300"]).run()
    """)
    engine = make_engine()
    runner = engine.start_build(BuildRequest(script))
    running = await wait_for_running_container(runtime, runner.id)
    assert len(running) == 1

    engine.cancel_build(runner.id)
    assert runner.task is not None
    outcome = await runner.task
    assert outcome.status == BuildStatus.CANCELLED
    assert containers_of(runtime, runner.id) == []
    assert job_record(engine, runner.id, "long").status == "cancelled"


async def test_cancel_during_start_leaves_nothing(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    # The delays land before, during and after the client creates the container; whichever
    # step the cancel interrupts, no container may remain.
    script = write_script(container_pipelines, "early.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("early", "alpine:3.19", ["sleep 300"]).run()
    """)
    engine = make_engine()
    for delay in (0.0, 0.1, 0.2, 0.3, 0.5):
        runner = engine.start_build(BuildRequest(script))
        await asyncio.sleep(delay)
        engine.cancel_build(runner.id)
        assert runner.task is not None
        outcome = await runner.task
        assert outcome.status == BuildStatus.CANCELLED
        assert containers_of(runtime, runner.id) == [], f"container left after {delay} s"


async def test_timeout_removes_container(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    script = write_script(container_pipelines, "slow.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("slow", "alpine:3.19", ["sleep 300"], timeout=3).run()
    """)
    outcome, _ = await run_script(make_engine(), script)
    assert outcome.status == BuildStatus.FAILED
    assert "timed out after 3 s" in (outcome.error or "")
    assert containers_of(runtime, outcome.build_id) == []


async def test_missing_image_fails_with_reason(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    script = write_script(container_pipelines, "missing.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("gone", "localhost/brigtui-missing:latest", ["true"],
                      image_pull_policy="Never").run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    assert outcome.status == BuildStatus.FAILED
    error = job_record(engine, outcome.build_id, "gone").error
    assert "could not start" in error
    assert "localhost/brigtui-missing:latest" in error
    assert "image not known" in error
    assert containers_of(runtime, outcome.build_id) == []


async def test_unpullable_image_fails_with_reason(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    if runtime.name != "podman":
        pytest.skip("the blocked test registry is a podman registries.conf setting")
    script = write_script(container_pipelines, "blocked.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("blocked", "docker.io/library/brigtui-missing:1", ["true"],
                      image_pull_policy="Always").run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    assert outcome.status == BuildStatus.FAILED
    error = job_record(engine, outcome.build_id, "blocked").error
    assert "docker.io/library/brigtui-missing:1" in error
    assert "is blocked" in error
    assert "image_pull_policy Always" in error


async def test_missing_shell_named(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "noshell.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("zsh", "alpine:3.19", ["true"], shell="/bin/zsh").run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    error = job_record(engine, outcome.build_id, "zsh").error
    assert "has no shell /bin/zsh" in error


async def test_job_exit_codes_pass_through(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "exits.py", """
        @events.on("exec")
        async def run(event, project):
            three = Job("three", "alpine:3.19", ["echo before", "exit 3", "echo after"])
            own = Job("own", "alpine:3.19", ["echo 'Error: the job wrote this' >&2", "exit 125"])
            for job in (three, own):
                try:
                    await job.run()
                except Exception:
                    pass
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    three = job_record(engine, outcome.build_id, "three")
    assert three.status == "failed"
    assert three.exit_code == 3
    assert Path(three.output_path).read_text() == "before\n"
    own = job_record(engine, outcome.build_id, "own")
    assert own.status == "failed"
    assert own.exit_code == 125
    assert "could not start" not in own.error


def broken_conf(tmp_path: Path, section: str, line: str) -> Path:
    """A containers.conf that breaks one setting, keeping the rest of the one in use."""
    base = os.environ.get("CONTAINERS_CONF")
    text = Path(base).read_text() if base else ""
    key = line.split("=")[0].strip()
    kept = [old for old in text.splitlines() if old.split("=")[0].strip() != key]
    if f"[{section}]" not in kept:
        kept.append(f"[{section}]")
    kept.insert(kept.index(f"[{section}]") + 1, line)
    conf = tmp_path / "broken.conf"
    conf.write_text("\n".join(kept) + "\n")
    return conf


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        ("engine", 'runtime = "brigtui-no-such-runtime"', 'runtime = "runc"'),
        ("containers", 'default_ulimits = ["nofile=99999999:99999999"]', "default_ulimits = []"),
    ],
    ids=["oci-runtime", "ulimits"],
)
async def test_host_setting_failure_explained(
    make_engine: Any, container_pipelines: Path, runtime: Runtime, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, section: str, line: str, expected: str,
) -> None:
    if runtime.name != "podman":
        pytest.skip("containers.conf is podman's configuration")
    monkeypatch.setenv("CONTAINERS_CONF", str(broken_conf(tmp_path, section, line)))
    script = write_script(container_pipelines, "broken.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("broken", "alpine:3.19", ["true"]).run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    assert outcome.status == BuildStatus.FAILED
    error = job_record(engine, outcome.build_id, "broken").error
    assert "could not start" in error
    assert expected in error
    assert "containers.conf" in error
    monkeypatch.undo()
    assert containers_of(runtime, outcome.build_id) == []


# Settings and secrets


async def test_network_none_setting(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "net.py", """
        @events.on("exec")
        async def run(event, project):
            print((await Job("net", "alpine:3.19", ["ls /sys/class/net"]).run()).text.split())
    """)
    outcome, printed = await run_script(make_engine(**{"container.network": False}), script)
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert printed == ["['lo']"]


async def test_privileged_needs_setting(make_engine: Any, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "priv.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("priv", "alpine:3.19", ["true"], privileged=True).run()
    """)
    engine = make_engine()
    outcome, _ = await run_script(engine, script)
    assert "container.allow_privileged" in job_record(engine, outcome.build_id, "priv").error

    allowed, _ = await run_script(make_engine(**{"container.allow_privileged": True}), script)
    assert allowed.status == BuildStatus.SUCCEEDED, allowed.error


async def test_env_values_stay_off_command_lines(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    secret = "s3cret-value-" + os.urandom(6).hex()
    big = "x" * 70000
    script = write_script(container_pipelines, "secret.py", f"""
        @events.on("exec")
        async def run(event, project):
            job = Job("secret", "alpine:3.19",
                      ['test "$TOKEN" = "{secret}"', 'test "${{#BIG}}" = 70000',
                       'test "$LINES2" = "$(printf "a\\\\nb")"', "sleep 300"])
            job.env = {{"TOKEN": "{secret}", "BIG": "{big}", "LINES2": "a\\nb"}}
            await job.run()
    """)
    engine = make_engine()
    runner = engine.start_build(BuildRequest(script))
    await wait_for_running_container(runtime, runner.id)

    # No process's command line carries the value, and the env file is private.
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command_line = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            assert secret.encode() not in command_line, f"pid {entry.name} shows the secret"
    env_file = runner.work_dir / "container" / "secret.env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert secret in env_file.read_text()

    engine.cancel_build(runner.id)
    assert runner.task is not None
    outcome = await runner.task
    assert outcome.status == BuildStatus.CANCELLED
    assert not env_file.exists()
    assert job_record(engine, runner.id, "secret").exit_code is None


async def test_labels_on_running_container(
    make_engine: Any, container_pipelines: Path, runtime: Runtime
) -> None:
    script = write_script(container_pipelines, "labelled.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("labelled", "alpine:3.19", ["sleep 300"]).run()
    """)
    engine = make_engine()
    runner = engine.start_build(BuildRequest(script))
    (container,) = await wait_for_running_container(runtime, runner.id)
    labels = client(runtime, "inspect", "--format", "{{json .Config.Labels}}", container).stdout
    engine.cancel_build(runner.id)
    assert runner.task is not None
    await runner.task
    assert '"brigtui.dev/job":"labelled"' in labels.replace(" ", "")
    assert '"app.kubernetes.io/managed-by":"brigtui"' in labels.replace(" ", "")
    assert f'"brigtui.dev/project":"{engine.folder.name}"' in labels.replace(" ", "")


def test_test_image_has_here_strings(runtime: Runtime) -> None:
    result = client(runtime, "run", "--rm", TEST_IMAGE, "sh", "-c", "cat <<< ok")
    assert result.stdout == "ok\n"
