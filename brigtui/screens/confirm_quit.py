"""Asks before quitting while builds run, because quitting cancels them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmQuit(ModalScreen[bool]):
    """y cancels the running builds and quits; n or Esc stays."""

    BINDINGS = [
        Binding("y", "answer(True)", "Quit and cancel"),
        Binding("n", "answer(False)", "Stay"),
        Binding("escape", "answer(False)", "Stay", show=False),
    ]

    def __init__(self, running: int) -> None:
        super().__init__()
        self.running = running

    def compose(self) -> ComposeResult:
        builds = "1 build is" if self.running == 1 else f"{self.running} builds are"
        with Vertical(id="confirm"):
            yield Static(f"{builds} running. Quitting cancels them and removes what they "
                         "started. Quit? (y/n)")
            with Horizontal(id="confirm-buttons"):
                yield Button("Quit (y)", variant="error", id="yes")
                yield Button("Stay (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
