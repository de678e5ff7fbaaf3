"""A simulated cluster for the kubernetes executor: kmock's emulator plus a simulated kubelet."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml

from brigtui.config import KubernetesSettings, Settings
from tests.kube.kubelet import SimulatedCluster

NAMESPACE = "brig"
CONTEXT = "kmock"
CLIENT_AGENT = "OpenAPI-Generator/"
"""User-Agent prefix of the official client, which tells brigtui's requests from the simulator's."""


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sim", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": CONTEXT,
                      "context": {"cluster": "sim", "user": "tester", "namespace": NAMESPACE}}],
        "current-context": CONTEXT,
    }))  # fmt: skip
    return path


@pytest.fixture
async def cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SimulatedCluster]:
    if shutil.which("bwrap") is None:
        pytest.skip("the simulated kubelet runs pods with bubblewrap (bwrap), which is missing")
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator) as server:
        simulated = SimulatedCluster(emulator, server, tmp_path / "cluster", NAMESPACE)
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(server.url).rstrip("/"))
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        simulated.start()
        try:
            yield simulated
        finally:
            await simulated.stop()


def kube_settings(**changes: Any) -> Settings:
    """Settings for builds on the simulated cluster, with short timeouts."""
    kubernetes = KubernetesSettings(
        context=CONTEXT, start_timeout=3.0, claim_timeout=1.0, end_timeout=5.0,
        source_image="busybox:1.36",
    )  # fmt: skip
    for key, value in changes.items():
        setattr(kubernetes, key, value)
    return Settings(executor="kubernetes", kubernetes=kubernetes)


def client_requests(cluster: SimulatedCluster) -> list[Any]:
    """The requests brigtui's client sent, without those of the simulator itself."""
    return [
        request for request in cluster.emulator
        if request.headers.get("User-Agent", "").startswith(CLIENT_AGENT)
    ]


def live_objects(cluster: SimulatedCluster) -> list[str]:
    return [
        f"{plural}/{obj['metadata']['name']}"
        for plural in ("pods", "secrets", "persistentvolumeclaims")
        for obj in cluster.live(plural)
    ]
