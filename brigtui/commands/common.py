"""Helpers shared by subcommands: finding the folder, the store and a build."""

from __future__ import annotations

import os
from pathlib import Path

from brigtui.engine.engine import state_dir_for
from brigtui.engine.errors import UsageError
from brigtui.engine.store import BuildRecord, Store


def pipelines_folder(value: str) -> Path:
    folder = Path(value)
    if not folder.is_dir() and not os.environ.get("BRIGTUI_HOME"):
        raise UsageError(
            f"no pipelines folder at {folder}; pass the folder (as 'brigtui builds DIR', or "
            "'--dir DIR' for logs, rerun and share) or set BRIGTUI_HOME to the state folder"
        )
    return folder


def open_store(folder: Path) -> Store:
    state_dir = state_dir_for(folder)
    if not state_dir.exists():
        raise UsageError(f"no builds recorded yet for {folder} (looked in {state_dir})")
    return Store(state_dir)


def find_build(store: Store, reference: str, folder: Path | None = None) -> BuildRecord:
    build = store.find_build(reference, folder)
    if build is None:
        raise UsageError(
            f"build '{reference}' not found (or the prefix is ambiguous); "
            "'brigtui builds' lists the recorded builds"
        )
    return build
