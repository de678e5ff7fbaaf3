"""One line at the bottom of the dashboard: executor, watch state, last trigger."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

WATCH_GLYPHS = {
    "starting": "…",
    "watching": "◉",
    "paused": "⏸",
    "missing": "✗",
    "stopped": "○",
}


class StatusLine(Widget):
    """Shows where jobs run, whether the folder is watched, and what triggered the last build."""

    executor: reactive[str] = reactive("")
    watch_state: reactive[str] = reactive("starting")
    pending: reactive[int] = reactive(0)
    queued: reactive[int] = reactive(0)
    last_trigger: reactive[str] = reactive("")
    running: reactive[int] = reactive(0)

    def render(self) -> Text:
        state = self.watch_state
        watch = f"{WATCH_GLYPHS.get(state, '?')} {state}"
        if state == "paused" and self.pending:
            watch += f" ({self.pending} pending, u runs)"
        elif state == "missing":
            watch += " (waiting for the folder)"
        if self.queued:
            watch += f" ({self.queued} queued)"
        text = Text.assemble(
            ("exec ", "dim"), self.executor or "?",
            (" │ watch ", "dim"), (watch, "red bold" if state == "missing" else ""),
            (" │ running ", "dim"), str(self.running),
        )
        if self.last_trigger:
            text.append(" │ last ", "dim")
            text.append(self.last_trigger)
        text.truncate(max(self.size.width, 1), overflow="ellipsis")
        return text
