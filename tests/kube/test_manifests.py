"""Names, dry-run manifests and their validation, without any cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from brigtui.config import KubernetesSettings, Settings
from brigtui.engine.errors import JobSpecError
from brigtui.engine.executors.base import BuildInfo, JobSpec
from brigtui.engine.executors.kubernetes import KubernetesExecutor
from brigtui.kube.names import dns_label, is_dns_label, label_value, object_name

VALIDATE_VERSION = kubernetes_validate.latest_version()


def spec(name: str, **changes: object) -> JobSpec:
    fields: dict[str, object] = dict(
        name=name, image="alpine:3.19", tasks=["echo hi"], env={}, storage=False, shell=None,
        timeout=900.0, image_pull_policy="IfNotPresent", privileged=False,
        service_account=None, resource_requests={}, resource_limits={}, annotations={},
        has_stdin=False,
    )  # fmt: skip
    fields.update(changes)
    return JobSpec(**fields)  # type: ignore[arg-type]


def build_info(tmp_path: Path, project: str = "My Pipelines!") -> BuildInfo:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "animals.txt").write_text("rhino\n")
    return BuildInfo(
        id="20261204-201530-3f9a", project=project, source_dir=source, state_dir=tmp_path,
        work_dir=tmp_path / "work", share_dir=tmp_path / "share", note=lambda text: None,
    )  # fmt: skip


def test_long_job_name_shortened_uniquely() -> None:
    first = object_name("20261204-201530-3f9a", "a" * 60)
    second = object_name("20261204-201530-3f9a", "a" * 59 + "b")
    assert is_dns_label(first)
    assert is_dns_label(second)
    assert first != second


def test_name_without_letters_rejected() -> None:
    with pytest.raises(JobSpecError, match="cannot become a Kubernetes name"):
        dns_label("___", "job name")


def test_label_value_sanitised() -> None:
    assert label_value("My Pipelines!") == "My-Pipelines"
    assert len(label_value("x" * 100)) == 63


def test_dry_run_without_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    settings = Settings(kubernetes=KubernetesSettings(
        access_mode="ReadWriteOnce", storage_class="fast", allow_privileged=True,
    ))  # fmt: skip
    executor = KubernetesExecutor(settings)
    jobs = [
        spec("one", env={"TOKEN": "s3cret-value"}, tasks=["echo s3cret-value"]),
        spec("two", storage=True, has_stdin=True, privileged=True, service_account="builder",
             resource_requests={"cpu": "100m"}, resource_limits={"memory": "64Mi"},
             annotations={"example.com/team": "ops"}, timeout=12.5),
    ]
    manifests = executor.dry_run(build_info(tmp_path), jobs)
    kinds = [manifest["kind"] for manifest in manifests]
    assert kinds == ["Secret", "PersistentVolumeClaim", "Secret", "Pod", "Secret", "Pod"]
    for manifest in manifests:
        kubernetes_validate.validate(manifest, VALIDATE_VERSION, strict=True)
        assert manifest["metadata"]["namespace"] == "default"
        assert manifest["metadata"]["labels"]["brigtui.dev/project"] == "My-Pipelines"
    printed = yaml.safe_dump_all(manifests)
    assert "s3cret-value" not in printed
    pod = manifests[-1]["spec"]
    assert pod["activeDeadlineSeconds"] == 13
    assert pod["serviceAccountName"] == "builder"
    assert "podAffinity" in pod["affinity"]
    assert manifests[1]["spec"]["storageClassName"] == "fast"
    assert manifests[1]["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_dry_run_reads_context_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.kube.conftest import write_kubeconfig

    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9")))
    executor = KubernetesExecutor(Settings())
    manifests = executor.dry_run(build_info(tmp_path), [spec("one")])
    assert {manifest["metadata"]["namespace"] for manifest in manifests} == {"brig"}


def test_client_not_imported_by_engine() -> None:
    code = (
        "import sys, brigtui.cli, brigtui.engine.engine, brigtui.engine.executors.local; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes'))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60, check=True)
    assert completed.stdout.strip() == "[]"
