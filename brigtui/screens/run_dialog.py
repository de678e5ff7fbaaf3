"""Run any script with an event name and a payload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from brigtui.engine.script import declared_events


@dataclass
class RunRequest:
    script: Path
    event: str
    payload: Any


def parse_payload(text: str, folder: Path) -> Any:
    """Parse a payload typed in the dialog: empty, JSON, or @FILE (relative to the folder).

    Raises ValueError with a message that names what to fix.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        if not path.is_absolute():
            path = folder / path
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read the payload file {path}: {error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"the payload is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); type JSON such as {{\"ref\": \"main\"}} or @FILE"
        ) from error


class RunDialog(ModalScreen[RunRequest | None]):
    """Pick a script, an event and a payload; Enter runs, Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
        Binding("ctrl+r", "run", "Run"),
    ]

    def __init__(self, scripts: list[Path], selected: Path | None, folder: Path) -> None:
        super().__init__()
        self.scripts = scripts
        self.selected: Path | None = selected
        if selected not in scripts:
            self.selected = scripts[0] if scripts else None
        self.folder = folder

    def compose(self) -> ComposeResult:
        options = [(self.script_name(script), script) for script in self.scripts]
        with Vertical(id="run-dialog"):
            yield Static("Run a script", classes="title")
            yield Label("script")
            yield Select(options, value=self.selected or Select.BLANK,
                         allow_blank=not self.scripts, id="run-script")
            yield Label("event")
            yield Input(value="exec", id="run-event")
            yield Label("payload (JSON, or @FILE)")
            yield Input(placeholder='{"ref": "main"}', id="run-payload")
            yield Static("", id="run-error")
            with Horizontal(id="run-buttons"):
                yield Button("Run", variant="primary", id="run-go")
                yield Button("Cancel", id="run-cancel")

    def on_mount(self) -> None:
        self._suggest_event()
        self.query_one("#run-event", Input).focus()

    def script_name(self, script: Path) -> str:
        try:
            return str(script.relative_to(self.folder))
        except ValueError:
            return str(script)

    @on(Select.Changed, "#run-script")
    def _suggest_event(self) -> None:
        value = self.query_one("#run-script", Select).value
        if isinstance(value, Path):
            events = declared_events(value)
            hint = ", ".join(events) if events else "none found"
            self.query_one("#run-event", Input).tooltip = f"events of this script: {hint}"

    @on(Input.Submitted)
    @on(Button.Pressed, "#run-go")
    def action_run(self) -> None:
        error = self.query_one("#run-error", Static)
        script = self.query_one("#run-script", Select).value
        event = self.query_one("#run-event", Input).value.strip()
        if not isinstance(script, Path):
            error.update("Pick a script first.")
            return
        if not event:
            error.update("Type an event name, such as exec.")
            return
        try:
            payload = parse_payload(self.query_one("#run-payload", Input).value, self.folder)
        except ValueError as problem:
            error.update(str(problem))
            return
        self.dismiss(RunRequest(script, event, payload))

    @on(Button.Pressed, "#run-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
