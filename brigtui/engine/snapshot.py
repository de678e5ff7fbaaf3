"""Content-addressed snapshots of the script and source files a build ran with."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

IGNORED_DIRS = {".brigtui", ".git", "__pycache__", ".venv", "node_modules", ".mypy_cache"}
MAX_FILE = 16 * 1024 * 1024
"""Files larger than this are hashed but not stored, so a rerun cannot restore them."""
MAX_FILES = 5000


@dataclass
class Snapshot:
    digest: str
    manifest: dict[str, str]
    """Relative path to the SHA-256 of its content."""
    complete: bool
    """False when files were too large or too many to store."""


def objects_dir(state_dir: Path) -> Path:
    return state_dir / "objects"


def take_snapshot(source: Path, state_dir: Path) -> Snapshot:
    """Hash every source file, store new contents under `objects/`, return the manifest."""
    manifest: dict[str, str] = {}
    complete = True
    store = objects_dir(state_dir)
    for path in sorted(_source_files(source)):
        relative = path.relative_to(source).as_posix()
        if len(manifest) >= MAX_FILES:
            complete = False
            break
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_FILE else None
        except OSError:
            continue
        if data is None:
            complete = False
            manifest[relative] = file_digest(path)
            continue
        digest = hashlib.sha256(data).hexdigest()
        manifest[relative] = digest
        blob = store / digest[:2] / digest[2:]
        if not blob.exists():
            blob.parent.mkdir(parents=True, exist_ok=True)
            # Another build may store the same blob at once: write a private file, then rename.
            fd, temporary = tempfile.mkstemp(dir=blob.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, blob)
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
    return Snapshot(digest, manifest, complete)


def restore_snapshot(manifest: dict[str, str], state_dir: Path, target: Path) -> list[str]:
    """Write the snapshot's files into `target`; return the paths whose content is missing."""
    missing = []
    store = objects_dir(state_dir)
    for relative, digest in manifest.items():
        blob = store / digest[:2] / digest[2:]
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if blob.exists():
            shutil.copyfile(blob, destination)
        else:
            missing.append(relative)
    return missing


def _source_files(source: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS]
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
