"""`brigtui rerun`: rerun a recorded build, or resume it from the failed job."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from brigtui.cli import overrides_from
from brigtui.commands.common import pipelines_folder
from brigtui.commands.progress import Progress
from brigtui.commands.signals import cancel_builds_on_signals
from brigtui.engine.build import BuildOutcome
from brigtui.engine.engine import Engine


def rerun_command(args: argparse.Namespace) -> int:
    folder = pipelines_folder(args.dir)
    engine = Engine(folder, executor=args.executor, overrides=overrides_from(args))
    engine.subscribe(Progress(out=None if args.json else sys.stdout))
    outcome, stopped_by = asyncio.run(_rerun(engine, args))
    if args.json:
        record = engine.store.get_build(outcome.build_id)
        print(json.dumps(record.as_json() if record else None, indent=2))
    engine.close()
    if stopped_by is not None:
        return stopped_by
    return outcome.exit_code


async def _rerun(engine: Engine, args: argparse.Namespace) -> tuple[BuildOutcome, int | None]:
    with cancel_builds_on_signals(engine) as stop:
        runner = engine.rerun(args.build, resume=args.resume, current_files=args.current_files)
        assert runner.task is not None
        outcome = await runner.task
    return outcome, stop.exit_code
