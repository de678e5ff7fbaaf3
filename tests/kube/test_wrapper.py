"""The job wrapper under the shells that images ship: exit code kept, stderr lines marked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from brigtui.kube import wrapper

MARKER = "\x1ebrigtui-stderr-test\x1e"
SHELLS = [
    shell for shell in (["dash"], ["bash"], ["busybox", "sh"]) if shutil.which(shell[0])
]


def run_wrapper(tmp_path: Path, shell: list[str], tasks: str, stdin: bytes | None
                ) -> subprocess.CompletedProcess[bytes]:
    job_dir = tmp_path / "job"
    source = tmp_path / "src"
    job_dir.mkdir()
    source.mkdir()
    (job_dir / wrapper.TASKS_KEY).write_text(tasks)
    if stdin is not None:
        (job_dir / wrapper.STDIN_KEY).write_bytes(stdin)
    # The pod mounts the job's Secret at JOB_DIR; here the script points at a temporary copy.
    script = wrapper.wrapper_script(MARKER, " ".join(shell), str(source)).replace(
        wrapper.JOB_DIR, str(job_dir)
    ).replace("'" + " ".join(shell) + "'", " ".join(shell))
    return subprocess.run([*shell, "-c", script], capture_output=True, timeout=30, check=False)


@pytest.mark.parametrize("shell", SHELLS, ids=[" ".join(shell) for shell in SHELLS])
def test_wrapper_keeps_exit_code(tmp_path: Path, shell: list[str]) -> None:
    tasks = "set -e\necho out1\necho err1 >&2\nfalse\necho never\n"
    completed = run_wrapper(tmp_path, shell, tasks, None)
    assert completed.returncode == 1
    assert completed.stdout == b"out1\n"
    assert completed.stderr == MARKER.encode() + b"err1\n"


@pytest.mark.parametrize("shell", SHELLS, ids=[" ".join(shell) for shell in SHELLS])
def test_wrapper_marks_every_stderr_line(tmp_path: Path, shell: list[str]) -> None:
    tasks = "printf 'a\\\\b\\n  c \\n' >&2\nprintf 'no newline' >&2\nexit 7\n"
    completed = run_wrapper(tmp_path, shell, tasks, None)
    assert completed.returncode == 7
    marker = MARKER.encode()
    assert completed.stderr == marker + b"a\\b\n" + marker + b"  c \n" + marker + b"no newline\n"


@pytest.mark.parametrize("shell", SHELLS, ids=[" ".join(shell) for shell in SHELLS])
def test_wrapper_feeds_stdin_file(tmp_path: Path, shell: list[str]) -> None:
    completed = run_wrapper(tmp_path, shell, "sort\npwd\n", b"b\na\n")
    assert completed.returncode == 0
    assert completed.stdout == b"a\nb\n" + str(tmp_path / "src").encode() + b"\n"
