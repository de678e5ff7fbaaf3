"""The container executor's inspector: one container with the share mounted read-only.

`open()` starts the container detached (it sleeps until the deadline), every operation is a
`podman exec` (or `docker exec`) in it, and `close()` removes it. The container carries the
owner label that `brigtui gc` uses to remove it once this brigtui process is gone.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
from pathlib import Path

from brigtui.config import Settings
from brigtui.container.debug import debug_command
from brigtui.container.gc import remove_args
from brigtui.container.runtime import CLIENT_TIMEOUT, Runtime, detect_runtime
from brigtui.engine.errors import ExecutorError
from brigtui.share.exec_inspector import CommandTransport, ExecInspector
from brigtui.share.inspector import ShareError, ShareNotFound

logger = logging.getLogger(__name__)

DEFAULT_IMAGE = "busybox:1.36"
"""Image for a build whose jobs left no image name (it needs `sh`, `find`, `stat`, `tar`)."""
DEFAULT_DEADLINE = 3600
"""Seconds after which podman stops the inspector's container on its own."""


class ContainerInspector(ExecInspector):
    """Inspects a host share folder from inside a container of the build's image."""

    backend = "container"

    def __init__(self, settings: Settings, share_dir: Path, build_id: str, project: str,
                 image: str, deadline: int = DEFAULT_DEADLINE) -> None:
        super().__init__(build_id)
        self.settings = settings
        self.share_dir = share_dir
        self.project = project
        self.image = settings.container.debug_image or image
        self.deadline = deadline
        self.name = f"brigtui-inspect-{build_id}-{secrets.token_hex(2)}"
        self.runtime: Runtime | None = None
        self.started = False

    def open(self) -> None:
        if self._transport is not None:
            return
        if not self.share_dir.is_dir():
            raise ShareNotFound(f"build {self.build_id} has no share folder at {self.share_dir} any more")
        try:
            runtime = self.runtime = detect_runtime(self.settings.container.runtime)
        except ExecutorError as error:
            raise ShareError(str(error)) from None

        # Start the container detached; it only sleeps, every operation is an exec.
        args = debug_command(runtime, self.image, self.share_dir, ["sleep", str(self.deadline)],
                             project=self.project, build_id=self.build_id, name=self.name,
                             deadline=self.deadline)
        args.insert(args.index("run") + 1, "--detach")
        completed = subprocess.run(args, capture_output=True, text=True, errors="replace",
                                   timeout=CLIENT_TIMEOUT * 5, check=False)
        if completed.returncode != 0:
            self.close()
            raise ShareError(
                f"cannot start the inspector's container from image {self.image}: "
                f"{completed.stderr.strip() or completed.returncode}; set container.debug_image "
                "in brigtui.yaml to an image with a shell and busybox tools"
            )
        self.started = True
        logger.info("Started inspector container %s for build %s.", self.name, self.build_id)
        self._transport = CommandTransport([runtime.path, "exec", "-i", self.name],
                                           [runtime.path, "exec", "-it", self.name])
        self.where = f"{runtime.name} container {self.name} ({self.image})"

    def close(self) -> None:
        self._transport = None
        if self.runtime is None or not self.started:
            return
        self.started = False
        completed = subprocess.run([self.runtime.path, *remove_args(self.runtime, [self.name])],
                                   capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=False)
        if completed.returncode != 0:
            logger.warning("Cannot remove inspector container %s: %s", self.name, completed.stderr.strip())
