"""Asks at start-up whether to remove what builds of a crashed brigtui left behind."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class CleanupPrompt(ModalScreen[bool]):
    """y removes the leftovers (as `brigtui gc` does); n or Esc keeps them for later."""

    BINDINGS = [
        Binding("y", "answer(True)", "Remove"),
        Binding("n", "answer(False)", "Keep"),
        Binding("escape", "answer(False)", "Keep", show=False),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static("brigtui stopped while these builds ran; they left:")
            with VerticalScroll(id="cleanup-list"):
                yield Static("\n".join(f"• {line}" for line in self.lines), markup=False)
            yield Static("Remove it now, as 'brigtui gc' would? (y/n)")
            with Horizontal(id="confirm-buttons"):
                yield Button("Remove (y)", variant="warning", id="yes")
                yield Button("Keep (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
