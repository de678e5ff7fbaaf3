"""Fixtures: an odd share on disk, read by the local backend and by a busybox "pod" backend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from brigtui.share.exec_inspector import ExecInspector
from brigtui.share.inspect_local import LocalInspector
from brigtui.share.inspector import ShareInspector
from tests.container.conftest import runtime  # noqa: F401 - fixture for the container backend
from tests.kube.conftest import cluster  # noqa: F401 - fixture for the kubernetes backend
from tests.share.support import BUSYBOX, busybox_pod, make_share


@pytest.fixture
def share(tmp_path: Path) -> Path:
    return make_share(tmp_path / "shares" / "b1")


def exec_inspector(share: Path) -> ExecInspector:
    inspector = ExecInspector("b1")
    inspector._transport = busybox_pod(share)
    return inspector


@pytest.fixture(params=["local", "busybox-exec"])
def inspector(request: pytest.FixtureRequest, share: Path) -> ShareInspector:
    """The same share through the host backend and through the exec scripts in busybox."""
    if request.param == "local":
        return LocalInspector(share, "b1")
    if BUSYBOX is None or shutil.which("bwrap") is None:
        pytest.skip("the exec backend's tests run busybox in bubblewrap; install both")
    return exec_inspector(share)
