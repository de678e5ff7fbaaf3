"""The project source as a gzip'd tar, carried to pods in the build's Secret."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from brigtui.engine.errors import ExecutorError
from brigtui.engine.model import format_size
from brigtui.engine.snapshot import IGNORED_DIRS

SECRET_DATA_LIMIT = 1024 * 1024
"""Kubernetes rejects a Secret whose data takes more than 1 MiB."""


def source_archive(source: Path, limit: int) -> bytes:
    """Pack `source` (without .git, .brigtui and caches) into a tar.gz of at most `limit` bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as archive:
        for root, dirs, names in os.walk(source):
            dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
            for name in sorted(names) + [d for d in dirs if Path(root, d).is_symlink()]:
                path = Path(root, name)
                if path.is_file() or path.is_symlink():
                    archive.add(path, arcname=path.relative_to(source).as_posix(), recursive=False)
            if buffer.tell() > limit:
                break
    data = buffer.getvalue()
    if len(data) > limit:
        raise ExecutorError(
            f"the project source {source} takes {format_size(len(data))} or more as a tar.gz, "
            f"over kubernetes.source_limit ({format_size(limit)}); pods get the source from a "
            f"Secret, which Kubernetes caps at {format_size(SECRET_DATA_LIMIT)}, so move large "
            "data files out of the folder (into the job's image, or let a job fetch them into "
            "the share)"
        )
    return data
