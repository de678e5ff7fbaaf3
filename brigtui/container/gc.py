"""Finding and removing the containers brigtui labelled, after a build or a crash."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brigtui.config import Settings
from brigtui.container.debug import LABEL_INSPECTS, LABEL_OWNER, parse_owner
from brigtui.container.runtime import Runtime, detect_runtime, run_client, run_client_sync
from brigtui.engine.errors import ExecutorError
from brigtui.engine.executors.base import LABEL_BUILD, LABEL_JOB, LABEL_MANAGED_BY, MANAGED_BY
from brigtui.engine.ids import owner_alive

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledContainer:
    id: str
    name: str
    build: str
    job: str
    status: str
    owner: str = ""
    """Owner label of a share inspector's container; empty for a job's container."""
    inspects: str = ""

    def describe(self) -> str:
        if self.owner:
            return (
                f"inspector container {self.name} ({self.id[:12]}, {self.status}) of the share "
                f"of build {self.inspects}"
            )
        return (
            f"container {self.name} ({self.id[:12]}, {self.status}) of build {self.build}, "
            f"job {self.job or '-'}"
        )


def list_args(build_id: str | None = None) -> list[str]:
    """Arguments of `ps` that list brigtui's containers, of one build or of all builds."""
    args = ["ps", "--all", "--quiet", "--no-trunc"]
    args += ["--filter", f"label={LABEL_MANAGED_BY}={MANAGED_BY}"]
    if build_id is not None:
        args += ["--filter", f"label={LABEL_BUILD}={build_id}"]
    return args


def remove_args(runtime: Runtime, ids: list[str]) -> list[str]:
    """Arguments of `rm` that kill and remove containers at once (no stop grace period)."""
    if runtime.name == "podman":
        return ["rm", "--force", "--ignore", "--time", "0", *ids]
    return ["rm", "--force", *ids]


def parse_inspect(output: str) -> list[LabelledContainer]:
    """Read `inspect`'s JSON array, as podman and docker print it."""
    try:
        entries: list[dict[str, Any]] = json.loads(output) if output.strip() else []
    except json.JSONDecodeError:
        logger.warning("The container client printed invalid JSON for inspect.")
        return []
    containers = []
    for entry in entries:
        labels = (entry.get("Config") or {}).get("Labels") or {}
        state = entry.get("State") or {}
        containers.append(
            LabelledContainer(
                id=str(entry.get("Id", "")),
                name=str(entry.get("Name", "")).lstrip("/"),
                build=str(labels.get(LABEL_BUILD, "")),
                job=str(labels.get(LABEL_JOB, "")),
                status=str(state.get("Status", "unknown")),
                owner=str(labels.get(LABEL_OWNER, "")),
                inspects=str(labels.get(LABEL_INSPECTS, "")),
            )
        )
    return containers


def _is_orphan(container: LabelledContainer, is_build_alive: Callable[[str], bool]) -> bool:
    if container.owner:
        owner = parse_owner(container.owner)
        return owner is not None and not owner_alive(*owner)
    return bool(container.build) and not is_build_alive(container.build)


def _removal_failed(result: subprocess.CompletedProcess[str]) -> bool:
    # Another clean-up may have removed a container first; that is not a failure.
    return result.returncode != 0 and "no such container" not in result.stderr.lower()


async def remove_build_containers(runtime: Runtime, build_id: str) -> int:
    """Kill and remove every container labelled with the build; return how many there were."""
    listed = await run_client(runtime, *list_args(build_id))
    if listed.returncode != 0:
        logger.warning(
            "Listing the containers of build %s failed: %s", build_id, listed.stderr.strip()
        )
        return 0
    ids = listed.stdout.split()
    if not ids:
        return 0
    removed = await run_client(runtime, *remove_args(runtime, ids))
    if _removal_failed(removed):
        logger.warning(
            "Removing the containers of build %s failed: %s", build_id, removed.stderr.strip()
        )
    return len(ids)


async def remove_share_rootless(runtime: Runtime, share: Path) -> bool:
    """Delete a build's share inside rootless podman's user namespace; return True on success.

    Files that a container wrote as a user other than root belong to subordinate ids on the
    host, which only the user namespace can delete.
    """
    result = await run_client(runtime, "unshare", "rm", "-rf", "--", str(share))
    if result.returncode != 0:
        logger.warning("Removing the share %s failed: %s", share, result.stderr.strip())
    return result.returncode == 0


def gc_containers(
    runtime: Runtime | Settings | str, is_build_alive: Callable[[str], bool]
) -> list[str]:
    """Remove labelled containers of builds that no live brigtui owns; return what was removed.

    `runtime` is a Runtime, the project's Settings, or a client preference ("auto",
    "podman", "docker"). Without an installed client there is nothing to remove. A share
    inspector's container goes once the brigtui process in its owner label is gone. Any
    other container without a build label is kept, because no build made it.
    """
    if isinstance(runtime, Settings):
        runtime = runtime.container.runtime
    if isinstance(runtime, str):
        try:
            runtime = detect_runtime(runtime)
        except ExecutorError:
            return []

    # List brigtui's containers with their labels.
    listed = run_client_sync(runtime, *list_args())
    if listed.returncode != 0:
        raise ExecutorError(
            f"{runtime.name} could not list containers: {listed.stderr.strip()}; "
            "check that the container client works (for example: podman ps)"
        )
    ids = listed.stdout.split()
    if not ids:
        return []
    inspected = run_client_sync(runtime, "inspect", "--type", "container", *ids)
    containers = parse_inspect(inspected.stdout)

    # Remove those whose build or inspector has ended, one by one so that a failure names
    # its container.
    removed = []
    for container in containers:
        if not _is_orphan(container, is_build_alive):
            continue
        result = run_client_sync(runtime, *remove_args(runtime, [container.id]))
        if _removal_failed(result):
            logger.warning(
                "Removing %s failed: %s", container.describe(), result.stderr.strip()
            )
            continue
        logger.info("Removed %s.", container.describe())
        removed.append(container.describe())
    return removed
