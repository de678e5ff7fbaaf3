"""The container executor: each job runs in its own image through the podman or docker client.

A job is one `run --rm` client process. The tasks script is mounted read-only, and env
values come from an env file (mode 0600, deleted when the job ends), so none is on a
command line. The project source is the working directory at /src, and a storage-enabled
job gets the build's share at /mnt/brigade/share. A cancelled or timed-out job has its
container killed and removed by name. The end of a build removes any container still
labelled with the build.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from brigtui.config import Settings
from brigtui.container.command import (
    DEFAULT_SHELL,
    RunFiles,
    container_name,
    resource_flags,
    run_command,
    write_env_file,
)
from brigtui.container.failures import (
    CLIENT_EXIT_CODES,
    StderrTail,
    explain_client_failure,
    is_client_failure,
)
from brigtui.container.gc import (
    gc_containers,
    remove_args,
    remove_build_containers,
    remove_share_rootless,
)
from brigtui.container.runtime import Runtime, detect_runtime, run_client, selinux_enabled
from brigtui.engine.errors import ExecutorError, JobFailed, JobSpecError
from brigtui.engine.executors.base import (
    SHARE_MOUNT,
    BuildInfo,
    Executor,
    JobRequest,
    JobSpec,
    task_script,
)
from brigtui.engine.executors.process import run_process

__all__ = ["ContainerExecutor", "gc_containers"]

logger = logging.getLogger(__name__)

FILES_FOLDER = "container"
"""Folder in the build's work folder for tasks scripts and env files, readable by the owner only."""


@dataclass
class _PreparedRun:
    name: str
    files: RunFiles
    command: list[str]
    client_env: dict[str, str]
    """The client's environment: this process's, plus env values too long for the env file."""


class ContainerExecutor(Executor):
    name: ClassVar[str] = "container"
    accepts_fds: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._builds_to_sweep: set[str] = set()
        """Builds with a job that ended abnormally, whose containers end_build looks for."""

    @property
    def runtime(self) -> Runtime:
        return detect_runtime(self.settings.container.runtime)

    def describe(self) -> str:
        try:
            return f"container ({self.runtime.describe()})"
        except ExecutorError:
            return "container (no client installed)"

    async def start_build(self, build: BuildInfo) -> None:
        runtime = self.runtime
        files = build.work_dir / FILES_FOLDER
        files.mkdir(mode=0o700, parents=True, exist_ok=True)
        logger.debug("Build %s runs its jobs with %s.", build.id, runtime.describe())

    async def run_job(self, request: JobRequest) -> int:
        spec, build = request.spec, request.build
        runtime = self.runtime

        # Check the fields this executor maps, and note once which ones it ignores.
        self._check_privileged(spec)
        self._note_ignored_fields(build, spec)

        # Write the job's files and build the client's command.
        prepared = self._prepare(request, runtime)
        name, files = prepared.name, prepared.files

        # Run the client; its standard error also feeds the tail that explains a failed start.
        tail = StderrTail()

        async def on_stderr(chunk: bytes) -> None:
            tail.feed(chunk)
            await request.on_stderr(chunk)

        async def remove_container() -> None:
            result = await run_client(runtime, *remove_args(runtime, [name]))
            if result.returncode != 0 and "no such container" not in result.stderr.lower():
                logger.warning("Removing container %s failed: %s", name, result.stderr.strip())

        try:
            code = await run_process(
                prepared.command,
                env=prepared.client_env,
                cwd=build.work_dir,
                stdin=request.stdin,
                on_stdout=request.on_stdout,
                on_stderr=on_stderr,
                on_stop=remove_container,
                stdin_fd=request.stdin_fd,
                stdout_fd=request.stdout_fd,
            )
        except BaseException:
            self._builds_to_sweep.add(build.id)
            raise
        finally:
            created = files.cid_file.exists()
            files.remove_client_files()

        # An exit code from 125 to 127 with the client's own error line can mean that the
        # container never ran. Then the job failed to start, and the message explains why.
        reason = tail.client_error(runtime) if code in CLIENT_EXIT_CODES else None
        if reason is not None and is_client_failure(code, reason, created):
            if created:
                self._builds_to_sweep.add(build.id)
            message = explain_client_failure(runtime, spec, reason)
            raise JobFailed(spec.name, f"job '{spec.name}' could not start: {message}")
        return code

    def _prepare(self, request: JobRequest, runtime: Runtime) -> _PreparedRun:
        """Write the tasks script and env file (in a folder only the owner can open)."""
        spec, build = request.spec, request.build
        folder = build.work_dir / FILES_FOLDER
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        files = RunFiles(
            folder / f"{spec.name}.sh", folder / f"{spec.name}.env", folder / f"{spec.name}.cid"
        )
        files.remove_client_files()
        try:
            _write_script(files.script, task_script(spec, spec.shell or DEFAULT_SHELL))
            client_env = dict(os.environ)
            client_env.update(write_env_file(files.env_file, self.job_environment(request)))
            name = container_name(build.id, spec.name)
            command = run_command(
                runtime,
                self.settings.container,
                spec,
                name=name,
                labels=self.labels(build, spec.name),
                files=files,
                source=build.source_dir,
                share=build.share_dir if spec.storage else None,
                interactive=request.stdin is not None or request.stdin_fd is not None,
                relabel=selinux_enabled(),
            )
        except JobSpecError as error:
            files.remove_client_files()
            raise JobFailed(spec.name, f"job '{spec.name}': {error}") from None
        return _PreparedRun(name, files, command, client_env)

    def job_environment(self, request: JobRequest) -> dict[str, str]:
        spec, build = request.spec, request.build
        env = dict(spec.env)
        env.update(
            BRIGADE_BUILD_ID=build.id,
            BRIGADE_PROJECT=build.project,
            BRIGADE_JOB=spec.name,
        )
        if spec.storage:
            env["BRIGADE_SHARE_DIR"] = SHARE_MOUNT
        return env

    async def end_build(self, build: BuildInfo, keep_share: bool) -> None:
        # Only a job that was stopped or failed to start can have left a container behind.
        if build.id in self._builds_to_sweep:
            self._builds_to_sweep.discard(build.id)
            left = await remove_build_containers(self.runtime, build.id)
            if left:
                logger.warning("Removed %d leftover containers of build %s.", left, build.id)
        # Rootless podman maps the container's other users to subordinate ids, whose files
        # in the share this user cannot delete; `podman unshare` deletes them as their owner.
        if not keep_share and build.share_dir.exists() and self.runtime.rootless:
            await remove_share_rootless(self.runtime, build.share_dir)

        folder = build.work_dir / FILES_FOLDER
        for pattern in ("*.env", "*.cid"):
            for leftover in folder.glob(pattern):
                leftover.unlink(missing_ok=True)

    def _check_privileged(self, spec: JobSpec) -> None:
        if spec.privileged and not self.settings.container.allow_privileged:
            raise JobFailed(
                spec.name,
                f"job '{spec.name}' asks for a privileged container, which this project does "
                "not allow; set container.allow_privileged: true in brigtui.yaml to run it",
            )

    def _note_ignored_fields(self, build: BuildInfo, spec: JobSpec) -> None:
        try:
            ignored = resource_flags(spec)[1]
        except JobSpecError as error:
            raise JobFailed(spec.name, f"job '{spec.name}': {error}") from None
        if spec.service_account:
            ignored.append("service_account")
        if spec.annotations:
            ignored.append("annotations")
        for field_name in ignored:
            build.note_once(
                f"container-ignores-{field_name}",
                f"note: the container executor ignores the job field {field_name} "
                f"(first set by job '{spec.name}'); only Kubernetes uses it",
            )


def _write_script(path: Path, text: str) -> None:
    # Readable by every user inside the container, because an image may run as non-root;
    # the folder around it keeps other host users out.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o644)
