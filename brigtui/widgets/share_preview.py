"""Preview of one share file: highlighted text or a hex dump, of its head and tail only."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from brigtui.share.inspector import display_path
from brigtui.share.sizes import hex_dump, human_size, looks_binary

HEAD_BYTES = 64 * 1024
"""Bytes of a file's start the preview reads; larger files also show their tail."""
TAIL_BYTES = 16 * 1024
HEX_BYTES = 4 * 1024
"""Bytes a hex dump shows (from the head and from the tail)."""


@dataclass(frozen=True)
class PreviewData:
    """What the preview reads: the head, the tail (for large files) and the file's size."""

    path: str
    size: int
    head: bytes
    tail: bytes = b""

    @property
    def hidden(self) -> int:
        return max(0, self.size - len(self.head) - len(self.tail))


def render_preview(data: PreviewData) -> RenderableType:
    title = Text(f"{display_path(data.path)}  ({human_size(data.size)})", style="bold")
    if looks_binary(data.head):
        parts: list[RenderableType] = [title, Text(hex_dump(data.head[:HEX_BYTES]))]
        if data.size > HEX_BYTES:
            tail = data.tail[-HEX_BYTES:] if data.tail else b""
            shown = HEX_BYTES + len(tail)
            parts.append(Text(f"… {human_size(max(0, data.size - shown))} not shown …", style="dim"))
            if tail:
                parts.append(Text(hex_dump(tail, data.size - len(tail))))
        return Group(*parts)
    parts = [title, _highlighted(data.path, data.head)]
    if data.tail:
        parts.append(Text(f"… {human_size(data.hidden)} not shown …", style="dim"))
        parts.append(_highlighted(data.path, data.tail))
    return Group(*parts)


def _highlighted(path: str, content: bytes) -> RenderableType:
    text = content.decode("utf-8", errors="replace")
    # Control characters other than newline and tab would act on the terminal; show them escaped.
    text = "".join(
        char if char in "\n\t" or (ord(char) >= 0x20 and ord(char) != 0x7F) else f"\\x{ord(char):02x}"
        for char in text
    )
    lexer = Syntax.guess_lexer(path.rpartition("/")[2], code=text)
    return Syntax(text, lexer, line_numbers=False, word_wrap=False, theme="ansi_dark")


class SharePreview(VerticalScroll):
    """Scrollable preview pane."""

    shown: RenderableType = ""
    """What the pane shows now."""

    def compose(self) -> ComposeResult:
        yield Static("Select a file to preview it.", id="share-preview-body")

    def show(self, renderable: RenderableType) -> None:
        self.shown = renderable
        self.query_one("#share-preview-body", Static).update(renderable)
        self.scroll_home(animate=False)

    def show_message(self, message: str, style: str = "") -> None:
        self.show(Text(message, style=style))
