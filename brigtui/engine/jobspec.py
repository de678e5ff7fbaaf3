"""Freezing a Job into a JobSpec: env values as strings, hand-overs, and size checks."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from brigtui.engine.errors import JobSpecError
from brigtui.engine.executors.base import JobSpec
from brigtui.engine.masking import Masker
from brigtui.engine.model import Job, Result, format_size
from brigtui.engine.store import HandoverRecord

if TYPE_CHECKING:
    from brigtui.engine.executors.base import Executor

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Room kept for the variables the executor adds (PATH, HOME, BRIGADE_*) and the command line.
_ENV_RESERVE = 16 * 1024


def freeze_job(job: Job) -> tuple[JobSpec, list[HandoverRecord]]:
    """Snapshot the job's fields; a Result in `env` becomes its text and a hand-over record."""
    env: dict[str, str] = {}
    handovers: list[HandoverRecord] = []
    for name, value in job.env.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise JobSpecError(
                f"job '{job.name}': environment variable name {name!r} is invalid; use "
                "letters, digits and '_', not starting with a digit"
            )
        env[name] = _env_value(job.name, name, value)
        if isinstance(value, Result):
            handovers.append(
                HandoverRecord("", value.build_id, value.job, job.name, "env", name, value.size)
            )
    if not isinstance(job.tasks, list) or not all(isinstance(t, str) for t in job.tasks):
        raise JobSpecError(f"job '{job.name}': tasks must be a list of strings")
    spec = JobSpec(
        name=job.name,
        image=str(job.image or ""),
        tasks=list(job.tasks),
        env=env,
        storage=bool(job.storage.enabled),
        shell=job.shell,
        timeout=float(job.timeout) if job.timeout else None,
        image_pull_policy=job.image_pull_policy,
        privileged=bool(job.privileged),
        service_account=job.service_account,
        resource_requests={str(k): str(v) for k, v in job.resource_requests.items()},
        resource_limits={str(k): str(v) for k, v in job.resource_limits.items()},
        annotations={str(k): str(v) for k, v in job.annotations.items()},
        has_stdin=job.stdin is not None,
    )
    return spec, handovers


def _env_value(job: str, name: str, value: Any) -> str:
    if isinstance(value, Result):
        return value.text
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise JobSpecError(
        f"job '{job}': environment variable {name} is a {type(value).__name__}; "
        "use a string, a number or a job's Result"
    )


def check_environment(spec: JobSpec, executor: Executor) -> None:
    """Reject env values the operating system (or the executor) would refuse, before starting."""
    advice = (
        f"pass the data as standard input ({spec.name}.stdin = result) "
        "or through the shared storage (storage=True)"
    )
    total = _ENV_RESERVE
    for name, value in spec.env.items():
        size = len(name.encode()) + 1 + len(value.encode()) + 1
        total += size
        if size > executor.env_value_limit:
            raise JobSpecError(
                f"job '{spec.name}': environment variable {name} is {format_size(size)}, over "
                f"the {format_size(executor.env_value_limit)} that one variable may take on "
                f"the {executor.name} executor; {advice}"
            )
    if total > executor.env_total_limit:
        raise JobSpecError(
            f"job '{spec.name}': its environment takes {format_size(total)}, over the "
            f"{format_size(executor.env_total_limit)} the {executor.name} executor allows for "
            f"all variables together; {advice}"
        )


def masked_spec(spec: JobSpec, masker: Masker) -> dict[str, Any]:
    """The spec as stored and shown: secret values masked, long env values shortened."""
    data = asdict(spec)
    data["env"] = {name: _shorten(masker.text(value)) for name, value in spec.env.items()}
    data["tasks"] = [masker.text(task) for task in spec.tasks]
    return data


def _shorten(value: str, limit: int = 200) -> str:
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value.encode())} bytes)"
