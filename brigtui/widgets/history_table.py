"""The list of recorded builds: a virtual table that draws only the rows on screen.

Textual's DataTable took over a second to fill with 10,000 rows (textual 8.2.8), so this
table keeps the rows as a list and formats a row only when it is drawn. Filtering swaps
the list, which costs nothing per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from brigtui.history_query import HistoryRow
from brigtui.widgets.build_model import format_duration, glyph
from brigtui.widgets.timeline import STATUS_STYLES

COLUMNS = (("STATUS", 12), ("STARTED", 11), ("SCRIPT", 16), ("EVENT", 8), ("TOOK", 6),
           ("SHARE", 11))
"""Fixed columns as (title, width); the trigger takes the rest of the line."""


def header_text() -> Text:
    titles = " ".join(f"{title:<{width}}" for title, width in COLUMNS)
    return Text(f"{titles} TRIGGER", style="bold")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def share_cell(state: str, expires_at: str | None, started: str) -> str:
    """Describe the share in 11 characters: its state, or until when a kept share stays."""
    if state == "none":
        return "-"
    if state == "kept" and expires_at and len(expires_at) >= 16:
        same_day = expires_at[:10] == started[:10]
        return f"until {expires_at[11:16]}" if same_day else f"until {expires_at[5:10]}"
    return state


def row_text(row: HistoryRow) -> Text:
    """Return one build as a table line; the status reads from the glyph without colour."""
    started = row.started_at or row.created_at
    when = f"{started[5:10]} {started[11:16]}" if len(started) >= 16 else started
    took = format_duration(row.seconds) if row.seconds is not None else "…"
    share = share_cell(row.share_state, row.share_expires_at, started)
    trigger = row.trigger
    if row.rerun_of and row.rerun_of not in trigger:
        trigger = f"{'resume' if row.resumed else 'rerun'} of {row.rerun_of}"
    cells = [
        (f"{glyph(row.status)} {row.status}", 12),
        (when, 11), (row.script_label, 16), (row.event, 8), (took, 6), (share, 11),
    ]
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, (value, width) in enumerate(cells):
        style = STATUS_STYLES.get(row.status, Style()) if index == 0 else Style()
        text.append(f"{_fit(value, width):<{width}} ", style)
    text.append(trigger, "dim")
    return text


class HistoryTable(ScrollView, can_focus=True):
    """Builds newest first; arrows and page keys move, Enter opens the build."""

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open"),
    ]

    cursor: reactive[int] = reactive(0)

    @dataclass
    class Chosen(Message):
        """Enter was pressed on a build."""

        row: HistoryRow

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[HistoryRow] = []

    def set_rows(self, rows: list[HistoryRow], keep: str | None = None) -> None:
        """Show `rows`; the cursor stays on the build `keep` when it is still listed."""
        self.rows = rows
        index = 0
        if keep is not None:
            index = next((i for i, row in enumerate(rows) if row.id == keep), 0)
        self.virtual_size = Size(self.size.width, len(rows))
        self.cursor = index
        self.refresh()

    @property
    def current(self) -> HistoryRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + self.scroll_offset.y
        if not self.rows and y == 0:
            return Strip([Segment("no builds match", Style(dim=True))]).crop_extend(
                0, width, self.rich_style)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        text = row_text(self.rows[index])
        text.truncate(width, overflow="ellipsis")
        if index == self.cursor:
            text.stylize(Style(reverse=True, bold=self.has_focus))
        segments = list(text.render(self.app.console))
        return Strip(segments).crop_extend(0, width, self.rich_style)

    def watch_cursor(self, cursor: int) -> None:
        if self.rows:
            self.scroll_to_region(Region(0, cursor, 1, 1), animate=False)
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows))

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        if self.rows:
            self.cursor = index % len(self.rows)

    def action_choose(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Chosen(row))
