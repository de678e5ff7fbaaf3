"""The example pipelines on a real cluster give the local executor's results (kind, for one).

Skipped unless BRIGTUI_E2E_CONTEXT names a kubeconfig context; scripts/k8s-e2e.sh sets it up.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from brigtui.config import KubernetesSettings, Settings
from brigtui.kube.connection import connect
from tests.kube.test_pipelines import EXAMPLES, run_example

CONTEXT = os.environ.get("BRIGTUI_E2E_CONTEXT", "")

pytestmark = [
    pytest.mark.realcluster,
    pytest.mark.skipif(
        not CONTEXT, reason="set BRIGTUI_E2E_CONTEXT to a kubeconfig context (scripts/k8s-e2e.sh)"
    ),
]


def real_settings() -> Settings:
    kubernetes = KubernetesSettings(
        context=CONTEXT,
        namespace=os.environ.get("BRIGTUI_E2E_NAMESPACE", ""),
        storage_class=os.environ.get("BRIGTUI_E2E_STORAGE_CLASS", ""),
        access_mode="ReadWriteOnce"
        if os.environ.get("BRIGTUI_E2E_ACCESS_MODE") == "ReadWriteOnce"
        else "ReadWriteMany",
    )  # fmt: skip
    return Settings(executor="kubernetes", kubernetes=kubernetes)


def leftovers(settings: Settings, build_id: str) -> list[str]:
    connection = connect(settings.kubernetes)
    core = connection.core
    names = []
    for kind, lister in (("pod", core.list_namespaced_pod), ("secret", core.list_namespaced_secret),
                         ("claim", core.list_namespaced_persistent_volume_claim)):
        listing = connection.request_sync(
            "list", kind, lister, connection.namespace,
            label_selector=f"brigtui.dev/build={build_id}",
        )  # fmt: skip
        names += [f"{kind} {item['metadata']['name']}" for item in listing.get("items", [])]
    connection.close()
    return names


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", EXAMPLES)
async def test_example_on_real_cluster(script: str, pipelines: Path, tmp_path: Path) -> None:
    settings = real_settings()
    local = await run_example(pipelines, script, tmp_path / "local-state", executor="local")
    remote = await run_example(pipelines, script, tmp_path / "kube-state", settings=settings)
    assert remote[0] == local[0] == "succeeded"
    assert remote[1] == local[1]
    assert remote[2] == local[2]

    # The garbage collector removes the job Secrets shortly after the owner Secret goes.
    left: list[str] = []
    for _ in range(60):
        left = await asyncio.to_thread(leftovers, settings, remote[3])
        if not left:
            break
        await asyncio.sleep(1)
    assert left == []
