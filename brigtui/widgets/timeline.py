"""A build's jobs as bars on one time axis, so the slow or stuck job is easy to see.

Each row is a job: its state glyph, its name, a bar from its start to its end (to now while
it runs), its duration and a mark. Bars are drawn with a different character per state, so
the timeline reads without colour. The slowest job gets `◀`; a job that took (or has been
running) more than `SLOW_FACTOR` times its usual duration gets `⚠`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from brigtui.engine.ids import parse_iso
from brigtui.engine.store import BuildRecord
from brigtui.widgets.build_model import BuildView, format_duration, glyph

FILL = {
    "succeeded": "█",
    "failed": "▓",
    "running": "▒",
    "cancelled": "░",
    "interrupted": "░",
    "reused": "↺",
}
"""Bar characters by state; a state not listed draws `─`."""
STATUS_STYLES = {
    "pending": Style(dim=True),
    "queued": Style(dim=True),
    "running": Style(color="yellow", bold=True),
    "succeeded": Style(color="green"),
    "failed": Style(color="red", bold=True),
    "cancelled": Style(color="magenta"),
    "interrupted": Style(color="red"),
    "reused": Style(color="cyan"),
}
SLOWEST_MARK = "◀"
SLOW_MARK = "⚠"
SLOW_FACTOR = 2.0
"""A job is marked slow when it takes this many times its usual duration..."""
SLOW_MIN_SECONDS = 5.0
"""...and at least this many seconds more."""
MAX_NAME = 18
DURATION_WIDTH = 6
LEGEND = (f"█ ok ▓ failed ▒ running ░ cancelled ↺ reused {SLOWEST_MARK} slowest "
          f"{SLOW_MARK} slower than usual")


@dataclass(frozen=True)
class TimelineJob:
    """A job's state and times, in seconds of the timeline's clock (None: not yet)."""

    name: str
    status: str
    start: float | None
    end: float | None


@dataclass(frozen=True)
class TimelineData:
    """A timeline's content: jobs on the clock `clock`, from `origin` to `finished`."""

    title: str
    origin: float
    finished: float | None
    jobs: list[TimelineJob]
    clock: Callable[[], float] = time.time
    usual: dict[str, float] = field(default_factory=dict)
    """Usual durations by job name (from an earlier good run), for the slow mark."""


def _epoch(value: str | None) -> float | None:
    moment = parse_iso(value)
    return moment.timestamp() if moment else None


def timeline_from_record(build: BuildRecord, usual: dict[str, float] | None = None) -> TimelineData:
    """Return the timeline of a recorded build (wall-clock times)."""
    jobs = [
        TimelineJob(job.name, job.status, _epoch(job.started_at), _epoch(job.finished_at))
        for job in build.jobs
    ]
    origin = _epoch(build.started_at) or _epoch(build.created_at) or time.time()
    title = f"{glyph(build.status)} {build.status} · {Path(build.script).name} · build {build.id}"
    return TimelineData(title, origin, _epoch(build.finished_at), jobs, time.time, usual or {})


def timeline_from_view(build: BuildView, usual: dict[str, float] | None = None) -> TimelineData:
    """Return the timeline of a build the dashboard follows live (monotonic times)."""
    jobs = [
        TimelineJob(job.name, job.status, job.started, job.finished)
        for job in sorted(build.jobs.values(), key=lambda job: job.seq)
    ]
    title = f"{glyph(build.status)} {build.status} · {Path(build.script).name} · build {build.id}"
    return TimelineData(title, build.started, build.finished, jobs, time.monotonic, usual or {})


def _axis(total: float, indent: int, width: int) -> Text:
    """Return the axis line: 0 at the left, the span at the right, the middle between."""
    line = [" "] * width
    labels = [(0, "0s"), (width - 1, format_duration(total))]
    if width >= 30:
        labels.insert(1, (width // 2, format_duration(total / 2)))
    for position, label in labels:
        start = max(0, min(position - len(label) // 2, width - len(label)))
        if position == 0:
            start = 0
        line[start:start + len(label)] = label
    return Text(" " * indent + "".join(line), style="dim")


def _bar(job: TimelineJob, origin: float, total: float, width: int, now: float) -> str:
    if job.start is None:
        return " " * width
    end = job.end if job.end is not None else now
    left = min(width - 1, int((job.start - origin) / total * width))
    right = max(left + 1, min(width, math.ceil((end - origin) / total * width)))
    fill = FILL.get(job.status, "─")
    cells = [fill] * (right - left)
    if job.status in ("failed", "running", "cancelled", "interrupted"):
        cells[-1] = glyph(job.status)
    return " " * left + "".join(cells) + " " * (width - right)


def render_timeline(data: TimelineData, width: int, now: float | None = None) -> list[Text]:
    """Return the timeline's lines for a given width: axis, one row per job, legend."""
    now = data.clock() if now is None else now
    ends = [job.end if job.end is not None else now for job in data.jobs if job.start is not None]
    last = data.finished if data.finished is not None else max([now, *ends])
    total = max(last - data.origin, *(end - data.origin for end in ends), 0.001)

    # Columns: glyph, name, bar, duration, mark.
    name_width = min(MAX_NAME, max((len(job.name) for job in data.jobs), default=4), width // 4)
    indent = 2 + name_width + 1
    bar_width = max(8, width - indent - 1 - DURATION_WIDTH - 2)
    durations = {
        job.name: (job.end if job.end is not None else now) - job.start
        for job in data.jobs if job.start is not None
    }
    slowest = max(durations, key=lambda name: durations[name]) if durations else None

    # Rows in order of start; jobs that never started go last.
    ordered = sorted(data.jobs, key=lambda job: (job.start is None, job.start or 0.0))
    lines = [Text(data.title, style="bold"), _axis(total, indent, bar_width)]
    for job in ordered:
        style = STATUS_STYLES.get(job.status, Style())
        seconds = durations.get(job.name)
        mark = " "
        usual = data.usual.get(job.name)
        if seconds is not None and usual is not None and seconds > usual * SLOW_FACTOR \
                and seconds - usual >= SLOW_MIN_SECONDS:
            mark = SLOW_MARK
        elif job.name == slowest and len(durations) > 1:
            mark = SLOWEST_MARK
        name = job.name if len(job.name) <= name_width else job.name[: name_width - 1] + "…"
        duration = format_duration(seconds) if seconds is not None else job.status
        lines.append(Text.assemble(
            (f"{glyph(job.status)} ", style),
            f"{name:<{name_width}} ",
            (_bar(job, data.origin, total, bar_width, now), style),
            f" {duration[:DURATION_WIDTH]:>{DURATION_WIDTH}} ",
            (mark, "bold"),
        ))
    if not data.jobs:
        lines.append(Text("no jobs recorded", style="dim"))
    lines.append(Text(LEGEND, style="dim"))
    return lines


class Timeline(Widget):
    """Draws a `TimelineData`; while jobs run, bars grow once a second."""

    DEFAULT_CSS = """
    Timeline {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: TimelineData | None = None
        self.source: Callable[[], TimelineData | None] | None = None
        """Called once a second for fresh data, for a build that changes in place."""

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def show(self, data: TimelineData | None) -> None:
        self.data = data
        self.refresh(layout=True)

    def follow(self, source: Callable[[], TimelineData | None]) -> None:
        """Redraw from `source` now and on every tick."""
        self.source = source
        self.show(source())

    @property
    def running(self) -> bool:
        data = self.data
        return data is not None and data.finished is None

    def _tick(self) -> None:
        if self.source is not None:
            self.show(self.source())
        elif self.running:
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.data is None:
            return 1
        return len(self.data.jobs) + 3 + (0 if self.data.jobs else 1)

    def render(self) -> Text:
        if self.data is None:
            return Text("no build selected", style="dim")
        lines = render_timeline(self.data, max(self.size.width, 20))
        return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
