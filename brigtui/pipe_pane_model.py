"""The pipe pane's state: its source, filter, target and run, with no Textual import.

The pane moves data from a source (a recorded job's output, or a file from a build's
share) through an optional filter command into one job of a script. This module holds
that state and the blocking steps (reading a share file into a local file, measuring how
much of a file a running build has read); the screen runs those steps in thread workers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from brigtui.engine.ansi import strip_ansi
from brigtui.engine.executors.base import JobSpec
from brigtui.engine.ids import utc_now
from brigtui.engine.model import Result, format_size
from brigtui.share.handover import HowIn, Source
from brigtui.share.inspector import ShareInspector

logger = logging.getLogger(__name__)

PREVIEW_BYTES = 4096
"""Bytes of a source, a filter output or a result read for its preview."""
PREVIEW_LINES = 200
COPY_CHUNK = 1024 * 1024
"""Bytes read from a share per call while copying a share file for a move."""
PROGRESS_STEP = 4 * 1024 * 1024
"""Bytes copied between two progress reports, so a 100 MiB file gives 25 reports."""
DEFAULT_IMAGE = "alpine:3.19"
"""Image of the filter job when neither the source job nor the target names one."""
HOW_TITLES: dict[HowIn, str] = {
    "env": "environment variable",
    "stdin": "standard input",
    "share": "file in the share",
}


@dataclass
class SourceChoice:
    """A source the user picked: one job's recorded output, or one file of a build's share."""

    build_id: str
    job: str | None = None
    share_path: str | None = None
    size: int | None = None
    image: str = ""
    inspector: ShareInspector | None = field(default=None, compare=False, repr=False)
    """The open inspector a share file is read through; the pane closes it."""

    @property
    def label(self) -> str:
        if self.share_path is not None:
            return f"share:{self.share_path} of build {self.build_id}"
        return f"build {self.build_id} job {self.job}"


@dataclass
class Progress:
    """How far a move got: `phase` is `copying` (share to local file) or `delivering`."""

    phase: str
    done: int
    total: int


@dataclass
class PipeState:
    """Everything the pane shows, changed only on the app's event loop."""

    choice: SourceChoice | None = None
    source: Source | None = None
    """The source as the engine takes it; None until loaded (or, for a share file, copied)."""
    source_preview: str = ""
    source_script: Path | None = None
    """The script of the source's build; a filter build records it when no target is picked."""
    filter_command: str = ""
    filter_status: str = "none"
    """`none`, `running`, `succeeded` or `failed`."""
    filter_source: Source | None = None
    filter_preview: str = ""
    script: Path | None = None
    spec: JobSpec | None = None
    how: HowIn = "stdin"
    name: str = ""
    """The env variable's name (how=env) or the share file's name (how=share)."""
    run_status: str = "none"
    """`none`, `copying`, `running`, `succeeded`, `failed` or `cancelled`."""
    run_build: str | None = None
    job_states: dict[str, str] = field(default_factory=dict)
    """States of the jobs of the running build (`handover`, then the target job)."""
    progress: Progress | None = None
    result_preview: str = ""
    message: str = ""
    offer_stdin: bool = False
    """True after a value was refused for an env variable: the pane offers stdin instead."""
    staged: list[Path] = field(default_factory=list)
    """Local copies of share files this pane made, removed when the pane closes."""

    def input_source(self) -> Source | None:
        """Return what goes into the target: the filter's output when a filter ran, else the source."""
        if self.filter_command and self.filter_status == "succeeded":
            return self.filter_source
        return self.source

    def input_size(self) -> int | None:
        current = self.input_source()
        if current is not None:
            return current.size
        return self.choice.size if self.choice is not None else None

    def set_target(self, script: Path, spec: JobSpec) -> None:
        """Choose the target job, and how its data goes in from what the job already reads."""
        self.script, self.spec = script, spec
        self.how, self.name = default_how(spec)
        self.offer_stdin = False

    def set_how(self, how: HowIn) -> None:
        self.how = how
        self.offer_stdin = False
        if how == "env" and not self.name.isidentifier():
            self.name = next(iter(self.spec.env), "DATA") if self.spec is not None else "DATA"
        if how == "share" and (not self.name or "/" in self.name):
            self.name = "input"

    def busy(self) -> bool:
        return self.run_status in ("copying", "running") or self.filter_status == "running"

    def forget_filter_output(self) -> None:
        """Drop the filter's output (the source or the command changed); keep the command."""
        self.filter_status = "none"
        self.filter_source = None
        self.filter_preview = ""


def default_how(spec: JobSpec) -> tuple[HowIn, str]:
    """Return how a job most likely takes data: its first env variable, else the share, else stdin."""
    if spec.env:
        return "env", next(iter(spec.env))
    if spec.storage:
        return "share", "input"
    return "stdin", ""


def describe_how(how: HowIn, name: str) -> str:
    if how == "env":
        return f"env {name}"
    if how == "share":
        return f"share file {name}"
    return "stdin"


_CONTROLS = {code: "·" for code in [*range(0x20), 0x7F] if chr(code) not in "\n\t"}


def preview_text(data: bytes, size: int) -> str:
    """Decode the head of some data for a preview.

    ANSI escape sequences are removed, invalid UTF-8 becomes U+FFFD, and other control
    characters become `·`, so binary data cannot move the terminal's cursor.
    """
    text = strip_ansi(data.decode("utf-8", errors="replace")).replace("\r\n", "\n")
    text = text.translate(_CONTROLS)
    lines = text.splitlines()[:PREVIEW_LINES]
    if size > len(data):
        lines.append(f"… ({format_size(size - len(data))} more)")
    if not lines:
        return "(empty)"
    return "\n".join(lines)


def progress_bar(progress: Progress, width: int = 20) -> str:
    """Draw progress with glyphs, so it reads without colour: `████░░░░ 45%`."""
    total = max(progress.total, 1)
    share = min(progress.done / total, 1.0)
    filled = round(share * width)
    return f"{'█' * filled}{'░' * (width - filled)} {share:4.0%}"


def staging_dir(state_dir: Path) -> Path:
    """Folder for local copies of share files; beside the store, not in a RAM-backed /tmp."""
    folder = state_dir / "pipe-pane"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def copy_share_file(
    inspector: ShareInspector,
    path: str,
    size: int,
    folder: Path,
    report: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> Path:
    """Copy a share file to a private local file, reporting the bytes copied (blocking).

    `report` is called after every PROGRESS_STEP bytes and once at the end. Returns the
    local file. When `cancelled()` turns true, removes the file and raises InterruptedError.
    """
    # TODO(2026-12-04): stream through `inspector.open_tar` for the container and Kubernetes
    # inspectors. They run one command per `read`, so a large file costs one per COPY_CHUNK.
    descriptor, name = tempfile.mkstemp(prefix="source-", dir=folder)
    local = Path(name)
    copied, reported = 0, 0
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in inspector.read_chunks(path, COPY_CHUNK):
                if cancelled():
                    raise InterruptedError(f"copying share:{path} was cancelled")
                handle.write(chunk)
                copied += len(chunk)
                if copied - reported >= PROGRESS_STEP:
                    report(copied)
                    reported = copied
        report(copied)
    except BaseException:
        local.unlink(missing_ok=True)
        raise
    if copied != size:
        logger.info("Share file %s changed size while it was copied: %d bytes, not %d.",
                    path, copied, size)
    return local


def share_file_source(local: Path, build_id: str, path: str) -> Source:
    """Wrap a local copy of a share file as a Result, so every route streams it.

    The engine takes a plain Path as stdin only when it lies in the running build's own
    share. So a copy from another build's share goes in as a recorded output instead, and
    its hand-over names the source build and `share:PATH`.
    """
    now = utc_now()
    result = Result(
        job=f"share:{path}",
        exit_code=0,
        output_path=local,
        size=local.stat().st_size,
        log_path=local.with_suffix(".log"),
        started_at=now,
        finished_at=now,
        build_id=build_id,
    )
    return Source(result=result, label=f"share:{path} of build {build_id}")


def bytes_read_from(path: Path) -> int | None:
    """Return how far this process has read `path` through an open descriptor (Linux).

    The engine streams a job's standard input from a file in this process, so the file
    offset of that descriptor is how much of the input was handed to the job. Returns None
    when no descriptor of this process has the file open.
    """
    # TODO(2026-12-04): replace this /proc probe with a progress message from the engine
    # once it reports how many bytes of a job's stdin it has sent.
    wanted = str(path.resolve())
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return None
    positions = []
    for number in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{number}") != wanted:
                continue
            with open(f"/proc/self/fdinfo/{number}") as info:
                for line in info:
                    if line.startswith("pos:"):
                        positions.append(int(line.split()[1]))
        except (OSError, ValueError):
            continue
    return max(positions) if positions else None
