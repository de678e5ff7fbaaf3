"""Helpers for the container tests: the client, the test image's names, labelled containers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from brigtui.container.runtime import Runtime

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EXAMPLES = REPO / "pipelines"
TEST_IMAGE = "localhost/brigtui-test:latest"
IMAGE = "alpine:3.19"
"""Image of the jobs the tests write; a tag of the test image unless a real one exists."""


def client(runtime: Runtime, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [runtime.path, *args], capture_output=True, text=True, timeout=120, check=check
    )


def containers_of(runtime: Runtime, build_id: str, running_only: bool = False) -> list[str]:
    """Ids of the containers labelled with the build."""
    args = ["ps", "--quiet", "--filter", f"label=brigtui.dev/build={build_id}"]
    if not running_only:
        args.insert(1, "--all")
    return client(runtime, *args).stdout.split()


def example_images() -> set[str]:
    """Alpine images that the example pipelines and these tests name."""
    names = {IMAGE}
    for script in [*EXAMPLES.glob("*.py"), *(HERE / "pipelines").glob("*.py")]:
        names.update(re.findall(r"\balpine:[0-9.]+\b", script.read_text()))
    return names
