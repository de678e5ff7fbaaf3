"""The share inspector's container: a kept share mounted read-only, and its clean-up by gc."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from brigtui.container.debug import LABEL_OWNER, debug_command, owner_label, parse_owner
from brigtui.container.gc import gc_containers, remove_args
from brigtui.container.runtime import Runtime
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.executors.base import LABEL_MANAGED_BY, MANAGED_BY
from brigtui.engine.model import BuildStatus
from tests.container.support import IMAGE, TEST_IMAGE, client
from tests.support import write_script

pytestmark = pytest.mark.container


async def test_inspector_reads_kept_share(runtime: Runtime, container_pipelines: Path) -> None:
    script = write_script(container_pipelines, "keep.py", f"""
        @events.on("exec")
        async def run(event, project):
            await Job("write", "{IMAGE}", ["echo kept > /mnt/brigade/share/note.txt", "exit 1"],
                      storage=True).run()
    """)
    engine = Engine(container_pipelines, executor="container")
    try:
        outcome = await engine.run_build(BuildRequest(script))
        build = engine.store.get_build(outcome.build_id)
    finally:
        engine.close()
    assert outcome.status == BuildStatus.FAILED
    assert build is not None and build.share_state == "kept"
    share = Path(build.share_path or "")

    def inspect(*command: str) -> subprocess.CompletedProcess[str]:
        args = debug_command(
            runtime, TEST_IMAGE, share, list(command), project="p", build_id=outcome.build_id,
            name=f"brigtui-inspect-{os.getpid()}", deadline=60,
        )  # fmt: skip
        return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)

    read = inspect("cat", "note.txt")
    assert read.returncode == 0, read.stderr
    assert read.stdout == "kept\n"
    write = inspect("touch", "/mnt/brigade/share/new")
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr
    assert sorted(os.listdir(share)) == ["note.txt"]


def test_owner_label_round_trip() -> None:
    parsed = parse_owner(owner_label())
    assert parsed is not None
    host, pid, _ = parsed
    assert (host, pid) == (socket.gethostname(), os.getpid())
    assert parse_owner("no-owner") is None


def test_gc_removes_inspector_of_dead_owner(runtime: Runtime) -> None:
    # Linux pids stay below 2**22, so this owner can never be alive.
    dead_owner = f"{socket.gethostname()}/{2**22 + 17}/1"
    made = {}
    for key, owner in (("dead", dead_owner), ("live", owner_label())):
        made[key] = client(
            runtime, "create", "--network", "none", "--name", f"brigtui-inspector-test-{key}",
            "--label", f"{LABEL_MANAGED_BY}={MANAGED_BY}", "--label", f"{LABEL_OWNER}={owner}",
            TEST_IMAGE, "true",
        ).stdout.strip()  # fmt: skip
    try:
        removed = gc_containers(runtime, lambda build: False)
        listed = client(runtime, "ps", "--all", "--quiet", "--no-trunc").stdout.split()
        assert made["dead"] not in listed
        assert made["live"] in listed
        assert [line for line in removed if "brigtui-inspector-test-dead" in line] != []
        assert all("brigtui-inspector-test-live" not in line for line in removed)
    finally:
        client(runtime, *remove_args(runtime, list(made.values())), check=False)
