"""The interface every executor implements: run one job's tasks somewhere, stream its output.

The engine owns everything that does not depend on where a job runs: job state, log and
output files, secret masking, timeouts, hand-overs and the store. An executor only starts
the job, feeds its standard input, streams its standard output and error back, reports the
exit code, and kills the job when its task is cancelled.
"""

from __future__ import annotations

import abc
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from brigtui.config import Settings

SHARE_MOUNT = "/mnt/brigade/share"
SOURCE_MOUNT = "/src"

# Labels every object an executor creates carries, so `brigtui gc` can find it after a crash.
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PROJECT = "brigtui.dev/project"
LABEL_BUILD = "brigtui.dev/build"
LABEL_JOB = "brigtui.dev/job"
MANAGED_BY = "brigtui"

ChunkSink = Callable[[bytes], Awaitable[None]]


class OwnedFd:
    """A file descriptor with one owner: the first caller of `take`, else `close` closes it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def take(self) -> int:
        """Return the fd; the caller now owns it and closes it."""
        fd, self._fd = self._fd, -1
        if fd < 0:
            raise ValueError("the file descriptor was already taken")
        return fd

    def close(self) -> None:
        """Close the fd unless it was taken."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


@dataclass
class BuildInfo:
    """The part of a build that an executor needs."""

    id: str
    project: str
    source_dir: Path
    """Project source, mounted at /src as the job's working directory."""
    state_dir: Path
    """The store's folder (`.brigtui/`)."""
    work_dir: Path
    """Folder for this build's logs, outputs and scripts."""
    share_dir: Path
    """Host folder of the build's share on the local and container executors."""
    note: Callable[[str], None]
    """Writes a line to the build's own log (shown in the UI and on stderr of `brigtui run`)."""
    labels: dict[str, str] = field(default_factory=dict)

    def note_once(self, key: str, message: str) -> None:
        """Write a note the first time `key` is seen in this build."""
        seen: set[str] = self.__dict__.setdefault("_notes_seen", set())
        if key not in seen:
            seen.add(key)
            self.note(message)


@dataclass
class JobSpec:
    """A job's fields frozen when `run()` is called, with env values as strings."""

    name: str
    image: str
    tasks: list[str]
    env: dict[str, str]
    storage: bool
    shell: str | None
    timeout: float | None
    image_pull_policy: str
    privileged: bool
    service_account: str | None
    resource_requests: dict[str, str]
    resource_limits: dict[str, str]
    annotations: dict[str, str]
    has_stdin: bool


@dataclass
class JobRequest:
    """Everything an executor needs to run one job."""

    build: BuildInfo
    spec: JobSpec
    stdin: AsyncIterator[bytes] | None
    """Data for the job's standard input; None gives it an empty input."""
    on_stdout: ChunkSink
    on_stderr: ChunkSink
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Secret values the job's env or tasks may carry; executors keep them out of `ps`."""
    stdin_fd: OwnedFd | None = None
    """A pipe to use as standard input instead of `stdin` (only for `accepts_fds` executors)."""
    stdout_fd: OwnedFd | None = None
    """A pipe to use as standard output instead of `on_stdout` (only for `accepts_fds`)."""


class Executor(abc.ABC):
    """Runs jobs for builds. One instance serves every build of an engine."""

    name: ClassVar[str]
    uses_image: ClassVar[bool] = True
    """False for executors that ignore the job's image (the local sandbox)."""
    accepts_fds: ClassVar[bool] = False
    """True when jobs are host processes that can take pipes as standard input and output."""
    host_share: ClassVar[bool] = True
    """True when the build's share is the host folder `BuildInfo.share_dir`."""
    env_value_limit: ClassVar[int] = 128 * 1024
    """Bytes one `NAME=value` string may take."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def env_total_limit(self) -> int:
        """Bytes all `NAME=value` strings and arguments may take together."""
        return os.sysconf("SC_ARG_MAX")

    async def start_build(self, build: BuildInfo) -> None:  # noqa: B027 - optional hook
        """Prepare what the build's jobs share (for Kubernetes: the owner object)."""

    async def ensure_share(self, build: BuildInfo) -> None:
        """Create the build's share; called before the first storage-enabled job starts."""
        build.share_dir.mkdir(parents=True, exist_ok=True)

    @abc.abstractmethod
    async def run_job(self, request: JobRequest) -> int:
        """Run the job and return its exit code.

        Raise JobFailed for a job that could not start (missing image, unschedulable pod).
        On cancellation, stop the job (all of its processes, container or pod) before
        re-raising.
        """

    async def end_build(self, build: BuildInfo, keep_share: bool) -> None:  # noqa: B027
        """Remove what the build created; keep the share only when asked to."""

    def describe(self) -> str:
        """Return one line for status bars: the executor and where it runs jobs."""
        return self.name

    def labels(self, build: BuildInfo, job: str | None = None) -> dict[str, str]:
        labels = {
            LABEL_MANAGED_BY: MANAGED_BY,
            LABEL_PROJECT: build.project,
            LABEL_BUILD: build.id,
        }
        if job is not None:
            labels[LABEL_JOB] = job
        return labels

    def dry_run(self, build: BuildInfo, jobs: list[JobSpec]) -> list[dict[str, Any]]:
        """Return the objects the build would create; only Kubernetes has any."""
        return []


def task_script(spec: JobSpec, shell: str) -> str:
    """Join a job's tasks into one script that stops at the first failing command."""
    lines = ["set -e"]
    if os.path.basename(shell) in ("bash", "bash-static", "zsh", "ksh", "mksh"):
        lines.append("set -o pipefail")
    else:
        lines.append("(set -o pipefail) 2>/dev/null && set -o pipefail")
    lines.extend(spec.tasks)
    return "\n".join(lines) + "\n"
