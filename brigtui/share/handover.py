"""Moving data into one job by hand: the engine side of the pipe pane.

The pane takes a source (a recorded job's output, or a file from a build's share), an
optional filter (a shell command run as a job), and a target job defined by a script.
Each step is a build of its own, so the history records where every input came from.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from brigtui.engine.build import BuildRunner
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.errors import JobSpecError, UsageError
from brigtui.engine.executors.base import SHARE_MOUNT, JobSpec
from brigtui.engine.ids import utc_now
from brigtui.engine.model import Job, Result, format_size

HowIn = Literal["env", "stdin", "share"]
FILTER_EVENT = "filter"
RUN_ALONE_EVENT = "run-alone"


@dataclass
class Source:
    """Data for a job: a recorded Result, or a local file (a download from a share)."""

    result: Result | None = None
    file: Path | None = None
    label: str = ""
    """Name shown in the UI and in the build's trigger (`build X job one`, `share:path`)."""

    @property
    def size(self) -> int:
        if self.result is not None:
            return self.result.size
        assert self.file is not None
        return self.file.stat().st_size

    def read_head(self, limit: int) -> bytes:
        path = self.result.output_path if self.result is not None else self.file
        assert path is not None
        with path.open("rb") as handle:
            return handle.read(limit)

    def as_stdin(self) -> Result:
        """Return the data as a Result, which the engine streams from disk into a job's input.

        A plain Path would mean a file in the running build's share, so a local file is
        wrapped as the output of a job named after where it came from.
        """
        if self.result is not None:
            return self.result
        assert self.file is not None
        now = utc_now()
        return Result(
            job="file", exit_code=0, output_path=self.file, size=self.size,
            log_path=self.file, started_at=now, finished_at=now, build_id=self.label,
        )


def recorded_source(engine: Engine, build_id: str, job: str) -> Source:
    return Source(result=engine.result_of(build_id, job), label=f"build {build_id} job {job}")


def check_env_fits(engine: Engine, name: str, size: int) -> str | None:
    """Return why a value of `size` bytes cannot go into env variable `name`, or None."""
    executor = engine.executor_for(engine.load_settings())
    needed = len(name) + 2 + size
    if needed > executor.env_value_limit:
        return (
            f"{format_size(size)} is too large for an environment variable on the "
            f"{executor.name} executor (at most {format_size(executor.env_value_limit)}); "
            "send it as standard input or as a file in the share"
        )
    return None


async def find_job_spec(engine: Engine, script: Path, job: str, event: str = "exec") -> JobSpec:
    specs = await engine.job_specs(script, event)
    for spec in specs:
        if spec.name == job:
            return spec
    names = ", ".join(spec.name for spec in specs) or "none"
    raise UsageError(f"{script.name} runs no job '{job}' for event '{event}'; its jobs: {names}")


def start_filter(engine: Engine, script: Path, source: Source, command: str, image: str) -> BuildRunner:
    """Start a build whose one job runs `command` with the source as standard input."""
    if not command.strip():
        raise UsageError("the filter command is empty; type a shell command such as 'grep rhino'")

    async def handler(event: Any, project: Any) -> None:
        await Job("filter", image, [command], stdin=source.as_stdin()).run()

    trigger = f"pipe pane: filter {command!r} on {source.label}"
    return engine.start_build(BuildRequest(script, FILTER_EVENT, None, trigger, handler=handler))


def start_job_alone(
    engine: Engine,
    script: Path,
    spec: JobSpec,
    source: Source,
    how: HowIn,
    target: str = "",
) -> BuildRunner:
    """Start a build that runs one job of a script with the source as its input.

    `target` is the env variable name (how="env") or the file name in the share
    (how="share"); the job then finds the file's path in `$BRIGTUI_INPUT`.
    """
    if how == "env":
        if not target.isidentifier():
            raise UsageError(f"'{target}' is not a valid environment variable name")
        reason = check_env_fits(engine, target, source.size)
        if reason is not None:
            raise JobSpecError(reason)
    if how == "share":
        target = target or "input"
        if "/" in target or target in (".", ".."):
            raise UsageError(f"'{target}' is not a plain file name")

    async def handler(event: Any, project: Any) -> None:
        fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
        env = dict(fields.pop("env"))
        storage = fields.pop("storage")
        fields.pop("has_stdin")
        stdin: Any = None
        if how == "env":
            env[target] = source.as_stdin()
        elif how == "stdin":
            stdin = source.as_stdin()
        else:
            storage = True
            env["BRIGTUI_INPUT"] = f"{SHARE_MOUNT}/{target}"
            copy = Job("handover", spec.image, [f'cat > "{SHARE_MOUNT}/{target}"'], storage=True,
                       stdin=source.as_stdin())
            await copy.run()
        name, image, tasks = fields.pop("name"), fields.pop("image"), fields.pop("tasks")
        job = Job(name, image, tasks, env=env, storage=storage, stdin=stdin, **fields)
        await job.run()

    trigger = f"pipe pane: {source.label} into {spec.name} by {how}" + (f" {target}" if target else "")
    return engine.start_build(BuildRequest(script, RUN_ALONE_EVENT, None, trigger, handler=handler))


def write_source_file(data: bytes) -> Path:
    """Keep bytes (a share file read through the inspector) in a private temporary file."""
    fd, name = tempfile.mkstemp(prefix="brigtui-source-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)
