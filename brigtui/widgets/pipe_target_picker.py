"""The pipe pane's target picker: one job defined by an event script of the folder."""

from __future__ import annotations

import asyncio
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
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.executors.base import JobSpec
from brigtui.tui_watch import find_scripts
from brigtui.widgets.pipe_dialog import PipeDialog

TargetChoice = tuple[Path, JobSpec]


@dataclass
class ScriptPlanned(Message, bubble=False):
    """A dry run of one script found its jobs, or failed with `error`."""

    script: Path
    specs: list[JobSpec]
    error: str | None = None


def spec_summary(spec: JobSpec) -> str:
    """Describe how a job reads data today: its env names, the share, stdin."""
    parts = [spec.image]
    if spec.env:
        parts.append("env " + ", ".join(spec.env))
    if spec.storage:
        parts.append("share")
    if spec.has_stdin:
        parts.append("stdin")
    return " · ".join(parts)


class TargetPicker(PipeDialog[TargetChoice | None]):
    """Pick a job of a script with the arrows and Enter; Esc leaves the target as it was."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, engine: Engine, folder: Path, event: str = "exec") -> None:
        super().__init__()
        self.engine = engine
        self.folder = folder
        self.event = event
        self.picks: dict[str, TargetChoice] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="pipe-dialog"):
            yield Static(f"Target: a job of a script (event {self.event})", classes="title")
            yield OptionList(id="target-options", markup=False)
            yield Static("finding the jobs of each script by a dry run…", id="target-status",
                         classes="pipe-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.plan_scripts()

    @work(group="target-picker", exclusive=True, exit_on_error=False)
    async def plan_scripts(self) -> None:
        """Dry-run every script of the folder, one after another, posting each one's jobs."""
        scripts = await asyncio.to_thread(find_scripts, self.folder)
        for script in scripts:
            try:
                specs = await self.engine.job_specs(script, self.event)
            except BrigtuiError as error:
                self.post_message(ScriptPlanned(script, [], str(error)))
                continue
            self.post_message(ScriptPlanned(script, specs))
        hint = "↑↓ move · Enter pick · Esc cancel"
        if not scripts:
            hint = f"no event scripts in {self.folder}; add one, then press t again"
        self.query_one("#target-status", Static).update(hint)

    def on_script_planned(self, message: ScriptPlanned) -> None:
        listing = self.query_one(OptionList)
        name = self.script_name(message.script)
        if message.error is not None:
            listing.add_option(Option(Text(f"✗ {name}: {message.error}"), disabled=True))
            return
        listing.add_option(Option(Text(name, style="bold"), disabled=True))
        for spec in message.specs:
            key = f"{message.script}::{spec.name}"
            self.picks[key] = (message.script, spec)
            listing.add_option(Option(Text(f"  {spec.name}  ({spec_summary(spec)})"), id=key))
        if listing.highlighted is None and self.picks:
            listing.highlighted = next(
                i for i in range(listing.option_count)
                if not listing.get_option_at_index(i).disabled)

    def script_name(self, script: Path) -> str:
        try:
            return str(script.relative_to(self.folder))
        except ValueError:
            return str(script)

    @on(OptionList.OptionSelected, "#target-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        pick = self.picks.get(event.option.id or "")
        if pick is not None:
            self.dismiss(pick)

    def action_cancel(self) -> None:
        self.dismiss(None)
