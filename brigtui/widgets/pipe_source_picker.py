"""The pipe pane's source picker: a finished job of a recorded build, or a file of its share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from brigtui.engine.engine import Engine
from brigtui.engine.model import format_size
from brigtui.engine.store import BuildRecord
from brigtui.pipe_pane_model import SourceChoice
from brigtui.widgets.build_model import glyph
from brigtui.widgets.pipe_dialog import PipeDialog
from brigtui.widgets.pipe_share_browser import ShareBrowser

BUILD_LIMIT = 50
"""Recorded builds the picker lists, newest first (the pane's own build always comes first)."""
OUTPUT_STATES = ("succeeded", "reused", "failed")
"""Job states whose recorded output is complete (the engine refuses the others)."""
SHARE_STATES = ("kept", "live")


@dataclass
class BuildsListed(Message, bubble=False):
    """The picker read the recorded builds (in a thread)."""

    builds: list[BuildRecord]


def source_options(builds: list[BuildRecord]) -> tuple[list[Option], dict[str, SourceChoice | str]]:
    """Return the picker's rows and what each selectable row picks (a choice, or a build's share)."""
    options: list[Option] = []
    picks: dict[str, SourceChoice | str] = {}
    for build in builds:
        header = Text.assemble((f"{glyph(build.status)} build {build.id}", "bold"),
                               f" {Path(build.script).name} [{build.event}]")
        options.append(Option(header, id=f"build:{build.id}", disabled=True))
        for job in build.jobs:
            if job.status not in OUTPUT_STATES or not job.output_path:
                continue
            size = format_size(job.output_size or 0)
            key = f"job:{build.id}:{job.name}"
            options.append(Option(Text(f"  {glyph(job.status)} {job.name}  {size}"), id=key))
            picks[key] = SourceChoice(build.id, job=job.name, size=job.output_size, image=job.image)
        if build.share_state in SHARE_STATES:
            key = f"share:{build.id}"
            options.append(Option(Text(f"  ▣ files in the share ({build.share_state})…"), id=key))
            picks[key] = build.id
    return options, picks


class SourcePicker(PipeDialog[SourceChoice | None]):
    """Pick the pane's source with the arrows and Enter; Esc leaves it as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, engine: Engine, first_build: str | None) -> None:
        super().__init__()
        self.engine = engine
        self.first_build = first_build
        self.picks: dict[str, SourceChoice | str] = {}
        self.builds: dict[str, BuildRecord] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="pipe-dialog"):
            yield Static("Source: a job's output, or a file in a build's share", classes="title")
            yield OptionList(Option("reading the recorded builds…", disabled=True),
                             id="source-options", markup=False)
            yield Static("↑↓ move · Enter pick · Esc cancel", classes="pipe-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.list_builds()

    @work(thread=True, group="source-picker", exclusive=True, exit_on_error=False)
    def list_builds(self) -> None:
        """Read the newest builds with their jobs; the pane's own build comes first."""
        store = self.engine.store
        builds = store.list_builds(limit=BUILD_LIMIT, with_jobs=True)
        if self.first_build is not None:
            first = store.get_build(self.first_build)
            builds = [b for b in builds if b.id != self.first_build]
            if first is not None:
                builds.insert(0, first)
        self.post_message(BuildsListed(builds))

    def on_builds_listed(self, message: BuildsListed) -> None:
        self.builds = {build.id: build for build in message.builds}
        options, self.picks = source_options(message.builds)
        listing = self.query_one(OptionList)
        listing.clear_options()
        if not self.picks:
            options.append(Option("no recorded job has finished yet: run a build first",
                                  disabled=True))
        listing.add_options(options)
        first = next((i for i, option in enumerate(options) if not option.disabled), None)
        listing.highlighted = first

    @on(OptionList.OptionSelected, "#source-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        pick = self.picks.get(event.option.id or "")
        if isinstance(pick, SourceChoice):
            self.dismiss(pick)
        elif isinstance(pick, str):
            self.app.push_screen(ShareBrowser(self.engine, self.builds[pick]), self._share_picked)

    def _share_picked(self, choice: SourceChoice | None) -> None:
        if choice is not None:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
