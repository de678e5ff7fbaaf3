"""Connection and permission failures name the context, namespace and verb."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.kube.conftest import NAMESPACE, kube_settings, write_kubeconfig
from tests.kube.helpers import run_script
from tests.kube.kubelet import SimulatedCluster

ONE_JOB = """
@events.on("exec")
async def exec_handler(event, project):
    await Job("one", "alpine:3.19", ["true"]).run()
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_unreachable_server_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "config", server)))
    finished = await run_script(tmp_path / "p", ONE_JOB, kube_settings())
    assert finished.status == "failed"
    error = finished.error or ""
    assert f"cannot reach the Kubernetes API server {server}" in error
    assert "create secrets" in error
    assert f"namespace '{NAMESPACE}' (context 'kmock')" in error


async def test_unknown_context_listed(tmp_path: Path, cluster: SimulatedCluster) -> None:
    finished = await run_script(tmp_path / "p", ONE_JOB, kube_settings(context="prod"))
    assert finished.status == "failed"
    assert "kubeconfig has no context 'prod' (contexts: kmock)" in (finished.error or "")


async def test_permission_denied_named(tmp_path: Path, cluster: SimulatedCluster) -> None:
    cluster.forbidden.add("pods")
    finished = await run_script(tmp_path / "p", ONE_JOB, kube_settings())
    assert finished.status == "failed"
    error = finished.job("one").error
    assert "permission denied to create pods" in error
    assert f"namespace '{NAMESPACE}' (context 'kmock')" in error
    assert 'User "tester" cannot create resource "pods"' in error
