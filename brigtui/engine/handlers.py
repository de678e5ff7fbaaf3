"""The `events` object scripts use to register handlers (`@events.on("exec")`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, overload

from brigtui.engine.context import current_handlers
from brigtui.engine.errors import JobSpecError

Handler = Callable[[Any, Any], Awaitable[None] | None]


class EventHandlers:
    """The handlers one loaded script registered, by event name."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, event: str, handler: Handler) -> None:
        if not isinstance(event, str) or not event:
            raise JobSpecError(f"events.on() needs an event name such as 'exec', got {event!r}")
        if not callable(handler):
            raise JobSpecError(f"events.on({event!r}, ...) needs a function, got {handler!r}")
        self._handlers[event] = handler

    def get(self, event: str) -> Handler | None:
        return self._handlers.get(event)

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)


class EventsProxy:
    """`brigtui.events`: registers handlers in the script being loaded by the current build."""

    @overload
    def on(self, event: str) -> Callable[[Handler], Handler]: ...

    @overload
    def on(self, event: str, handler: Handler) -> Handler: ...

    def on(self, event: str, handler: Handler | None = None) -> Any:
        """Register `handler` for `event`; without a handler, return a decorator."""
        handlers = current_handlers()
        if handler is not None:
            handlers.on(event, handler)
            return handler

        def decorate(function: Handler) -> Handler:
            handlers.on(event, function)
            return function

        return decorate


events = EventsProxy()
