"""`brigtui run --watch`: run, then rerun whenever a file in the folder changes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from brigtui.commands.progress import Progress
from brigtui.engine.engine import Engine


def watch_command(engine: Engine, path: Path, event: str, payload: Any) -> int:
    from brigtui.engine.rerun import watch_and_run

    engine.subscribe(Progress(out=sys.stdout))

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await watch_and_run(
                engine, path, event, lambda line: print(line, file=sys.stderr), payload=payload
            )
        await engine.cancel_all()

    asyncio.run(main())
    engine.close()
    return 0
