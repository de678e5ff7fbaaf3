"""The objects an event script works with: Job, Group, Result and their states."""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from brigtui.engine.ansi import strip_ansi
from brigtui.engine.errors import JobSpecError, OutputTooLarge

if TYPE_CHECKING:
    from brigtui.engine.context import JobRun

JOB_NAME_RULE = "use lowercase letters, digits and '-' only, starting and ending with a letter or digit"
_JOB_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_JOB_NAME = 63

DEFAULT_TIMEOUT = 15 * 60
"""Seconds a job may run when the script sets no timeout (Brigade's default was 15 minutes)."""

DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024
"""Bytes of output that `Result.raw` and `str(result)` load into memory at most."""


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REUSED = "reused"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.PENDING, JobStatus.RUNNING)


class BuildStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self not in (BuildStatus.QUEUED, BuildStatus.RUNNING)


def validate_job_name(name: object) -> str:
    """Return the name if a job may use it, else raise JobSpecError naming the job and the rule."""
    if not isinstance(name, str):
        raise JobSpecError(f"job name {name!r} is not a string: {JOB_NAME_RULE}")
    if len(name) > MAX_JOB_NAME:
        raise JobSpecError(
            f"job name {name!r} is {len(name)} characters long; the maximum is {MAX_JOB_NAME}"
        )
    if not _JOB_NAME.match(name):
        raise JobSpecError(f"job name {name!r} is invalid: {JOB_NAME_RULE} (for example 'build-1')")
    return name


@dataclass
class Storage:
    """The job's view of the build's shared volume at /mnt/brigade/share."""

    enabled: bool = False


@dataclass(frozen=True)
class Result:
    """What a finished job produced.

    The output stays in a file; `raw` and `text` load it only on request, and only up to
    `memory_cap` bytes, so a job that prints gigabytes costs no memory until read.
    """

    job: str
    exit_code: int
    output_path: Path
    size: int
    log_path: Path
    started_at: datetime
    finished_at: datetime
    build_id: str = ""
    memory_cap: int = DEFAULT_OUTPUT_CAP
    digest: str = ""
    """SHA-256 of the output."""

    @property
    def duration(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def raw(self) -> bytes:
        """The exact bytes the job wrote to standard output."""
        if self.size > self.memory_cap:
            raise OutputTooLarge(
                f"output of job '{self.job}' is {format_size(self.size)}, over the "
                f"{format_size(self.memory_cap)} that brigtui loads into memory; pass it on "
                "as job.stdin = result, with pipe(), or through the shared storage instead"
            )
        return self.output_path.read_bytes()

    @property
    def text(self) -> str:
        """Standard output decoded as UTF-8 (invalid bytes replaced), trailing newlines removed
        as shell command substitution removes them."""
        return self.raw.decode("utf-8", errors="replace").rstrip("\n")

    @property
    def plain(self) -> str:
        """`text` with ANSI escape sequences removed."""
        return strip_ansi(self.text)

    def open(self) -> BinaryIO:
        """Open the stored output for streaming reads."""
        return self.output_path.open("rb")

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.text == other
        if isinstance(other, Result):
            return (self.build_id, self.job) == (other.build_id, other.job)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.build_id, self.job))

    def __contains__(self, item: str) -> bool:
        return item in self.text


StdinSource = bytes | str | Result | Path | None


class Job:
    """A list of shell tasks run in a container image, with Brigade's fields."""

    def __init__(
        self,
        name: str,
        image: str = "alpine:3.19",
        tasks: Iterable[str] | None = None,
        *,
        env: Mapping[str, Any] | None = None,
        shell: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        image_pull_policy: str = "IfNotPresent",
        privileged: bool = False,
        service_account: str | None = None,
        resource_requests: Mapping[str, str] | None = None,
        resource_limits: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        stdin: StdinSource = None,
        storage: bool = False,
    ) -> None:
        from brigtui.engine.context import current_build

        self.name = validate_job_name(name)
        self.image = image
        self.tasks: list[str] = list(tasks or [])
        self.env: dict[str, Any] = dict(env or {})
        self.storage = Storage(enabled=storage)
        self.shell = shell
        self.timeout = timeout
        self.image_pull_policy = image_pull_policy
        self.privileged = privileged
        self.service_account = service_account
        self.resource_requests: dict[str, str] = dict(resource_requests or {})
        self.resource_limits: dict[str, str] = dict(resource_limits or {})
        self.annotations: dict[str, str] = dict(annotations or {})
        self.stdin: StdinSource = stdin
        self._run: JobRun | None = None

        # Register with the build as soon as the script creates the job, so the graph shows it.
        build = current_build(required=False)
        if build is not None:
            build.register_job(self)

    def run(self) -> JobRun:
        """Start the job now and return an awaitable of its Result.

        Like a JavaScript promise, the job runs whether or not the caller awaits it, and the
        build waits for it before it ends.
        """
        from brigtui.engine.context import current_build

        if self._run is not None:
            raise JobSpecError(
                f"job '{self.name}' was already started; create a new Job to run it again"
            )
        self._run = current_build().start_job(self)
        return self._run

    def __repr__(self) -> str:
        return f"Job({self.name!r}, {self.image!r})"


class Group:
    """Jobs run one after another (`run_each`) or all at once (`run_all`)."""

    def __init__(self, jobs: Iterable[Job] | None = None) -> None:
        self.jobs: list[Job] = list(jobs or [])

    def add(self, *jobs: Job) -> None:
        self.jobs.extend(jobs)

    def __len__(self) -> int:
        return len(self.jobs)

    async def run_each(self) -> list[Result]:
        """Run the jobs in order, each after the previous one succeeded."""
        results = []
        for job in self.jobs:
            results.append(await job.run())
        return results

    async def run_all(self) -> list[Result]:
        """Run every job at once; return the results in the order of the jobs."""
        runs = [job.run() for job in self.jobs]
        return list(await asyncio.gather(*runs))


@dataclass
class Event:
    """The event a handler runs for."""

    build_id: str
    type: str
    payload: Any = None
    trigger: str = "manual"
    cause: Cause | None = None


@dataclass
class Cause:
    """Why an `after` or `error` handler runs: the original event and, for `error`, the failure."""

    event: Event
    reason: str
    error: BaseException | None = None


@dataclass
class Project:
    """The pipelines folder a script belongs to."""

    name: str
    folder: Path
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)


def format_size(size: float) -> str:
    """Format a byte count the way `ls -h` does (1.5 KiB, 3.0 MiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
