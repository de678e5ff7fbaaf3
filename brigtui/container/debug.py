"""The share inspector's container: a build's share mounted read-only, for the container executor.

Such a container belongs to the brigtui process that opened the inspector, not to a build
(the build it inspects has usually ended), so it carries its owner's identity as a label.
`gc_containers` removes it once that process is gone; podman also kills it after a deadline.
"""

from __future__ import annotations

from pathlib import Path

from brigtui.container.runtime import Runtime, selinux_enabled
from brigtui.engine.executors.base import LABEL_MANAGED_BY, LABEL_PROJECT, MANAGED_BY, SHARE_MOUNT
from brigtui.engine.ids import process_identity

LABEL_INSPECTS = "brigtui.dev/inspects"
"""Build whose share the container shows."""
LABEL_OWNER = "brigtui.dev/inspector-owner"
"""`host/pid/start` of the brigtui process that started the container."""


def owner_label() -> str:
    host, pid, started = process_identity()
    return f"{host}/{pid}/{started:g}"


def parse_owner(label: str) -> tuple[str, int, float] | None:
    """Split an owner label into host, pid and start time; None when it is malformed."""
    host, _, rest = label.rpartition("/")
    host, _, pid = host.rpartition("/")
    try:
        return host, int(pid), float(rest)
    except ValueError:
        return None


def debug_command(
    runtime: Runtime,
    image: str,
    share_dir: Path,
    command: list[str],
    *,
    project: str,
    build_id: str,
    name: str,
    deadline: int,
    interactive: bool = False,
) -> list[str]:
    """Return the `run` command of an inspector container that runs `command` in the share.

    The share is mounted read-only at /mnt/brigade/share, which is also the working folder;
    the container has no network and is removed when `command` ends. With podman, the
    container is killed after `deadline` seconds even if brigtui is gone. docker has no such
    flag, so there only `brigtui gc` removes an orphan.
    """
    if not command:
        raise ValueError("the inspector needs a command to run in its container")
    options = "ro,z" if selinux_enabled() else "ro"
    args = [runtime.path, "run", "--rm", "--name", name, "--network", "none"]
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_PROJECT: project,
        LABEL_INSPECTS: build_id,
        LABEL_OWNER: owner_label(),
    }
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    args += ["--volume", f"{share_dir}:{SHARE_MOUNT}:{options}", "--workdir", SHARE_MOUNT]
    if runtime.name == "podman":
        args.append(f"--timeout={deadline}")
    if interactive:
        args += ["--interactive", "--tty"]
    args += ["--entrypoint", command[0], image, *command[1:]]
    return args
