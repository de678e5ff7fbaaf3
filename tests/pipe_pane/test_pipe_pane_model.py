"""The pipe pane's Textual-free parts: defaults, previews, progress, copies of share files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from brigtui.engine.executors.base import JobSpec
from brigtui.pipe_pane_model import (
    PROGRESS_STEP,
    PipeState,
    Progress,
    bytes_read_from,
    copy_share_file,
    default_how,
    preview_text,
    progress_bar,
    share_file_source,
)
from brigtui.share.inspect_local import LocalInspector
from brigtui.share.inspector import ShareEscape

REPO = Path(__file__).resolve().parents[2]


def spec(env: dict[str, str] | None = None, storage: bool = False) -> JobSpec:
    return JobSpec("two", "alpine:3.19", ["true"], env or {}, storage, None, None, "IfNotPresent",
                   False, None, {}, {}, {}, False)


def test_default_how_follows_the_job() -> None:
    assert default_how(spec({"DATA": "", "MODE": "x"})) == ("env", "DATA")
    assert default_how(spec(storage=True)) == ("share", "input")
    assert default_how(spec()) == ("stdin", "")


def test_set_how_fills_a_usable_name() -> None:
    state = PipeState()
    state.set_target(Path("pass_output.py"), spec({"DATA": ""}))
    state.set_how("share")
    assert state.name == "DATA"
    state.name = "a/b"
    state.set_how("share")
    assert state.name == "input"
    state.name = "not a name"
    state.set_how("env")
    assert state.name == "DATA"


def test_preview_removes_escapes_and_controls() -> None:
    data = b"\x1b[31mred\x1b[0m fox\r\nnul\x00bell\x07\ttab\n\xff"
    assert preview_text(data, len(data)) == "red fox\nnul·bell·\ttab\n\ufffd"
    assert preview_text(b"", 0) == "(empty)"
    assert preview_text(b"head\n", 5 + 2048).endswith("… (2.0 KiB more)")


def test_progress_bar_reads_without_colour() -> None:
    assert progress_bar(Progress("copying", 0, 100), 4) == "░░░░   0%"
    assert progress_bar(Progress("copying", 50, 100), 4) == "██░░  50%"
    assert progress_bar(Progress("copying", 7, 0), 4) == "████ 100%"


def test_copy_share_file_reports_progress(tmp_path: Path) -> None:
    share, staging = tmp_path / "share", tmp_path / "staging"
    share.mkdir()
    staging.mkdir()
    data = bytes(range(256)) * (PROGRESS_STEP * 2 // 256 + 3)
    (share / "data.bin").write_bytes(data)
    inspector = LocalInspector(share, "build-1")
    reports: list[int] = []

    local = copy_share_file(inspector, "data.bin", len(data), staging, reports.append, lambda: False)
    assert local.read_bytes() == data
    assert reports == [PROGRESS_STEP, 2 * PROGRESS_STEP, len(data)]

    source = share_file_source(local, "build-1", "data.bin")
    assert source.size == len(data)
    assert source.label == "share:data.bin of build build-1"
    assert source.result is not None
    assert (source.result.build_id, source.result.job) == ("build-1", "share:data.bin")


def test_copy_share_file_cancelled_leaves_nothing(tmp_path: Path) -> None:
    share, staging = tmp_path / "share", tmp_path / "staging"
    share.mkdir()
    staging.mkdir()
    (share / "data.bin").write_bytes(b"x" * (PROGRESS_STEP + 10))
    inspector = LocalInspector(share, "build-1")
    with pytest.raises(InterruptedError, match=r"copying share:data\.bin was cancelled"):
        copy_share_file(inspector, "data.bin", PROGRESS_STEP + 10, staging, lambda done: None, lambda: True)
    assert list(staging.iterdir()) == []


def test_copy_share_file_rejects_escape(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (tmp_path / "secret").write_text("no")
    (share / "link").symlink_to(tmp_path / "secret")
    inspector = LocalInspector(share, "build-1")
    with pytest.raises(ShareEscape):
        copy_share_file(inspector, "link", 2, tmp_path, lambda done: None, lambda: False)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("source-")] == []


def test_bytes_read_from_open_file(tmp_path: Path) -> None:
    path = tmp_path / "input"
    path.write_bytes(b"x" * 1000)
    assert bytes_read_from(path) is None
    with path.open("rb") as handle:
        assert bytes_read_from(path) == 0
        handle.raw.read(300)
        assert bytes_read_from(path) == 300


def test_model_imports_without_textual() -> None:
    code = "import sys, brigtui.pipe_pane_model; print(any(m.startswith('textual') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            check=True)
    assert result.stdout.strip() == "False"
