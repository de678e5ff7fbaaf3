"""Both inspector backends on one odd share: listing, reads, archives and every escape case."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from brigtui.share.inspector import (
    ShareError,
    ShareEscape,
    ShareInspector,
    ShareLinkLoop,
    ShareNotFound,
    display_name,
    split_path,
)
from tests.share.support import INVALID_UTF8, ODD_NAMES


def names(inspector: ShareInspector, path: str) -> list[str]:
    return [entry.name for entry in inspector.list_dir(path)]


def test_root_listing_has_every_name(inspector: ShareInspector, share: Path) -> None:
    listed = names(inspector, "")
    assert listed == sorted(os.listdir(share))
    for name in ODD_NAMES:
        assert name in listed
    assert INVALID_UTF8 in listed


def test_listing_shows_links_as_links(inspector: ShareInspector) -> None:
    entries = {entry.name: entry for entry in inspector.list_dir("")}
    assert entries["absolute-out"].kind == "link"
    assert entries["absolute-out"].link_target == "/etc/passwd"
    assert entries["relative-out"].link_target == "../../../../../../etc/passwd"
    assert entries["loop-a"].kind == "link"
    assert entries["data"].kind == "dir"
    assert entries["report.txt"].kind == "file"
    assert entries["report.txt"].size == 18
    assert stat.S_IMODE(entries["report.txt"].mode) == 0o644
    assert entries["report.txt"].mtime > 0


def test_sub_folder_paths(inspector: ShareInspector) -> None:
    entries = inspector.list_dir("data")
    assert [entry.path for entry in entries] == [
        "data/blob.bin", "data/deep", "data/up-out", "data/up-to-root",
    ]  # fmt: skip


@pytest.mark.parametrize("name", [*ODD_NAMES, INVALID_UTF8])
def test_odd_names_readable(inspector: ShareInspector, share: Path, name: str) -> None:
    expected = (share / name).read_bytes()
    assert inspector.read(name, 0, 1000) == expected
    assert inspector.stat(name).size == len(expected)


def test_ranged_reads(inspector: ShareInspector, share: Path) -> None:
    blob = (share / "data" / "blob.bin").read_bytes()
    assert inspector.read("data/blob.bin", 0, 16) == blob[:16]
    assert inspector.read("data/blob.bin", 1000, 48) == blob[1000:1048]
    assert inspector.read("data/blob.bin", 2040, 100) == blob[2040:]
    assert inspector.read("data/blob.bin", 5000, 10) == b""


def test_links_inside_share_followed(inspector: ShareInspector) -> None:
    report = b"line one\nline two\n"
    assert inspector.read("inside-link", 0, 100) == report
    assert inspector.read("mount-link", 0, 100) == report
    assert inspector.read("data/up-to-root/report.txt", 0, 100) == report
    assert [e.name for e in inspector.list_dir("data-link")] == names(inspector, "data")
    assert inspector.read("/mnt/brigade/share/report.txt", 0, 100) == report


@pytest.mark.parametrize("path", ["../etc/passwd", "data/../../x", "/etc/passwd", "a/\0b"])
def test_path_escapes_rejected(inspector: ShareInspector, path: str) -> None:
    with pytest.raises(ShareEscape):
        inspector.read(path, 0, 10)
    with pytest.raises(ShareEscape):
        inspector.list_dir(path)


def test_relative_link_out_refused(inspector: ShareInspector) -> None:
    with pytest.raises((ShareEscape, ShareLinkLoop)) as caught:
        inspector.read("relative-out", 0, 100)
    assert b"root:" not in str(caught.value).encode()
    with pytest.raises(ShareEscape):
        inspector.read("data/up-out/etc/passwd", 0, 100)
    with pytest.raises(ShareEscape):
        inspector.list_dir("data/up-out")


def test_absolute_link_out_refused(inspector: ShareInspector) -> None:
    # In the busybox pod /etc/passwd does not exist, so the link cannot even be resolved.
    with pytest.raises((ShareEscape, ShareLinkLoop)):
        inspector.read("absolute-out", 0, 100)


def test_link_loop_refused(inspector: ShareInspector) -> None:
    with pytest.raises(ShareLinkLoop):
        inspector.read("loop-a", 0, 10)
    with pytest.raises(ShareLinkLoop):
        inspector.list_dir("loop-b")


def test_stat_does_not_follow_last_link(inspector: ShareInspector) -> None:
    entry = inspector.stat("absolute-out")
    assert entry.kind == "link"
    assert entry.link_target == "/etc/passwd"
    assert inspector.stat("loop-a").kind == "link"
    assert inspector.stat("").kind == "dir"


def test_missing_path(inspector: ShareInspector) -> None:
    with pytest.raises(ShareNotFound):
        inspector.read("no-such-file", 0, 10)
    with pytest.raises(ShareNotFound):
        inspector.stat("no-such-file")


def test_folder_is_not_readable_as_file(inspector: ShareInspector) -> None:
    with pytest.raises(ShareError):
        inspector.read("data", 0, 10)


def test_measure_counts_regular_files(inspector: ShareInspector, share: Path) -> None:
    files, size = inspector.measure("data")
    assert files == 2
    assert size == 2048 + len("print('leaf')\n")


def test_tar_keeps_links_and_bytes(inspector: ShareInspector, share: Path) -> None:
    with inspector.open_tar("") as stream:
        data = stream.read()
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            name = member.name.removeprefix("./")
            members[name] = member
            if member.isfile():
                extracted = archive.extractfile(member)
                assert extracted is not None
                assert extracted.read() == (share.parent / name.replace("share", share.name, 1)).read_bytes()
    assert members["share/absolute-out"].issym()
    assert members["share/absolute-out"].linkname == "/etc/passwd"
    assert members["share/loop-a"].issym()
    assert members["share/new\nline.txt"].isfile()
    assert members[f"share/{INVALID_UTF8}"].isfile()
    assert "share/data/up-out/etc" not in "\n".join(members)


def test_tar_of_one_file(inspector: ShareInspector) -> None:
    with inspector.open_tar("with space.txt") as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
        listed = [(member.name.removeprefix("./"), member.size) for member in archive]
    assert listed == [("with space.txt", 6)]


def test_tar_of_escaping_link_refused(inspector: ShareInspector) -> None:
    with pytest.raises(ShareEscape), inspector.open_tar("data/up-out") as stream:
        stream.read()


def test_inspector_never_writes(inspector: ShareInspector, share: Path) -> None:
    before = {path: path.lstat().st_mtime_ns for path in share.rglob("*")}
    names(inspector, "")
    inspector.read("report.txt", 0, 10)
    with inspector.open_tar("data") as stream:
        stream.read()
    after = {path: path.lstat().st_mtime_ns for path in share.rglob("*")}
    assert after == before


def test_split_path_rules() -> None:
    assert split_path("") == []
    assert split_path("./a//b/") == ["a", "b"]
    assert split_path("/mnt/brigade/share") == []
    assert split_path("/mnt/brigade/share/a") == ["a"]
    with pytest.raises(ShareEscape):
        split_path("/mnt/brigade/shared")
    with pytest.raises(ShareEscape):
        split_path("a/../b")


def test_display_name_escapes() -> None:
    assert display_name("new\nline") == "new\\nline"
    assert display_name("tab\tand\x1bescape") == "tab\\tand\\x1bescape"
    assert display_name(INVALID_UTF8) == "caf\\xe9-latin1.txt"
    assert display_name("back\\slash") == "back\\\\slash"
    assert display_name("\u202eevil") == "\\u202eevil"
    assert display_name("naïve ok") == "naïve ok"
