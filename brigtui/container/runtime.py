"""Finding the container client (podman or docker) and calling it for short commands."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from brigtui.engine.errors import ExecutorError

RuntimeName = Literal["podman", "docker"]

CLIENT_TIMEOUT = 60.0
"""Seconds a short client command (`ps`, `rm`, `inspect`) may take before it is abandoned."""

_SELINUX_ENFORCE = Path("/sys/fs/selinux/enforce")


@dataclass(frozen=True)
class Runtime:
    """The container client brigtui drives."""

    name: RuntimeName
    path: str
    """Absolute path of the client binary."""
    rootless: bool
    """True for podman run by a user other than root (its containers live in a user namespace)."""

    def describe(self) -> str:
        return f"{self.name}, rootless" if self.rootless else self.name


@functools.cache
def detect_runtime(preference: str = "auto") -> Runtime:
    """Return the client to use: the preferred one, or podman before docker for `auto`.

    Raises ExecutorError when no wanted client is installed.
    """
    candidates: tuple[RuntimeName, ...]
    if preference == "podman":
        candidates = ("podman",)
    elif preference == "docker":
        candidates = ("docker",)
    else:
        candidates = ("podman", "docker")
    for name in candidates:
        path = shutil.which(name)
        if path is not None:
            rootless = name == "podman" and os.geteuid() != 0
            return Runtime(name, path, rootless)
    wanted = " or ".join(candidates)
    raise ExecutorError(
        f"the container executor needs {wanted}, and none is installed; install podman "
        "(Debian: apt-get install podman runc) or docker, or run with --executor local"
    )


def selinux_enabled() -> bool:
    """True where SELinux is enabled, so bind mounts need the `z` relabel option."""
    return _SELINUX_ENFORCE.exists()


async def run_client(runtime: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a short client command without a shell and return its result, whatever its exit code.

    A command that exceeds CLIENT_TIMEOUT is killed and returns the exit code -9.
    """
    process = await asyncio.create_subprocess_exec(
        runtime.path,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CLIENT_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return subprocess.CompletedProcess(
            [runtime.path, *args], -9, "", f"{runtime.name} {args[0]} timed out"
        )
    return subprocess.CompletedProcess(
        [runtime.path, *args],
        process.returncode if process.returncode is not None else -1,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
    )


def run_client_sync(runtime: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    """Blocking form of `run_client`, for `brigtui gc` and other command-line callers."""
    try:
        return subprocess.run(
            [runtime.path, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            [runtime.path, *args], -9, "", f"{runtime.name} {args[0]} timed out"
        )
