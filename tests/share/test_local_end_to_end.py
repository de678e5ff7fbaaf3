"""The local backend end to end: a failed build keeps its share, the inspector and
`brigtui share` read what the first job wrote, and the shell cannot change it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from brigtui.cli import main
from brigtui.config import Settings
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.store import BuildRecord
from brigtui.share.backends import inspector_for
from brigtui.share.download import download
from brigtui.share.inspect_local import LocalInspector
from brigtui.share.inspector import ShareError, ShareNotFound
from tests.support import write_script

SECOND_FAILS = """
@events.on("exec")
async def run(event, project):
    one = Job("one", "alpine:3.19", [
        "mkdir -p /mnt/brigade/share/out",
        "head -c 100000 /dev/urandom > /mnt/brigade/share/out/random.bin",
        "printf 'hello\\\\n' > '/mnt/brigade/share/out/with space.txt'",
    ], storage=True)
    two = Job("two", "alpine:3.19", ["ls /mnt/brigade/share/out", "exit 3"], storage=True)
    await one.run()
    await two.run()
"""


async def failed_build(folder: Path) -> tuple[Engine, BuildRecord]:
    folder.mkdir(parents=True, exist_ok=True)
    script = write_script(folder, "fails.py", SECOND_FAILS)
    engine = Engine(folder, state_dir=folder.parent / "state")
    outcome = await engine.run_build(BuildRequest(script))
    record = engine.store.get_build(outcome.build_id)
    assert record is not None
    return engine, record


async def test_failed_build_share_inspected(tmp_path: Path) -> None:
    engine, build = await failed_build(tmp_path / "pipelines")
    try:
        assert build.status == "failed"
        assert build.share_state == "kept"
        inspector = inspector_for(build, Settings(), engine.state_dir)
        with inspector:
            assert [entry.name for entry in inspector.list_dir("")] == ["out"]
            listed = {entry.name: entry for entry in inspector.list_dir("out")}
            assert sorted(listed) == ["random.bin", "with space.txt"]
            assert listed["random.bin"].size == 100000
            report = download(inspector, "out", tmp_path / "downloads")
        share = Path(build.share_path or "")
        for name in listed:
            assert (tmp_path / "downloads" / "out" / name).read_bytes() == (share / "out" / name).read_bytes()
        assert report.bytes == 100000 + len("hello\n")
    finally:
        engine.close()


async def test_share_command_line(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pipelines"
    engine, build = await failed_build(folder)
    engine.close()
    monkeypatch.setenv("BRIGTUI_HOME", str(tmp_path / "state"))
    share = Path(build.share_path or "")

    assert main(["share", "ls", build.id, "out", "--dir", str(folder)]) == 0
    listing = capsysbinary.readouterr().out.decode()
    assert "random.bin" in listing
    assert "with space.txt" in listing

    assert main(["share", "cat", "last", "out/random.bin", "--dir", str(folder)]) == 0
    assert capsysbinary.readouterr().out == (share / "out" / "random.bin").read_bytes()

    dest = tmp_path / "got"
    assert main(["share", "get", build.id[:12], "out/random.bin", str(dest), "--dir", str(folder)]) == 0
    assert (dest / "random.bin").read_bytes() == (share / "out" / "random.bin").read_bytes()
    assert main(["share", "get", build.id, "out/random.bin", str(dest), "--dir", str(folder)]) == 1
    assert b"--force" in capsysbinary.readouterr().err
    assert main(["share", "get", build.id, "out/random.bin", str(dest), "--force",
                 "--dir", str(folder)]) == 0  # fmt: skip

    assert main(["share", "cat", build.id, "../../etc/passwd", "--dir", str(folder)]) == 1
    error = capsysbinary.readouterr()
    assert b"'..'" in error.err
    assert error.out == b""


async def test_succeeded_build_has_no_share(tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    script = write_script(folder, "ok.py", """
        @events.on("exec")
        async def run(event, project):
            await Job("one", "alpine:3.19", ["echo hi > /mnt/brigade/share/x"], storage=True).run()
    """)
    engine = Engine(folder, state_dir=tmp_path / "state")
    try:
        outcome = await engine.run_build(BuildRequest(script))
        build = engine.store.get_build(outcome.build_id)
        assert build is not None
        with pytest.raises(ShareNotFound, match="discarded"):
            inspector_for(build, Settings(), engine.state_dir)
    finally:
        engine.close()


SHELL_INPUT = b"""
pwd
cat report.txt
echo changed > /mnt/brigade/share/report.txt
touch /mnt/brigade/share/new-file
mount -o remount,rw /mnt/brigade/share
touch /mnt/brigade/share/after-remount
exit 0
"""


@pytest.mark.parametrize("sandbox", ["bubblewrap", "unshare"])
def test_shell_is_read_only(share: Path, sandbox: str) -> None:
    if sandbox == "bubblewrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    inspector = LocalInspector(share, "b1", sandbox)
    command = inspector.shell_command()
    assert command[0].endswith("bwrap" if sandbox == "bubblewrap" else "unshare")
    completed = subprocess.run(command, input=SHELL_INPUT, capture_output=True, timeout=60, check=False)
    assert b"/mnt/brigade/share\n" in completed.stdout
    assert b"line one\nline two\n" in completed.stdout
    assert (share / "report.txt").read_bytes() == b"line one\nline two\n"
    assert not (share / "new-file").exists()
    assert not (share / "after-remount").exists()
    assert b"Read-only file system" in completed.stderr


def test_shell_refused_without_sandbox(share: Path) -> None:
    with pytest.raises(ShareError, match="read-only"):
        LocalInspector(share, "b1", "none").shell_command()
