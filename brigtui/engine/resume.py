"""Resuming a build: which jobs of the original build can be reused instead of run again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from brigtui.engine.executors.base import JobSpec
from brigtui.engine.store import BuildRecord, JobRecord

logger = logging.getLogger(__name__)

# Fields that do not change what a job computes.
_IGNORED_FIELDS = {"timeout", "annotations", "resource_requests", "resource_limits"}


def input_hash(spec: JobSpec, stdin_digest: str | None, source_hash: str | None) -> str:
    """Hash everything a job's result depends on: its spec, its input and the project source."""
    fields = {k: v for k, v in dataclasses.asdict(spec).items() if k not in _IGNORED_FIELDS}
    material = {"spec": fields, "stdin": stdin_digest, "source": source_hash}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@dataclass
class ResumePlan:
    """The original build of a resume and what of it can be reused."""

    original: BuildRecord
    jobs: dict[str, JobRecord]
    share: Path | None
    """The original build's kept share, when it still exists."""

    @classmethod
    def load(cls, original: BuildRecord) -> ResumePlan:
        share = None
        if original.share_state == "kept" and original.share_path:
            candidate = Path(original.share_path)
            share = candidate if candidate.is_dir() else None
        return cls(original, {job.name: job for job in original.jobs}, share)

    def reusable(self, name: str, digest: str, uses_share: bool) -> JobRecord | None:
        """Return the original job when it succeeded with the same inputs and can be reused.

        A job that uses the share is reused only when the original share was kept, because
        running later jobs on an empty share would silently change their results.
        """
        job = self.jobs.get(name)
        if job is None or job.status not in ("succeeded", "reused") or job.input_hash != digest:
            return None
        if uses_share and self.share is None:
            return None
        if not job.output_path or not Path(job.output_path).exists():
            return None
        return job

    def source_build(self, job: JobRecord) -> str:
        """Return the build that really ran the job, following chains of resumes."""
        return job.reused_from or self.original.id

    def copy_share(self, target: Path) -> None:
        """Give the resumed build a copy of the kept share, so the evidence stays unchanged."""
        assert self.share is not None
        shutil.copytree(self.share, target, symlinks=True, dirs_exist_ok=True)


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` to `target` (outputs are never changed in place), else copy it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
