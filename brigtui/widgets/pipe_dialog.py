"""The look shared by the pipe pane's dialogs (source, share file, target)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class PipeDialog(ModalScreen[ResultType]):
    """A centred box with a title line, one list, and a hint line; fits 80x24."""

    DEFAULT_CSS = """
    PipeDialog {
        align: center middle;
    }
    PipeDialog > .pipe-dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    PipeDialog OptionList {
        height: auto;
        max-height: 16;
    }
    PipeDialog .title {
        height: 1;
        text-style: bold;
    }
    PipeDialog .pipe-hint {
        height: auto;
        color: $text-muted;
    }
    PipeDialog .pipe-error {
        height: auto;
    }
    """
