"""Blocking work in dedicated threads that report back to the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_in_thread(function: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Run a long blocking call (a watch or a log stream) in its own daemon thread.

    asyncio.to_thread would hold a worker of the loop's shared pool for as long as a stream
    stays open, and a build has a stream per running job.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def body() -> None:
        try:
            result = function()
        except BaseException as error:
            if not loop.is_closed():
                loop.call_soon_threadsafe(settle, None, error)
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=body, name=name, daemon=True).start()
    return future
