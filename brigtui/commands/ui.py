"""`brigtui [DIR]`: the terminal UI."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from brigtui.cli import overrides_from
from brigtui.engine.engine import state_dir_for
from brigtui.engine.errors import UsageError


def ui_command(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(
            f"no pipelines folder at {folder}; give one, for example 'brigtui path/to/pipelines'"
        )

    # The UI owns the terminal: log to a file in the state folder instead of stderr.
    state_dir = state_dir_for(folder)
    state_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.FileHandler(state_dir / "brigtui.log")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)

    from brigtui.app import run_app

    return run_app(folder, args.executor, overrides_from(args))
