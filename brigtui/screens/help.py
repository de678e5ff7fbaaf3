"""The keys and screens, read from the key registry so help never drifts from the bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from brigtui.screens.registry import APP_ACTIONS, DASHBOARD_ACTIONS, SCREENS
from brigtui.widgets.build_model import GLYPHS
from brigtui.widgets.job_graph import SHARE_MARK

GRAPH_KEYS = [
    ("arrows", "move between jobs of the graph"),
    ("enter", "open the job under the cursor"),
    ("tab", "move to the next pane"),
    ("ctrl+p", "command palette: every action by name"),
]


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for item in [*DASHBOARD_ACTIONS, *APP_ACTIONS]:
        table.add_row(item.label, item.description)
    for entry in SCREENS:
        table.add_row("?" if entry.key == "question_mark" else entry.key, entry.description)
    for key, description in GRAPH_KEYS:
        table.add_row(key, description)
    table.add_row("", "")
    for status, mark in GLYPHS.items():
        table.add_row(mark, status)
    table.add_row(SHARE_MARK, "the job uses the build's share")
    table.add_row("━ ┃", "data passed from one job's output to another")
    table.add_row("─ │", "ordering: the job started after the other finished")
    return table


class HelpScreen(ModalScreen[None]):
    """Keys, glyphs and edges; Esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", key_display="Esc"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("brigtui keys", style="bold"), classes="title")
            yield Static(help_table())
