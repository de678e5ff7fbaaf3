"""The `run` command of one job's container, its env file, and the job fields it maps."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from brigtui.config import ContainerSettings
from brigtui.container.runtime import Runtime
from brigtui.engine.errors import JobSpecError
from brigtui.engine.executors.base import SHARE_MOUNT, SOURCE_MOUNT, JobSpec

DEFAULT_SHELL = "/bin/sh"
"""Shell of jobs that name none, as in Brigade's job images."""
TASKS_MOUNT = "/var/run/brigtui/tasks.sh"
"""Mount point of the job's tasks script (read-only) inside the container."""

PULL_POLICIES = {"Always": "always", "IfNotPresent": "missing", "Never": "never"}
"""Kubernetes' image pull policies and the `--pull` value each maps to."""

ORPHAN_GRACE = 30
"""Seconds past the job's timeout after which podman kills a container that brigtui left."""
ENV_FILE_LINE_LIMIT = 60 * 1024
"""Bytes of one `NAME=value` line in the env file.

podman 4 and docker read env files line by line with Go's bufio.Scanner, whose lines end
at 64 KiB, so longer values go through the client's environment instead.
"""

_MEMORY_UNITS = {
    "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "Pi": 1024**5, "Ei": 1024**6,
    "k": 1000, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "P": 1000**5, "E": 1000**6,
}  # fmt: skip


@dataclass
class RunFiles:
    """Host files a container mounts or its client reads, all in the build's work folder."""

    script: Path
    env_file: Path
    cid_file: Path
    """File the client writes once the container exists, to tell a job's exit from a failed create."""

    def remove_client_files(self) -> None:
        self.env_file.unlink(missing_ok=True)
        self.cid_file.unlink(missing_ok=True)


def container_name(build_id: str, job: str) -> str:
    """Name of a job's container; build ids and job names are already valid container names."""
    return f"brigtui-{build_id}-{job}"


def check_image(image: str) -> None:
    """Raise JobSpecError for an image name that the client would misread or reject."""
    if not image:
        raise JobSpecError("names no image; give the Job an image such as 'alpine:3.19'")
    if image.startswith("-") or any(character.isspace() for character in image):
        raise JobSpecError(
            f"image {image!r} is invalid: an image name has no spaces and does not start "
            "with '-'"
        )


def pull_flag(spec: JobSpec) -> str:
    """Map the job's image pull policy to the client's `--pull` flag.

    Raises JobSpecError for a policy Kubernetes does not have; so do the other helpers here,
    with messages that the executor prefixes with the job's name.
    """
    value = PULL_POLICIES.get(spec.image_pull_policy)
    if value is None:
        allowed = ", ".join(PULL_POLICIES)
        raise JobSpecError(
            f"image_pull_policy {spec.image_pull_policy!r} is invalid; use one of: {allowed}"
        )
    return f"--pull={value}"


def resource_flags(spec: JobSpec) -> tuple[list[str], list[str]]:
    """Map the job's CPU and memory limits to flags; also return the keys the executor ignores."""
    flags: list[str] = []
    ignored = [f"resource_requests.{key}" for key in spec.resource_requests]
    for key, value in spec.resource_limits.items():
        if key == "cpu":
            flags.append(f"--cpus={_cpu_quantity(value):g}")
        elif key == "memory":
            flags.append(f"--memory={_memory_quantity(value)}b")
        else:
            ignored.append(f"resource_limits.{key}")
    return flags, ignored


def _cpu_quantity(text: str) -> float:
    try:
        cpus = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        cpus = 0.0
    if cpus <= 0:
        raise JobSpecError(
            f"resource_limits.cpu {text!r} is invalid; use cores ('2', '0.5') or "
            "millicores ('500m')"
        )
    return cpus


def _memory_quantity(text: str) -> int:
    number, factor = text, 1
    for suffix in sorted(_MEMORY_UNITS, key=len, reverse=True):
        if text.endswith(suffix):
            number, factor = text[: -len(suffix)], _MEMORY_UNITS[suffix]
            break
    try:
        size = int(float(number) * factor)
    except ValueError:
        size = 0
    if size <= 0:
        raise JobSpecError(
            f"resource_limits.memory {text!r} is invalid; use bytes or a Kubernetes "
            "quantity such as '256Mi' or '1G'"
        )
    return size


def write_env_file(path: Path, env: dict[str, str]) -> dict[str, str]:
    """Write `env` as an env file readable only by its owner; return the values left out.

    A value with a line break or over ENV_FILE_LINE_LIMIT cannot be a line of an env file:
    the file then holds only its name, and the client takes the value from its own
    environment, which other users cannot read either.
    """
    lines: list[str] = []
    from_environment: dict[str, str] = {}
    for name, value in env.items():
        if "\0" in value:
            raise JobSpecError(
                f"environment variable {name} contains a NUL byte, which no process "
                "environment can hold; pass binary data as standard input or through storage"
            )
        line = f"{name}={value}"
        if "\n" in value or "\r" in value or len(line.encode()) > ENV_FILE_LINE_LIMIT:
            lines.append(name)
            from_environment[name] = value
        else:
            lines.append(line)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return from_environment


def _volume(host: Path, target: str, *options: str, relabel: bool) -> str:
    # `-v` separates its fields with ':', so a host path with one would be cut apart.
    if ":" in str(host):
        raise JobSpecError(
            f"the folder {host} has ':' in its path, which the container client cannot "
            "bind-mount; move the project or brigtui's state folder to a path without ':'"
        )
    wanted = [*options, "z"] if relabel else list(options)
    suffix = f":{','.join(wanted)}" if wanted else ""
    return f"{host}:{target}{suffix}"


def run_command(
    runtime: Runtime,
    settings: ContainerSettings,
    spec: JobSpec,
    *,
    name: str,
    labels: dict[str, str],
    files: RunFiles,
    source: Path,
    share: Path | None,
    interactive: bool,
    relabel: bool,
) -> list[str]:
    """Return the `run` command of one job: its image and shell, mounts, env file and labels.

    `--sig-proxy=false` makes the client exit at once on SIGTERM, so a cancelled job goes
    straight to `rm --force` instead of waiting on a shell that ignores the signal as PID 1.
    """
    check_image(spec.image)
    command = [runtime.path, "run", "--rm", "--name", name, "--sig-proxy=false"]
    for key, value in labels.items():
        command += ["--label", f"{key}={value}"]
    command += ["--env-file", str(files.env_file), "--cidfile", str(files.cid_file)]
    command += ["--volume", _volume(files.script, TASKS_MOUNT, "ro", relabel=relabel)]
    command += ["--volume", _volume(source, SOURCE_MOUNT, relabel=relabel)]
    if share is not None:
        command += ["--volume", _volume(share, SHARE_MOUNT, relabel=relabel)]
    command += ["--workdir", SOURCE_MOUNT, pull_flag(spec)]
    command += ["--entrypoint", spec.shell or DEFAULT_SHELL]
    if runtime.name == "podman" and spec.timeout:
        # Should brigtui die, conmon still kills the container a little after the job's
        # timeout; docker has no such flag, so there `brigtui gc` removes the orphan.
        command.append(f"--timeout={math.ceil(spec.timeout) + ORPHAN_GRACE}")
    if not settings.network:
        command += ["--network", "none"]
    if spec.privileged:
        command.append("--privileged")
    if interactive:
        command.append("--interactive")
    command += resource_flags(spec)[0]
    command += settings.extra_args
    command += [spec.image, TASKS_MOUNT]
    return command
