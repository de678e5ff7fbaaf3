"""Fixtures for tests that run real containers from the local test image.

The image is built offline by scripts/build-test-image.sh and also tagged with the Alpine
images that the example pipelines name. For podman, a registries.conf that blocks docker.io
makes sure that no test ever pulls from outside this machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from brigtui.container.runtime import Runtime, detect_runtime
from brigtui.engine.errors import ExecutorError
from tests.container.support import EXAMPLES, HERE, REPO, TEST_IMAGE, client, example_images


def _host_needs_test_conf(runtime: Runtime) -> bool:
    probe = client(runtime, "run", "--rm", "--network", "none", TEST_IMAGE, "true", check=False)
    return probe.returncode != 0


@pytest.fixture(scope="session")
def runtime() -> Iterator[Runtime]:
    """The container client with the test image, configured for this host."""
    try:
        found = detect_runtime("auto")
    except ExecutorError:
        pytest.skip("no container runtime (podman or docker) is installed")
    with pytest.MonkeyPatch.context() as patch:
        if found.name == "podman":
            patch.setenv("CONTAINERS_REGISTRIES_CONF", str(HERE / "registries.conf"))

        # Build the test image (a no-op when it is current).
        subprocess.run(
            [str(REPO / "scripts" / "build-test-image.sh"), TEST_IMAGE, found.name],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip

        # Hosts where podman's defaults fail (cgroup v1, no CAP_SYS_RESOURCE) get the
        # test containers.conf, unless the caller chose one.
        own_conf = "CONTAINERS_CONF" in os.environ
        if found.name == "podman" and not own_conf and _host_needs_test_conf(found):
            patch.setenv("CONTAINERS_CONF", str(HERE / "containers.conf"))

        # The example pipelines name Alpine images; a real one is used where it exists. The
        # stand-in tags are removed afterwards, so a user's own jobs never run on them.
        tagged = []
        for image in sorted(example_images()):
            full_name = f"docker.io/library/{image}"
            if client(found, "image", "inspect", full_name, check=False).returncode != 0:
                client(found, "tag", TEST_IMAGE, full_name)
                tagged.append(full_name)
        try:
            yield found
        finally:
            for full_name in tagged:
                client(found, "untag", TEST_IMAGE, full_name, check=False)


@pytest.fixture
def container_pipelines(tmp_path: Path, runtime: Runtime) -> Path:
    """A private copy of the example pipelines, with the here-string variants of this folder."""
    folder = tmp_path / "pipelines"
    ignore = shutil.ignore_patterns("__pycache__", ".brigtui")
    shutil.copytree(EXAMPLES, folder, ignore=ignore)
    shutil.copytree(HERE / "pipelines", folder, ignore=ignore, dirs_exist_ok=True)
    return folder
