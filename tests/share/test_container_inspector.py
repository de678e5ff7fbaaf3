"""The container backend with a real podman or docker container of the local test image."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brigtui.config import Settings
from brigtui.container.runtime import Runtime
from brigtui.share.download import download
from brigtui.share.inspect_container import ContainerInspector
from brigtui.share.inspector import ShareEscape, ShareLinkLoop
from tests.container.support import TEST_IMAGE, client
from tests.share.support import INVALID_UTF8, ODD_NAMES, make_share

pytestmark = pytest.mark.container


def test_container_inspects_read_only(runtime: Runtime, tmp_path: Path) -> None:
    share = make_share(tmp_path / "share")
    inspector = ContainerInspector(Settings(), share, "b1", "proj", TEST_IMAGE, deadline=120)
    inspector.open()
    try:
        running = client(runtime, "ps", "--quiet", "--filter", f"name={inspector.name}").stdout.split()
        assert len(running) == 1
        names = [entry.name for entry in inspector.list_dir("")]
        assert names == sorted(os.listdir(share))
        for name in [*ODD_NAMES, INVALID_UTF8]:
            assert inspector.read(name, 0, 100) == (share / name).read_bytes()
        with pytest.raises(ShareEscape):
            inspector.read("data/up-out/etc/passwd", 0, 100)
        with pytest.raises((ShareEscape, ShareLinkLoop)):
            inspector.read("absolute-out", 0, 100)
        download(inspector, "data", tmp_path / "got")
        assert (tmp_path / "got/data/blob.bin").read_bytes() == (share / "data/blob.bin").read_bytes()

        # The mount is read-only even for a command that tries to write.
        write = client(runtime, "exec", inspector.name, "touch", "/mnt/brigade/share/new", check=False)
        assert write.returncode != 0
        assert "Read-only file system" in write.stderr
    finally:
        inspector.close()
    listed = client(runtime, "ps", "--all", "--quiet", "--filter", f"name={inspector.name}").stdout
    assert listed.split() == []
    assert not (share / "new").exists()
