"""The build a script's code runs in, found through a context variable.

Each build runs its handlers in an asyncio task whose context points at that build, so two
builds in one process (also of the same script) never see each other's jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from brigtui.engine.errors import BrigtuiError

if TYPE_CHECKING:
    from brigtui.engine.handlers import EventHandlers
    from brigtui.engine.model import Job, Result


class BuildContext(Protocol):
    """The part of a build that Job and Group call."""

    def register_job(self, job: Job) -> None: ...

    def start_job(self, job: Job) -> JobRun: ...

    async def run_pipe(self, jobs: list[Job]) -> list[Result]: ...


_current_build: ContextVar[BuildContext | None] = ContextVar("brigtui_build", default=None)
_current_handlers: ContextVar[EventHandlers | None] = ContextVar("brigtui_handlers", default=None)


@overload
def current_build(required: Literal[True] = True) -> BuildContext: ...


@overload
def current_build(required: bool) -> BuildContext | None: ...


def current_build(required: bool = True) -> BuildContext | None:
    build = _current_build.get()
    if build is None and required:
        raise BrigtuiError(
            "no build is running: job.run() works only inside an event handler run by brigtui"
        )
    return build


def current_handlers() -> EventHandlers:
    handlers = _current_handlers.get()
    if handlers is None:
        raise BrigtuiError(
            "events.on() works only in an event script loaded by brigtui "
            "(run it with 'brigtui run SCRIPT' or open its folder with 'brigtui')"
        )
    return handlers


def enter_build(build: BuildContext, handlers: EventHandlers) -> None:
    """Point the running context at a build; call it at the start of the build's own task."""
    _current_build.set(build)
    _current_handlers.set(handlers)


def enter_handlers(handlers: EventHandlers) -> Any:
    return _current_handlers.set(handlers)


def leave_handlers(token: Any) -> None:
    _current_handlers.reset(token)


class JobRun:
    """A started job: await it for its Result, as a JavaScript promise."""

    def __init__(self, job: Job, task: asyncio.Task[Result]) -> None:
        self.job = job
        self.task = task
        self.observed = False
        """True once the script awaited the run, so a failure reached the script's code."""

    def __await__(self) -> Generator[Any, None, Result]:
        self.observed = True
        return self.task.__await__()

    def done(self) -> bool:
        return self.task.done()

    def __repr__(self) -> str:
        state = "done" if self.task.done() else "running"
        return f"<JobRun {self.job.name} {state}>"
