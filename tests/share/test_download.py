"""Downloads: bytes match, nothing lands outside the folder, nothing is overwritten unasked."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pytest

from brigtui.share.download import DownloadConflict, download, member_names
from brigtui.share.inspect_local import LocalInspector
from brigtui.share.inspector import Entry, ShareError, ShareInspector
from tests.share.support import INVALID_UTF8, ODD_NAMES


def test_folder_download_matches(inspector: ShareInspector, share: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    seen: list[tuple[int, int]] = []
    report = download(inspector, "data", dest, progress=lambda done, total, _: seen.append((done, total)))
    assert (dest / "data" / "blob.bin").read_bytes() == (share / "data" / "blob.bin").read_bytes()
    assert (dest / "data" / "deep" / "leaf.py").read_bytes() == (share / "data/deep/leaf.py").read_bytes()
    # A link that leaves the downloaded folder is not recreated, and the report lists it.
    assert not os.path.lexists(dest / "data" / "up-out")
    assert any("up-out" in line and "outside the downloaded folder" in line for line in report.skipped)
    assert report.files == 2
    assert seen[-1] == (report.bytes, report.bytes)
    assert all(done <= total for done, total in seen)


def test_odd_names_download(inspector: ShareInspector, share: Path, tmp_path: Path) -> None:
    for name in [*ODD_NAMES, INVALID_UTF8]:
        download(inspector, name, tmp_path / "dest")
        assert (tmp_path / "dest" / name).read_bytes() == (share / name).read_bytes()


def test_whole_share_download(inspector: ShareInspector, share: Path, tmp_path: Path) -> None:
    report = download(inspector, "", tmp_path / "dest")
    assert (tmp_path / "dest" / "share" / "report.txt").read_bytes() == b"line one\nline two\n"
    assert not os.path.lexists(tmp_path / "dest" / "share" / "absolute-out")
    assert any("absolute-out" in line for line in report.skipped)
    assert all("outside the downloaded folder" in line for line in report.skipped)


def test_existing_file_not_overwritten(share: Path, tmp_path: Path) -> None:
    inspector = LocalInspector(share, "b1")
    dest = tmp_path / "dest"
    (dest / "data").mkdir(parents=True)
    (dest / "data" / "blob.bin").write_bytes(b"mine")
    with pytest.raises(DownloadConflict) as caught:
        download(inspector, "data", dest)
    assert caught.value.paths == ["data/blob.bin"]
    assert (dest / "data" / "blob.bin").read_bytes() == b"mine"
    assert not (dest / "data" / "deep").exists()

    download(inspector, "data", dest, overwrite=True)
    assert (dest / "data" / "blob.bin").read_bytes() == (share / "data" / "blob.bin").read_bytes()


def test_overwrite_replaces_link_not_target(share: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "report.txt")
    download(LocalInspector(share, "b1"), "report.txt", dest, overwrite=True)
    assert outside.read_bytes() == b"keep me"
    assert not (dest / "report.txt").is_symlink()
    assert (dest / "report.txt").read_bytes() == b"line one\nline two\n"


class ArchiveInspector(ShareInspector):
    """Serves a prepared tar archive, as a compromised debug pod could."""

    build_id = "hostile"

    def __init__(self, archive: bytes) -> None:
        self.archive = archive

    def list_dir(self, path: str) -> list[Entry]:
        return []

    def stat(self, path: str) -> Entry:
        return Entry(path, "file", 0, 0o100644, 0.0)

    def read(self, path: str, offset: int, length: int) -> bytes:
        return b""

    @contextmanager
    def _stream(self) -> Iterator[BinaryIO]:
        yield io.BytesIO(self.archive)

    def open_tar(self, path: str) -> Iterator[BinaryIO]:  # type: ignore[override]
        return self._stream()  # type: ignore[return-value]

    def measure(self, path: str) -> tuple[int, int]:
        return 1, 4

    def shell_command(self) -> list[str]:
        return ["true"]


def hostile_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        def add(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            member = tarfile.TarInfo(name)
            member.type = kind
            member.linkname = link
            data = b"evil" if kind == tarfile.REGTYPE else b""
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))

        add("../escaped.txt")
        add("/tmp/absolute-escape.txt")
        add("out", tarfile.SYMTYPE, "..")
        add("out/through-link.txt")
        add("ok/fine.txt")
    return buffer.getvalue()


def test_hostile_archive_stays_inside(tmp_path: Path) -> None:
    dest = tmp_path / "box" / "dest"
    report = download(ArchiveInspector(hostile_archive()), "x", dest)
    assert not (tmp_path / "box" / "escaped.txt").exists()
    assert not (tmp_path / "box" / "through-link.txt").exists()
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert (dest / "ok" / "fine.txt").read_bytes() == b"evil"
    assert len(report.skipped) == 3
    assert report.skipped[2].startswith("out: a link to ..")
    # With the link refused, `out` is a plain folder inside the destination.
    assert (dest / "out" / "through-link.txt").read_bytes() == b"evil"
    assert sorted(os.listdir(tmp_path / "box")) == ["dest"]


def test_member_names_rules() -> None:
    assert member_names("./a/b") == ["a", "b"]
    with pytest.raises(ShareError):
        member_names("a/../../b")
    with pytest.raises(ShareError):
        member_names("/etc/passwd")


def test_link_leaves_download() -> None:
    from brigtui.share.download import link_leaves

    assert link_leaves("a/link", "/etc/passwd")
    assert link_leaves("link", "../outside")
    assert link_leaves("a/b/link", "../../../x")
    assert not link_leaves("a/link", "../b/file")
    assert not link_leaves("link", "sub/./file")
    assert not link_leaves("a/b/link", "../../c")
