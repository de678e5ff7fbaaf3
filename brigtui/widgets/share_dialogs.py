"""Dialogs of the share inspector: where to download to, and whether to overwrite."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class DownloadDialog(ModalScreen[str | None]):
    """Asks for the local folder to download into; Enter accepts, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, default: str) -> None:
        super().__init__()
        self.what = what
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="share-dialog"):
            yield Static(f"Download {self.what} into the folder:")
            yield Input(self.default, id="share-dest")
            yield Static("Enter downloads, Esc cancels.", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OverwriteDialog(ModalScreen[bool]):
    """y overwrites the listed files; n or Esc keeps them."""

    BINDINGS = [
        Binding("y", "answer(True)", "Overwrite"),
        Binding("n", "answer(False)", "Keep"),
        Binding("escape", "answer(False)", "Keep", show=False),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="share-dialog"):
            yield Static(self.message)
            yield Static("Overwrite them? (y/n)")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
