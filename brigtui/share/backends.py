"""Choosing the inspector backend for a recorded build."""

from __future__ import annotations

from pathlib import Path

from brigtui.config import Settings
from brigtui.engine.store import BuildRecord
from brigtui.share.inspector import ShareInspector, ShareNotFound

_GONE = {
    "none": "its jobs did not enable storage, so it never had a share",
    "discarded": "its share was discarded when the build succeeded",
    "expired": "its share expired and `brigtui gc` removed it",
}


def inspector_for(build: BuildRecord, settings: Settings, state_dir: Path,
                  executor: str | None = None) -> ShareInspector:
    """Return an unopened inspector for the build's share on the executor that ran it.

    Raises ShareNotFound when the build has no share left.
    """
    if build.share_state in _GONE:
        raise ShareNotFound(f"build {build.id}: {_GONE[build.share_state]}")
    name = executor or build.executor
    share_dir = Path(build.share_path) if build.share_path else state_dir / "shares" / build.id
    if name == "kubernetes":
        from brigtui.share.inspect_kube import KubeInspector

        return KubeInspector(settings.kubernetes, build.id, build.project)
    if name == "container":
        from brigtui.share.inspect_container import DEFAULT_IMAGE, ContainerInspector

        images = [job.image for job in build.jobs if job.uses_share] or [job.image for job in build.jobs]
        image = images[0] if images else DEFAULT_IMAGE
        return ContainerInspector(settings, share_dir, build.id, build.project, image)

    from brigtui.share.inspect_local import LocalInspector

    return LocalInspector(share_dir, build.id, settings.local.sandbox)
