"""`brigtui rerun`: rerun a recorded build, or resume it from the failed job."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from brigtui.cli import overrides_from
from brigtui.commands.common import pipelines_folder
from brigtui.commands.progress import Progress
from brigtui.commands.run import SIGNAL_EXIT
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
        return SIGNAL_EXIT[stopped_by]
    return outcome.exit_code


async def _rerun(
    engine: Engine, args: argparse.Namespace
) -> tuple[BuildOutcome, signal.Signals | None]:
    loop = asyncio.get_running_loop()
    stopped_by: signal.Signals | None = None

    def stop(signum: signal.Signals) -> None:
        nonlocal stopped_by
        stopped_by = signum
        for runner in list(engine.running.values()):
            runner.cancel()

    for signum in SIGNAL_EXIT:
        loop.add_signal_handler(signum, stop, signum)
    runner = engine.rerun(args.build, resume=args.resume, current_files=args.current_files)
    assert runner.task is not None
    outcome = await runner.task
    return outcome, stopped_by
