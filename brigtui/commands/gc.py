"""`brigtui gc`: remove expired shares and everything crashed runs left behind."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from brigtui.cli import overrides_from
from brigtui.commands.common import pipelines_folder
from brigtui.config import Settings
from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.recovery import build_is_live, collect_garbage

logger = logging.getLogger(__name__)


def gc_command(args: argparse.Namespace) -> int:
    folder = pipelines_folder(args.dir)
    engine = Engine(folder, executor=args.executor, overrides=overrides_from(args))
    lines = collect_all_garbage(engine, args.executor, dry_run=args.dry_run)
    engine.close()
    if not lines:
        print("nothing to remove")
    for line in lines:
        print(line)
    failed = any(": could not collect garbage: " in line for line in lines)
    return 1 if failed else 0


def collect_all_garbage(engine: Engine, executor: str | None, *, dry_run: bool = False) -> list[str]:
    """Remove expired shares and what crashed runs left, on the host and in every executor
    that ran builds here, and return a line per removal.

    It blocks on the file system and on container or cluster clients, so a UI calls it
    from a thread.
    """
    settings = engine.load_settings()

    # Records and host leftovers first: this also marks crashed builds interrupted.
    report = collect_garbage(engine.store, engine.state_dir, settings.share, dry_run=dry_run)
    lines = [
        f"build {build.id} ({Path(build.script).name}) marked interrupted"
        for build in engine.interrupted
    ] + report.lines
    engine.interrupted = []

    # Then what the executors created, for the executors that ran builds here.
    used = {executor} if executor else {build.executor for build in engine.store.list_builds()}

    def is_build_alive(build_id: str) -> bool:
        build = engine.store.get_build(build_id, with_jobs=False)
        return build is not None and build_is_live(build)

    for name in sorted(used - {"local"}):
        try:
            lines += executor_gc(name, settings, is_build_alive, dry_run)
        except BrigtuiError as error:
            lines.append(f"{name}: could not collect garbage: {error}")
    return lines


def executor_gc(
    name: str, settings: Settings, is_build_alive: Callable[[str], bool], dry_run: bool
) -> list[str]:
    """Remove labelled containers or cluster objects of builds that no live brigtui owns."""
    if dry_run:
        return [f"{name}: would remove labelled objects of finished builds "
                "(run without --dry-run to list and remove them)"]
    if name == "container":
        from brigtui.engine.executors import container

        return container.gc_containers(settings, is_build_alive)
    if name == "kubernetes":
        from brigtui.kube import gc

        return gc.gc_cluster(settings, is_build_alive)
    return []
