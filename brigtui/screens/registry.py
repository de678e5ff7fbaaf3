"""Keys as data: every key action and every screen a key opens, in one place.

The app and the dashboard build their key bindings from these lists, the command palette
lists every entry, and the help screen prints them. A new screen is one `ScreenEntry`
line in `SCREENS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.screen import Screen

    from brigtui.screens.dashboard import DashboardScreen


@dataclass(frozen=True)
class KeyAction:
    """A key bound to an action, with its title in the footer and the command palette."""

    key: str
    action: str
    title: str
    description: str
    show: bool = True
    """Whether the footer shows the key."""
    display: str = ""
    """Key text for help and the palette, when the Textual key name reads badly."""

    @property
    def label(self) -> str:
        return self.display or self.key


@dataclass(frozen=True)
class ScreenEntry:
    """A screen opened from the dashboard by a key; `factory` gets the dashboard."""

    key: str
    name: str
    title: str
    description: str
    factory: Callable[[DashboardScreen], Screen[None]]


def _help(dashboard: DashboardScreen) -> Screen[None]:
    from brigtui.screens.help import HelpScreen

    return HelpScreen()


def _history(dashboard: DashboardScreen) -> Screen[None]:
    from brigtui.screens.history import history_from_dashboard

    return history_from_dashboard(dashboard)


def _timeline(dashboard: DashboardScreen) -> Screen[None]:
    from brigtui.screens.timeline import timeline_from_dashboard

    return timeline_from_dashboard(dashboard)


def _pipe_pane(dashboard: DashboardScreen) -> Screen[None]:
    from brigtui.screens.pipe_pane import pane_for_dashboard

    return pane_for_dashboard(dashboard)


def _share(dashboard: DashboardScreen) -> Screen[None]:
    from brigtui.screens.share_inspector import share_screen_for

    build_id = dashboard.build.id if dashboard.build is not None else "last"
    return share_screen_for(dashboard.brig.engine, build_id)


APP_ACTIONS: list[KeyAction] = [
    KeyAction("ctrl+q", "quit", "Quit", "Quit; asks first when builds are running"),
]

DASHBOARD_ACTIONS: list[KeyAction] = [
    KeyAction("r", "rerun", "Rerun", "Rerun the selected script with its current event"),
    KeyAction("c", "cancel", "Cancel", "Cancel the selected build, else the newest running one"),
    KeyAction("l", "logs", "Logs", "Show the selected job's log, or the build's own log"),
    KeyAction("n", "run_dialog", "Run…", "Run any script with an event name and a payload"),
    KeyAction("slash", "search", "Search", "Search the log, or filter the script list",
              display="/"),
    KeyAction("a", "toggle_auto", "Auto", "Turn rerunning on file changes on or off"),
    KeyAction("u", "run_pending", "Run pending",
              "Run the changes that waited while auto-rerun was off"),
    KeyAction("enter", "open", "Open", "Open the selected job's details", show=False),
    KeyAction("escape", "back", "Back", "Leave search, or go back to the script list",
              show=False, display="Esc"),
    KeyAction("tab", "app.focus_next", "Next pane", "Move to the next pane", show=False),
]

SCREENS: list[ScreenEntry] = [
    ScreenEntry("question_mark", "help", "Help", "Show the keys and screens", _help),
    ScreenEntry("h", "history", "History",
                "Every recorded build: filter, open, rerun, resume, compare", _history),
    ScreenEntry("p", "pipe", "Pipe pane",
                "Move a job's output or a share file through a filter into one job, run alone",
                _pipe_pane),
    ScreenEntry("s", "share", "Share", "Inspect the selected build's share (read-only)", _share),
    ScreenEntry("t", "timeline", "Timeline",
                "The selected build's jobs as bars on one time axis", _timeline),
]


def bindings(actions: list[KeyAction]) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    return [
        Binding(item.key, item.action, item.title, show=item.show, key_display=item.display or None)
        for item in actions
    ]


def screen_bindings() -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    return [
        Binding(entry.key, f"open_screen('{entry.name}')", entry.title,
                key_display="?" if entry.key == "question_mark" else None)
        for entry in SCREENS
    ]


def screen_entry(name: str) -> ScreenEntry:
    for entry in SCREENS:
        if entry.name == name:
            return entry
    raise KeyError(f"no screen named {name!r}; known: {', '.join(e.name for e in SCREENS)}")
