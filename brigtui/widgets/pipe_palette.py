"""The pipe pane's steps in the command palette, from the pane's own key bindings."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

PALETTE_TITLES = {
    "pick_source": "Pipe: pick the source (s)",
    "edit_filter": "Pipe: type a filter command (f)",
    "pick_target": "Pipe: pick the target job (t)",
    "how('env')": "Pipe: send the data as an env variable (1)",
    "how('stdin')": "Pipe: send the data as standard input (2)",
    "how('share')": "Pipe: send the data as a file in the share (3)",
    "edit_name": "Pipe: type the env variable or share file name (n)",
    "run": "Pipe: run the target job alone (r)",
    "cancel": "Pipe: cancel the running move (c)",
}
"""Palette titles by action; every action of the pane but `back` (Esc) is listed."""


class PipePaneCommands(Provider):
    """Offers every step of the pipe pane in the command palette."""

    def _commands(self) -> list[tuple[str, str]]:
        bindings = [b for b in getattr(self.screen, "BINDINGS", []) if isinstance(b, Binding)]
        return [(PALETTE_TITLES[b.action], b.action) for b in bindings if b.action in PALETTE_TITLES]

    async def discover(self) -> Hits:
        for title, action in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.run_action, action))
