"""The local executor: each job is a host process in a mount namespace (the default)."""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from pathlib import Path
from typing import ClassVar

from brigtui.engine.errors import JobFailed
from brigtui.engine.executors.base import (
    SHARE_MOUNT,
    BuildInfo,
    Executor,
    JobRequest,
    task_script,
)
from brigtui.engine.executors.process import kill_tagged_processes, run_process
from brigtui.engine.executors.sandbox import Sandbox, default_shell, detect_sandbox

logger = logging.getLogger(__name__)

SETUP_ATTEMPTS = 3
BUILD_TAG = "BRIGTUI_BUILD"
"""Environment variable that marks every process of a build, for clean-up after a crash."""

# Host variables a job inherits; everything else comes from the job's env.
_INHERITED = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")


class LocalExecutor(Executor):
    name: ClassVar[str] = "local"
    uses_image: ClassVar[bool] = False
    accepts_fds: ClassVar[bool] = True

    @property
    def sandbox(self) -> Sandbox:
        return detect_sandbox(self.settings.local.sandbox)

    def describe(self) -> str:
        return f"local ({self.sandbox.kind})"

    def shell_for(self, requested: str | None) -> str:
        if requested:
            return requested
        if self.settings.local.shell != "auto":
            return self.settings.local.shell
        return default_shell()

    async def start_build(self, build: BuildInfo) -> None:
        sandbox = self.sandbox
        if sandbox.kind == "none":
            build.note(
                f"warning: {SHARE_MOUNT} and /src could not be mounted ({sandbox.reason}); jobs "
                "run in the project folder and find the share through $BRIGADE_SHARE_DIR"
            )
        elif sandbox.reason:
            build.note(f"note: using {sandbox.kind} because {sandbox.reason}")

    async def run_job(self, request: JobRequest) -> int:
        spec, build = request.spec, request.build
        if spec.image:
            build.note_once(
                "image",
                "note: the local executor runs tasks on this host and ignores job images "
                "(use --executor container to run them in their images)",
            )
        shell = self.shell_for(spec.shell)
        script = build.work_dir / "jobs" / f"{spec.name}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(script, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
        with os.fdopen(fd, "w") as handle:
            handle.write(f": > {shlex.quote(str(script.with_suffix('.started')))}\n")
            handle.write(task_script(spec, shell))

        env = self.job_environment(request, inside_sandbox=self.sandbox.kind != "none")
        try:
            for attempt in range(1, SETUP_ATTEMPTS + 1):
                code, started = await self._run_in_sandbox(request, shell, script, env)
                replayable = request.stdin is None and request.stdin_fd is None
                if started or not replayable or request.stdout_fd is not None:
                    break
                if attempt == SETUP_ATTEMPTS:
                    break
                # bwrap binds the host's mounts recursively and fails when one disappears
                # meanwhile (a container runtime's overlay mounts come and go); try again.
                logger.info("Sandbox set-up of job %s failed; retrying.", spec.name)
                await asyncio.sleep(0.05 * attempt)
            if not started:
                raise JobFailed(
                    spec.name,
                    f"job '{spec.name}': the bubblewrap sandbox could not be set up "
                    f"(see the job's log); set local.sandbox to unshare or none in brigtui.yaml "
                    "if this persists",
                )
            return code
        finally:
            # The tasks may carry secret values: the script lives only while the job runs.
            script.unlink(missing_ok=True)

    async def _run_in_sandbox(
        self, request: JobRequest, shell: str, script: Path, env: dict[str, str]
    ) -> tuple[int, bool]:
        """Run the job once; return its exit code and whether the sandbox was set up.

        The script's first line creates a marker file, so a missing marker means the
        sandbox failed before any task ran.
        """
        spec, build = request.spec, request.build
        marker = script.with_suffix(".started")
        marker.unlink(missing_ok=True)
        share = build.share_dir if spec.storage else None
        command, cwd = self.sandbox.wrap(
            [shell, str(script)], build.source_dir, share, build.work_dir / f"root-{spec.name}"
        )
        code = await run_process(
            command,
            env=env,
            cwd=cwd,
            stdin=request.stdin,
            on_stdout=request.on_stdout,
            on_stderr=request.on_stderr,
            stdin_fd=request.stdin_fd,
            stdout_fd=request.stdout_fd,
        )
        started = True if code == 0 else marker.exists()
        marker.unlink(missing_ok=True)
        return code, started

    def job_environment(self, request: JobRequest, inside_sandbox: bool) -> dict[str, str]:
        spec, build = request.spec, request.build
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        env.update(spec.env)
        env.update(
            BRIGADE_BUILD_ID=build.id,
            BRIGADE_PROJECT=build.project,
            BRIGADE_JOB=spec.name,
        )
        if spec.storage:
            env["BRIGADE_SHARE_DIR"] = SHARE_MOUNT if inside_sandbox else str(build.share_dir)
        env[BUILD_TAG] = build.id
        return env

    async def end_build(self, build: BuildInfo, keep_share: bool) -> None:
        killed = kill_tagged_processes(BUILD_TAG, build.id)
        if killed:
            logger.warning("Killed %d leftover processes of build %s.", killed, build.id)
        for root in build.work_dir.glob("root-*"):
            _remove_empty_tree(root)


def _remove_empty_tree(path: Path) -> None:
    # The unshare sandbox's root folder holds only empty mount points once its namespace is gone.
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        try:
            child.unlink() if child.is_symlink() else child.rmdir()
        except OSError:
            pass
    try:
        path.rmdir()
    except OSError:
        logger.warning("Could not remove sandbox root %s.", path)
