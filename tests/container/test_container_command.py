"""The container `run` command, env file and failure messages, without running a container."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigtui.config import ContainerSettings
from brigtui.container.command import (
    TASKS_MOUNT,
    RunFiles,
    pull_flag,
    resource_flags,
    run_command,
    write_env_file,
)
from brigtui.container.failures import StderrTail, explain_client_failure, is_client_failure
from brigtui.container.runtime import Runtime, detect_runtime
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.errors import ExecutorError, JobSpecError
from brigtui.engine.executors.base import JobSpec
from brigtui.engine.model import BuildStatus

PODMAN = Runtime("podman", "/usr/bin/podman", rootless=False)


def make_spec(**fields: object) -> JobSpec:
    values: dict[str, object] = dict(
        name="one", image="alpine:3.7", tasks=["true"], env={}, storage=False, shell=None,
        timeout=None, image_pull_policy="IfNotPresent", privileged=False,
        service_account=None, resource_requests={}, resource_limits={}, annotations={},
        has_stdin=False,
    )  # fmt: skip
    values.update(fields)
    return JobSpec(**values)  # type: ignore[arg-type]


def command_for(tmp_path: Path, **options: object) -> list[str]:
    settings = options.pop("settings", ContainerSettings())
    spec = options.pop("spec", make_spec())
    files = RunFiles(tmp_path / "one.sh", tmp_path / "one.env", tmp_path / "one.cid")
    arguments: dict[str, object] = dict(
        name="brigtui-b-one", labels={"brigtui.dev/build": "b"}, files=files,
        source=tmp_path / "src", share=None, interactive=False, relabel=False,
    )  # fmt: skip
    arguments.update(options)
    return run_command(PODMAN, settings, spec, **arguments)  # type: ignore[arg-type]


# The env file


def test_env_file_private_with_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "job.env"
    left_out = write_env_file(path, {"A": "one two", "B": " lead", "EMPTY": ""})
    assert left_out == {}
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == "A=one two\nB= lead\nEMPTY=\n"


def test_env_file_names_multiline_and_long_values(tmp_path: Path) -> None:
    path = tmp_path / "job.env"
    long_value = "x" * 70_000
    env = {"LINES": "a\nb\n", "CR": "a\r", "LONG": long_value, "SHORT": "ok"}
    left_out = write_env_file(path, env)
    assert left_out == {"LINES": "a\nb\n", "CR": "a\r", "LONG": long_value}
    assert path.read_text() == "LINES\nCR\nLONG\nSHORT=ok\n"


def test_env_file_rejects_nul(tmp_path: Path) -> None:
    with pytest.raises(JobSpecError, match="BIN contains a NUL byte"):
        write_env_file(tmp_path / "job.env", {"BIN": "a\0b"})


# Job fields


@pytest.mark.parametrize(
    ("policy", "flag"),
    [("Always", "--pull=always"), ("IfNotPresent", "--pull=missing"), ("Never", "--pull=never")],
)
def test_pull_policy_mapped(policy: str, flag: str) -> None:
    assert pull_flag(make_spec(image_pull_policy=policy)) == flag


def test_pull_policy_invalid_named() -> None:
    with pytest.raises(JobSpecError, match="'sometimes' is invalid; use one of: Always"):
        pull_flag(make_spec(image_pull_policy="sometimes"))


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"cpu": "500m"}, ["--cpus=0.5"]),
        ({"cpu": "2"}, ["--cpus=2"]),
        ({"memory": "256Mi"}, ["--memory=268435456b"]),
        ({"memory": "1G"}, ["--memory=1000000000b"]),
        ({"memory": "4096"}, ["--memory=4096b"]),
    ],
)
def test_resource_limits_mapped(limits: dict[str, str], expected: list[str]) -> None:
    assert resource_flags(make_spec(resource_limits=limits)) == (expected, [])


@pytest.mark.parametrize(
    ("limits", "message"),
    [({"cpu": "lots"}, "resource_limits.cpu 'lots'"), ({"memory": "-1Gi"}, "memory '-1Gi'")],
)
def test_resource_limits_invalid(limits: dict[str, str], message: str) -> None:
    with pytest.raises(JobSpecError, match=message):
        resource_flags(make_spec(resource_limits=limits))


def test_resource_keys_ignored_listed() -> None:
    spec = make_spec(resource_requests={"cpu": "1"}, resource_limits={"nvidia.com/gpu": "1"})
    assert resource_flags(spec) == ([], ["resource_requests.cpu", "resource_limits.nvidia.com/gpu"])


# The run command


def test_run_command_defaults(tmp_path: Path) -> None:
    command = command_for(tmp_path)
    assert command[:3] == ["/usr/bin/podman", "run", "--rm"]
    assert command[-2:] == ["alpine:3.7", TASKS_MOUNT]
    assert command[command.index("--entrypoint") + 1] == "/bin/sh"
    assert command[command.index("--env-file") + 1] == str(tmp_path / "one.env")
    assert f"{tmp_path / 'one.sh'}:{TASKS_MOUNT}:ro" in command
    assert f"{tmp_path / 'src'}:/src" in command
    assert "--pull=missing" in command
    assert "--network" not in command
    assert "--interactive" not in command
    assert "--privileged" not in command
    assert "brigtui.dev/build=b" in command
    assert not [argument for argument in command if argument.startswith("--timeout")]


def test_run_command_orphan_timeout(tmp_path: Path) -> None:
    command = command_for(tmp_path, spec=make_spec(timeout=90.5))
    assert "--timeout=121" in command


def test_run_command_options(tmp_path: Path) -> None:
    settings = ContainerSettings(network=False, extra_args=["--cap-drop=ALL"])
    spec = make_spec(shell="/bin/bash", privileged=True, resource_limits={"cpu": "1"})
    command = command_for(
        tmp_path, settings=settings, spec=spec, share=tmp_path / "share", interactive=True,
        relabel=True,
    )  # fmt: skip
    assert command[command.index("--network") + 1] == "none"
    assert command[command.index("--entrypoint") + 1] == "/bin/bash"
    assert f"{tmp_path / 'share'}:/mnt/brigade/share:z" in command
    assert f"{tmp_path / 'one.sh'}:{TASKS_MOUNT}:ro,z" in command
    assert f"{tmp_path / 'src'}:/src:z" in command
    assert "--interactive" in command
    assert "--privileged" in command
    assert "--cpus=1" in command
    assert command.index("--cap-drop=ALL") < command.index("alpine:3.7")


@pytest.mark.parametrize(
    ("image", "message"),
    [("", "names no image"), ("--privileged", "is invalid"), ("alpine 3", "is invalid")],
)
def test_run_command_rejects_bad_image(tmp_path: Path, image: str, message: str) -> None:
    with pytest.raises(JobSpecError, match=message):
        command_for(tmp_path, spec=make_spec(image=image))


def test_missing_client_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    detect_runtime.cache_clear()
    try:
        with pytest.raises(ExecutorError, match="needs podman or docker, and none is installed"):
            detect_runtime("auto")
        with pytest.raises(ExecutorError, match="needs docker"):
            detect_runtime("docker")
    finally:
        detect_runtime.cache_clear()


async def test_build_without_client_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pipelines: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    detect_runtime.cache_clear()
    engine = Engine(pipelines, executor="container")
    try:
        outcome = await engine.run_build(BuildRequest(pipelines / "pass_output.py"))
    finally:
        engine.close()
        detect_runtime.cache_clear()
    assert outcome.status == BuildStatus.FAILED
    assert "apt-get install podman runc" in (outcome.error or "")


def test_run_command_rejects_colon_path(tmp_path: Path) -> None:
    with pytest.raises(JobSpecError, match="has ':' in its path"):
        command_for(tmp_path, source=tmp_path / "a:b")


# Failures of the client


def test_stderr_tail_finds_client_error() -> None:
    tail = StderrTail()
    tail.feed(b"Trying to pull x...\nError: initializing source docker://x: refu")
    tail.feed(b"sed\n")
    assert tail.client_error(PODMAN) == "initializing source docker://x: refused"


def test_stderr_tail_without_client_error() -> None:
    tail = StderrTail()
    tail.feed(b"tasks.sh: line 2: foo: command not found\n")
    assert tail.client_error(PODMAN) is None


@pytest.mark.parametrize(
    ("code", "reason", "created", "expected"),
    [
        (125, "x: image not known", False, True),
        (127, "runc create failed: OCI runtime attempted to invoke", True, True),
        (126, 'slirp4netns failed: "open(/dev/net/tun): Permission denied"', True, True),
        (125, "the job wrote this", True, False),
        (126, "the associated technical record", True, False),
        (1, "image not known", False, False),
        (125, None, False, False),
    ],
)
def test_client_failure_told_from_job_exit(
    code: int, reason: str | None, created: bool, expected: bool
) -> None:
    assert is_client_failure(code, reason, created) is expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("crun: cgroups in hybrid mode not supported: OCI runtime error", 'runtime = "runc"'),
        ("error setting rlimit type 7: operation not permitted", "default_ulimits = []"),
        ("/usr/bin/slirp4netns failed: open /dev/net/tun", "container.network: false"),
        ("localhost/x: image not known", "image alpine:3.7 is missing or could not be pulled"),
        ('exec: "/bin/sh": stat /bin/sh: no such file or directory', "has no shell /bin/sh"),
        ("something else", "podman could not run the container of image alpine:3.7"),
    ],
)
def test_client_failure_explained(reason: str, expected: str) -> None:
    assert expected in explain_client_failure(PODMAN, make_spec(), reason)
