"""A small app that opens the pipe pane on a real engine, and helpers to drive it by keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from brigtui.engine.engine import Engine
from brigtui.screens.pipe_pane import PipePaneScreen
from brigtui.widgets.pipe_messages import MoveProgressed, OutputRead, SourceLoaded

KEY_NAMES = {" ": "space", "'": "apostrophe", '"': "quotation_mark", "-": "minus", ".": "full_stop",
             "/": "slash", "_": "underscore", "|": "vertical_line"}
RECHECK_SECONDS = 0.05


class PaneApp(App[None]):
    """Opens the pipe pane at start, as the dashboard's `p` key does."""

    def __init__(self, engine: Engine, folder: Path, build_id: str | None = None,
                 job: str | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.folder = folder
        self.build_id = build_id
        self.job = job
        self.pane = PipePaneScreen(engine, folder, build_id, job)

    def on_mount(self) -> None:
        self.push_screen(self.pane)


class PaneMessages:
    """Every message the app handles, with a way to await a condition instead of sleeping."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._changed = asyncio.Event()

    def __call__(self, message: Message) -> None:
        self.messages.append(message)
        self._changed.set()

    def of(self, kind: type) -> list:
        return [m for m in self.messages if isinstance(m, kind)]

    def progress(self, phase: str) -> list[MoveProgressed]:
        return [m for m in self.of(MoveProgressed) if m.phase == phase]

    def outputs(self, role: str) -> list[OutputRead]:
        return [m for m in self.of(OutputRead) if m.role == role]

    def sources(self) -> list[SourceLoaded]:
        return self.of(SourceLoaded)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 60.0) -> None:
        """Wait until `predicate()` is true, checking again after each message.

        The hook runs before a message is handled, so the check also repeats every
        RECHECK_SECONDS: the last message's effect shows only after its handler ran.
        """
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), RECHECK_SECONDS)
                except TimeoutError:
                    pass

        await asyncio.wait_for(loop(), timeout)


def line(pane: PipePaneScreen, widget_id: str) -> str:
    return str(pane.query_one(f"#{widget_id}", Static).render())


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[KEY_NAMES.get(char, char) for char in text])


async def choose(pilot: Pilot, listing: OptionList, option_id: str) -> None:
    """Move the list's cursor to an option with the arrow keys, then press Enter."""
    index = listing.get_option_index(option_id)
    while listing.highlighted != index:
        await pilot.press("down" if (listing.highlighted or 0) < index else "up")
    await pilot.press("enter")
    await pilot.pause()
