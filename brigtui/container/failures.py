"""Telling a failure of the container client apart from a job's own exit code, and explaining it.

podman exits with 125 when it fails itself, 126 when the command cannot be invoked and 127
when it is not found. It prints its reason as a last line starting with `Error: `. docker
uses the same codes and prefixes its reason with `docker: `.
"""

from __future__ import annotations

import re
from collections import deque

from brigtui.container.runtime import Runtime
from brigtui.engine.executors.base import JobSpec

CLIENT_EXIT_CODES = (125, 126, 127)
DOC = "docs/container.md"

_IMAGE_MARKERS = (
    "image not known",
    "initializing source",
    "pulling image",
    "manifest unknown",
    "unable to find image",
    "pull access denied",
    "no such image",
    "repository does not exist",
    "short-name resolution",
    "is blocked in",
    "requested access to the resource is denied",
)
_NETWORK_PATTERN = re.compile(r"\b(slirp4netns|netavark|cni|pasta)\b|/dev/net/tun")
# Parts that fail while a created container starts; whole words, because "oci" is also
# inside words such as "associated".
_START_PATTERN = re.compile(
    r"\b(oci|runc|crun|conmon|cgroups?|mount\w*|statfs|slirp4netns|netavark|cni|pasta)\b"
    r"|/dev/net/tun"
)
_COMMAND_MARKERS = ("executable file not found", "no such file or directory", "not found")


class StderrTail:
    """The last lines a client wrote to standard error, kept to explain its failure."""

    def __init__(self, lines: int = 20) -> None:
        self.lines: deque[str] = deque(maxlen=lines)
        self._partial = ""

    def feed(self, chunk: bytes) -> None:
        text = self._partial + chunk.decode("utf-8", errors="replace")
        *complete, self._partial = text.split("\n")
        self.lines.extend(line for line in complete if line.strip())

    def client_error(self, runtime: Runtime) -> str | None:
        """Return the client's last error line (without its prefix), if it wrote one."""
        lines = [*self.lines, self._partial] if self._partial.strip() else list(self.lines)
        prefixes = ("Error: ", "docker: ", "Error response from daemon: ")
        for line in reversed(lines):
            stripped = line.strip()
            for prefix in prefixes:
                if stripped.startswith(prefix):
                    return stripped.removeprefix("docker: ").removeprefix("Error: ")
            if runtime.name == "docker" and "Cannot connect to the Docker daemon" in stripped:
                return stripped
        return None


def is_client_failure(code: int, reason: str | None, created: bool) -> bool:
    """True when the container never ran its command, so `code` is not the job's exit code.

    A job can exit with 125 to 127 and print a line starting with `Error: ` itself. Then its
    container existed, and its reason names none of the parts that fail while a created
    container starts: the OCI runtime, conmon, its network or its mounts.
    """
    if code not in CLIENT_EXIT_CODES or reason is None:
        return False
    lowered = reason.lower()
    return not created or _START_PATTERN.search(lowered) is not None


def explain_client_failure(runtime: Runtime, spec: JobSpec, reason: str) -> str:
    """Return the message for a container that could not start: what failed and what to do."""
    lowered = reason.lower()
    client = runtime.name
    host_setting = _host_setting_message(runtime, reason)
    if host_setting is not None:
        return host_setting

    if "cannot connect to the docker daemon" in lowered:
        return (
            f"docker cannot reach a Docker engine ({reason}); start the engine, install "
            "podman (preferred when both are installed), or set container.runtime in brigtui.yaml"
        )
    if any(marker in lowered for marker in _IMAGE_MARKERS):
        return (
            f"image {spec.image} is missing or could not be pulled "
            f"(image_pull_policy {spec.image_pull_policy}): {reason}; check the image name, "
            f"pull or build it ({client} pull {spec.image}), or change image_pull_policy"
        )
    shell = spec.shell or "/bin/sh"
    if shell in reason and any(marker in lowered for marker in _COMMAND_MARKERS):
        return (
            f"image {spec.image} has no shell {shell} ({reason}); set the job's shell to one "
            "the image contains"
        )
    return f"{client} could not run the container of image {spec.image}: {reason}"


def _host_setting_message(runtime: Runtime, reason: str) -> str | None:
    """Return the message for a failure that a setting of the host's podman fixes, if it is one."""
    lowered = reason.lower()
    client = runtime.name
    runtime_missing = 'oci runtime "' in lowered and "not found" in lowered
    if "cgroups in hybrid mode" in lowered or runtime_missing:
        return (
            f"{client} could not start the container because its OCI runtime does not work on "
            f"this host ({reason}); set runtime = \"runc\" and cgroup_manager = \"cgroupfs\" "
            "under [engine] in containers.conf (/etc/containers/containers.conf, or a file "
            f"named by $CONTAINERS_CONF), and install runc; see {DOC}"
        )
    if "rlimit" in lowered:
        return (
            f"{client} could not apply its default ulimits to the container on this host "
            f"({reason}); set default_ulimits = [] under [containers] in containers.conf "
            "(/etc/containers/containers.conf, or a file named by $CONTAINERS_CONF); "
            f"see {DOC}"
        )
    if _NETWORK_PATTERN.search(lowered):
        rootless = " for rootless containers (it needs /dev/net/tun)" if runtime.rootless else ""
        return (
            f"{client} could not set up the container's network on this host ({reason}); "
            "set container.network: false in brigtui.yaml to run jobs without a network, "
            f"or fix the network setup of {client}{rootless}; see {DOC}"
        )
    return None
