"""Signals during headless builds: SIGINT, SIGTERM and SIGHUP cancel the running builds."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from brigtui.engine.engine import Engine

# Exit codes after a signal follow the shell's 128 + signal number.
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


class SignalStop:
    """The signal that stopped the builds, if one arrived."""

    signal: signal.Signals | None = None

    @property
    def exit_code(self) -> int | None:
        return SIGNAL_EXIT[self.signal] if self.signal is not None else None


@contextmanager
def cancel_builds_on_signals(engine: Engine) -> Iterator[SignalStop]:
    """Cancel every running build of `engine` when a stop signal arrives.

    The builds then clean up and record themselves as cancelled, so the caller's awaits end
    normally. `SignalStop.signal` is the signal that stopped them.
    """
    loop = asyncio.get_running_loop()
    stop = SignalStop()

    def cancel(signum: signal.Signals) -> None:
        stop.signal = signum
        for runner in list(engine.running.values()):
            runner.cancel()

    for signum in SIGNAL_EXIT:
        loop.add_signal_handler(signum, cancel, signum)
    try:
        yield stop
    finally:
        for signum in SIGNAL_EXIT:
            loop.remove_signal_handler(signum)
