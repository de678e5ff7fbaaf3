"""Helpers the app runs in threads while it watches the folder: list and check scripts.

Which scripts a change reruns, and when, is `brigtui.engine.rerun`'s job; no Textual here.
"""

from __future__ import annotations

import os
from pathlib import Path

from brigtui.engine.errors import ScriptError
from brigtui.engine.rerun import scripts_in
from brigtui.engine.script import is_event_script, load_script
from brigtui.engine.watcher import IGNORED_DIRS, FileChange


def find_scripts(folder: Path) -> list[Path]:
    """List the event scripts under `folder`, sorted (blocking: run it in a thread)."""
    scripts: list[Path] = []
    for root, dirs, _files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        scripts.extend(scripts_in(Path(root)))
    return sorted(scripts)


def changed_scripts(changes: tuple[FileChange, ...]) -> list[Path]:
    """Return the event scripts among changed (not deleted) files (blocking: reads heads)."""
    return [change.path for change in changes
            if not change.deleted and change.path.suffix == ".py" and is_event_script(change.path)]


def check_script(path: Path) -> ScriptError | None:
    """Load a script the way a build does and return its error, if any (blocking)."""
    try:
        load_script(path, print_function=lambda *args, **kwargs: None)
    except ScriptError as error:
        return error
    return None
