"""Two runs of one script side by side: which jobs changed state or duration, and a diff
of one job's two logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from brigtui.build_compare import JobChange, compare_jobs, default_partner, log_diff
from brigtui.engine.engine import Engine
from brigtui.engine.store import BuildRecord
from brigtui.screens.key_commands import ScreenKeyCommands
from brigtui.widgets.build_model import format_duration, glyph

logger = logging.getLogger(__name__)

RUNS_LIMIT = 500
"""Runs of the same script offered as the other side, newest first."""
_DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan", "#": "dim"}


@dataclass(frozen=True)
class Comparison:
    """Two builds of one script, older first, with their jobs paired by name."""

    old: BuildRecord
    new: BuildRecord
    changes: list[JobChange]
    runs: list[str]
    """Ids of every run of the script (newest first), to step through with n and p."""


def _side(status: str | None, seconds: float | None) -> str:
    if status is None:
        return f"{'(no such job)':<19}"
    took = format_duration(seconds) if seconds is not None else "-"
    return f"{glyph(status)} {status:<10} {took:>6}"


def change_text(change: JobChange) -> Text:
    """Return one compared job as a line: both states and durations, and what changed."""
    note = ""
    if change.status_changed:
        note = "state changed"
    elif change.duration_changed and change.old_seconds and change.new_seconds:
        factor = change.new_seconds / change.old_seconds
        note = f"{factor:.1f}x slower" if factor > 1 else f"{1 / factor:.1f}x faster"
    return Text.assemble(
        ("* " if change.changed else "  ", "bold"),
        f"{change.name[:16]:<16} ",
        _side(change.old_status, change.old_seconds),
        " → ",
        _side(change.new_status, change.new_seconds),
        (f"  {note}", "bold" if change.changed else "dim"),
    )


def load_comparison(engine: Engine, build_id: str, other_id: str | None) -> Comparison | str:
    """Read both builds (the default partner when `other_id` is None); return the
    comparison, or a message that explains why there is none."""
    build = engine.store.get_build(build_id)
    if build is None:
        return f"build {build_id} is not recorded (gc may have removed it)"
    runs = engine.store.list_builds(script=build.script, limit=RUNS_LIMIT)
    other = None
    if other_id is not None:
        other = engine.store.get_build(other_id)
    else:
        partner = default_partner(build, runs)
        other = engine.store.get_build(partner.id) if partner else None
    if other is None:
        return f"build {build_id} is the only recorded run of {build.script}; nothing to compare"
    old, new = sorted((build, other), key=lambda b: (b.created_at, b.id))
    return Comparison(old, new, compare_jobs(old, new), [run.id for run in runs])


class CompareScreen(Screen[None]):
    """Jobs of both builds above, the log diff of the highlighted job below.

    n and p step the other side through the script's other runs; Esc goes back.
    """

    DEFAULT_CSS = """
    CompareScreen .title { height: 1; background: $boost; text-wrap: nowrap; }
    CompareScreen #compare-jobs { height: 40%; min-height: 3; border: none; padding: 0; }
    CompareScreen #compare-diff { height: 1fr; min-height: 2; scrollbar-size: 1 1; }
    """

    COMMANDS = {ScreenKeyCommands}
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", key_display="Esc"),
        Binding("n", "step(1)", "Older run"),
        Binding("p", "step(-1)", "Newer run"),
        Binding("tab", "focus_next", "Next pane", show=False),
    ]

    def __init__(self, engine: Engine, build_id: str, other_id: str | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.build_id = build_id
        self.other_id = other_id
        self.comparison: Comparison | None = None
        self.diff_job: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="compare-title", classes="title")
        yield OptionList(id="compare-jobs")
        yield Static(id="diff-title", classes="title")
        yield RichLog(id="compare-diff", wrap=False, highlight=False, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def load(self) -> None:
        result = load_comparison(self.engine, self.build_id, self.other_id)
        self.app.call_from_thread(self._loaded, result)

    def _loaded(self, result: Comparison | str) -> None:
        title = self.query_one("#compare-title", Static)
        jobs = self.query_one(OptionList)
        jobs.clear_options()
        if isinstance(result, str):
            self.comparison = None
            title.update(Text(result, style="bold"))
            return
        self.comparison = result
        old, new = result.old, result.new
        self.other_id = new.id if old.id == self.build_id else old.id
        title.update(Text.assemble(
            (f"{glyph(old.status)} {old.id}", "bold"), " → ",
            (f"{glyph(new.status)} {new.id}", "bold"),
            f" · {sum(c.changed for c in result.changes)} of {len(result.changes)} jobs changed",
        ))
        jobs.add_options(Option(change_text(c), id=c.name) for c in result.changes)
        if result.changes:
            first_changed = next((i for i, c in enumerate(result.changes) if c.changed), 0)
            jobs.highlighted = first_changed

    @on(OptionList.OptionHighlighted, "#compare-jobs")
    def _job_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        job = event.option.id
        if job is not None and job != self.diff_job and self.comparison is not None:
            self.diff_job = job
            self.query_one("#diff-title", Static).update(
                Text(f"log diff of job {job}: - {self.comparison.old.id}, "
                     f"+ {self.comparison.new.id}", style="bold"))
            self.show_diff(self.comparison, job)

    @work(thread=True, exclusive=True, group="compare-diff", exit_on_error=False)
    def show_diff(self, comparison: Comparison, job: str) -> None:
        """Diff the job's two logs, read with a size cap, off the event loop."""
        old_job = next((j for j in comparison.old.jobs if j.name == job), None)
        new_job = next((j for j in comparison.new.jobs if j.name == job), None)
        lines = log_diff(
            old_job.log_path if old_job else None,
            new_job.log_path if new_job else None,
            f"{comparison.old.id}/{job}",
            f"{comparison.new.id}/{job}",
        )
        self.app.call_from_thread(self._diff_ready, job, lines)

    def _diff_ready(self, job: str, lines: list[str]) -> None:
        if job != self.diff_job:
            return
        diff = self.query_one("#compare-diff", RichLog)
        diff.clear()
        for line in lines:
            diff.write(Text(line, style=_DIFF_STYLES.get(line[:1], "")))

    def action_step(self, direction: int) -> None:
        """Compare with the next older (1) or newer (-1) run of the script."""
        comparison = self.comparison
        if comparison is None:
            return
        others = [run for run in comparison.runs if run != self.build_id]
        if not others:
            self.notify("No other run of this script is recorded.", severity="warning")
            return
        index = others.index(self.other_id) if self.other_id in others else -1
        index = min(max(index + direction, 0), len(others) - 1)
        if others[index] == self.other_id:
            self.notify("No further run in that direction.")
            return
        self.other_id = others[index]
        self.diff_job = None
        self.load()
