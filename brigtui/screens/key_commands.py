"""Command palette entries for every key binding of the screen the palette opened on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Provider


class ScreenKeyCommands(Provider):
    """Lists the active screen's key actions by title, so each is reachable by name."""

    def _commands(self) -> list[tuple[str, str, Binding]]:
        seen: set[str] = set()
        commands = []
        for binding in self.screen.BINDINGS:
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key
            commands.append((f"{binding.description} ({key})", binding.action, binding))
        return commands

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        for title, action, _ in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action))

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for title, action, _ in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.run_action, action))
