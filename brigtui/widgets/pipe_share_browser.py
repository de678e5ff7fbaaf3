"""Browse one build's share through the inspector and pick a file as the pipe pane's source."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.model import format_size
from brigtui.engine.store import BuildRecord
from brigtui.pipe_pane_model import SourceChoice
from brigtui.share.backends import inspector_for
from brigtui.share.inspector import Entry, ShareInspector, display_name, display_path
from brigtui.widgets.pipe_dialog import PipeDialog

UP = ".."


@dataclass
class ShareListed(Message, bubble=False):
    """A folder of the share was listed (in a thread)."""

    path: str
    entries: list[Entry]


@dataclass
class ShareFailed(Message, bubble=False):
    """Opening the share or listing a folder failed, with the reason and what to do in `error`."""

    error: str


def entry_prompt(entry: Entry) -> Text:
    if entry.kind == "dir":
        return Text(f"▸ {display_name(entry.name)}/")
    if entry.kind == "link":
        return Text(f"→ {display_name(entry.name)} -> {display_name(entry.link_target or '?')}")
    if entry.kind == "file":
        return Text(f"  {display_name(entry.name)}  {format_size(entry.size)}")
    return Text(f"? {display_name(entry.name)} (not a file)")


class ShareBrowser(PipeDialog[SourceChoice | None]):
    """Enter opens a folder or picks a file, Backspace goes up, Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
        Binding("backspace", "up", "Up"),
    ]

    def __init__(self, engine: Engine, build: BuildRecord) -> None:
        super().__init__()
        self.engine = engine
        self.build = build
        self.inspector: ShareInspector | None = None
        self.path = ""
        self.entries: dict[str, Entry] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="pipe-dialog"):
            yield Static(f"Share of build {self.build.id}", id="share-title", classes="title")
            yield OptionList(Option("opening the share…", disabled=True), id="share-options",
                             markup=False)
            yield Static("", id="share-error", classes="pipe-error")
            yield Static("↑↓ move · Enter open/pick · Backspace up · Esc cancel",
                         classes="pipe-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.list_folder("")

    @work(thread=True, group="share-browser", exclusive=True, exit_on_error=False)
    def list_folder(self, path: str) -> None:
        """Open the inspector on first use, then list one folder of the share."""
        try:
            if self.inspector is None:
                inspector = inspector_for(self.build, self.engine.load_settings(),
                                          self.engine.state_dir)
                inspector.open()
                if get_current_worker().is_cancelled:
                    # The browser closed while the inspector opened: release it now.
                    inspector.close()
                    return
                self.inspector = inspector
            entries = self.inspector.list_dir(path)
        except BrigtuiError as error:
            self.post_message(ShareFailed(str(error)))
            return
        self.post_message(ShareListed(path, entries))

    def on_share_listed(self, message: ShareListed) -> None:
        self.path = message.path
        self.entries = {entry.path: entry for entry in message.entries}
        self.query_one("#share-title", Static).update(
            Text(f"Share of build {self.build.id}: {display_path(self.path)}"))
        self.query_one("#share-error", Static).update("")
        options = [Option(Text(f"▴ {UP}"), id=UP)] if self.path else []
        options += [Option(entry_prompt(entry), id=entry.path) for entry in message.entries]
        if not message.entries:
            options.append(Option("(empty folder)", disabled=True))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options)
        listing.highlighted = 0 if options else None

    def on_share_failed(self, message: ShareFailed) -> None:
        self.query_one("#share-error", Static).update(Text(f"✗ {message.error}"))

    @on(OptionList.OptionSelected, "#share-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        if key == UP:
            self.action_up()
            return
        entry = self.entries.get(key)
        if entry is None or self.inspector is None:
            return
        if entry.kind == "dir":
            self.list_folder(entry.path)
        elif entry.kind in ("file", "link"):
            size = entry.size if entry.kind == "file" else None
            inspector, self.inspector = self.inspector, None
            self.dismiss(SourceChoice(self.build.id, share_path=entry.path, size=size,
                                      inspector=inspector))
        else:
            self.on_share_failed(ShareFailed(f"{display_name(entry.path)} is not a regular file"))

    def action_up(self) -> None:
        if self.path:
            self.list_folder(self.path.rpartition("/")[0])

    def action_cancel(self) -> None:
        inspector, self.inspector = self.inspector, None
        if inspector is not None:
            # Closing may remove a debug pod: it blocks, so it runs in a thread of the app.
            self.app.run_worker(inspector.close, thread=True, group="share-close",
                                exit_on_error=False)
        self.dismiss(None)
