"""The live job graph of one build: a node per job, edges for hand-overs and ordering."""

from __future__ import annotations

import time

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from brigtui.tui_messages import JobOpened, JobSelected
from brigtui.widgets.build_model import BuildView, JobView, format_duration, glyph
from brigtui.widgets.graph_layout import Layout, lay_out

GAP = 5
"""Columns between two layers, where the edges run."""
SHARE_MARK = "▣"

# Box-drawing characters by the directions a cell connects to (north, south, east, west).
_LIGHT = {
    "EW": "─", "NS": "│", "ES": "┌", "SW": "┐", "NE": "└", "NW": "┘",
    "NES": "├", "NSW": "┤", "ESW": "┬", "NEW": "┴", "NESW": "┼",
    "E": "─", "W": "─", "N": "│", "S": "│",
}
_HEAVY = {
    "EW": "━", "NS": "┃", "ES": "┏", "SW": "┓", "NE": "┗", "NW": "┛",
    "NES": "┣", "NSW": "┫", "ESW": "┳", "NEW": "┻", "NESW": "╋",
    "E": "━", "W": "━", "N": "┃", "S": "┃",
}
_STATUS_STYLES = {
    "pending": Style(dim=True),
    "running": Style(color="yellow", bold=True),
    "succeeded": Style(color="green"),
    "failed": Style(color="red", bold=True),
    "cancelled": Style(color="magenta"),
    "reused": Style(color="cyan"),
}
_PLAIN = Style()
_DATA_EDGE = Style(color="cyan")
_ORDER_EDGE = Style(dim=True)


def node_label(job: JobView, now: float) -> str:
    """Return a job's one-line label: glyph, name, live duration, share mark."""
    label = f"{glyph(job.status)} {job.name}"
    duration = format_duration(job.duration(now))
    if duration:
        label += f" {duration}"
    if job.uses_share:
        label += f" {SHARE_MARK}"
    return label


class JobGraph(ScrollView, can_focus=True):
    """Jobs laid out in layers left to right; arrows move between jobs, Enter opens one."""

    BINDINGS = [
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("enter", "open", "Open job"),
    ]

    selected: reactive[str | None] = reactive(None)

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.build: BuildView | None = None
        self.layout_result = Layout()
        self._shape_version = -1
        self._drawn_version = -1
        self._chars: list[list[str]] = []
        self._styles: list[list[Style | None]] = []
        self._row_cache: dict[int, list[Segment]] = {}
        """Segments of the rows drawn since the last change; only visible rows get built."""
        self._node_x: dict[str, tuple[int, int]] = {}

    # Feeding the graph

    def show(self, build: BuildView | None) -> None:
        """Show another build (or none); keeps the cursor on a job of the same name."""
        if build is not self.build:
            self.build = build
            self._shape_version = -1
            self._drawn_version = -1
        self.update_graph(force=True)

    def update_graph(self, force: bool = False) -> None:
        """Redraw when the build changed, or always with `force` (live durations)."""
        build = self.build
        if build is None:
            self._chars, self._styles, self._row_cache = [], [], {}
            self.layout_result = Layout()
            self.virtual_size = Size(0, 0)
            self.refresh()
            return
        if build.shape_version != self._shape_version:
            self.layout_result = lay_out(list(build.jobs), build.edges)
            self._shape_version = build.shape_version
        if not force and build.version == self._drawn_version:
            return
        self._drawn_version = build.version
        self._draw(build)
        if self.selected not in build.jobs:
            self.selected = next(iter(build.jobs), None)

    def has_running_jobs(self) -> bool:
        return self.build is not None and any(
            job.status == "running" for job in self.build.jobs.values()
        )

    # Drawing

    def _draw(self, build: BuildView) -> None:
        layout = self.layout_result
        now = time.monotonic()
        labels = {name: node_label(job, now) for name, job in build.jobs.items()}

        # Column widths and starts.
        widths = [4] * layout.columns
        for name, (column, _) in layout.position.items():
            widths[column] = max(widths[column], len(labels[name]))
        starts = [0] * layout.columns
        for column in range(1, layout.columns):
            starts[column] = starts[column - 1] + widths[column - 1] + GAP
        total_width = (starts[-1] + widths[-1]) if layout.columns else 0

        # Edge cells: the directions each cell connects to, and whether a data edge passes.
        links: dict[tuple[int, int], set[str]] = {}
        heavy: set[tuple[int, int]] = set()

        def link(x: int, y: int, directions: str, data: bool) -> None:
            links.setdefault((x, y), set()).update(directions)
            if data:
                heavy.add((x, y))

        real = {position for position in layout.position.values()}
        for route in layout.routes:
            data = route.kind == "data"
            for (column, row), (_, next_row) in zip(route.points, route.points[1:], strict=False):
                if (column, row) not in real:
                    for x in range(starts[column], starts[column] + widths[column]):
                        link(x, row, "EW", data)
                left = starts[column] + widths[column]
                bend = left + GAP // 2
                for x in range(left, bend):
                    link(x, row, "EW", data)
                for x in range(bend + 1, left + GAP - 1):
                    link(x, next_row, "EW", data)
                if next_row == row:
                    link(bend, row, "EW", data)
                    continue
                down = next_row > row
                link(bend, row, "W" + ("S" if down else "N"), data)
                link(bend, next_row, "E" + ("N" if down else "S"), data)
                for y in range(min(row, next_row) + 1, max(row, next_row)):
                    link(bend, y, "NS", data)

        # Rows of segments: edge cells first, then the node labels over them.
        height = layout.rows
        chars = [[" "] * total_width for _ in range(height)]
        styles: list[list[Style | None]] = [[None] * total_width for _ in range(height)]
        for (x, y), directions in links.items():
            table = _HEAVY if (x, y) in heavy else _LIGHT
            chars[y][x] = table["".join(d for d in "NESW" if d in directions)]
            styles[y][x] = _DATA_EDGE if (x, y) in heavy else _ORDER_EDGE
        self._node_x = {}
        for name, (column, row) in layout.position.items():
            x = starts[column]
            label = labels[name].ljust(widths[column])
            self._node_x[name] = (x, len(labels[name]))
            style = _STATUS_STYLES.get(build.jobs[name].status, Style())
            for offset, char in enumerate(label):
                chars[row][x + offset] = char
                styles[row][x + offset] = style
        self._chars, self._styles, self._row_cache = chars, styles, {}
        self.virtual_size = Size(total_width, height)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y
        width = self.scrollable_content_region.width
        if self.build is None or not self.build.jobs:
            text = "no build selected" if self.build is None else "no jobs yet"
            segments = [Segment(text, Style(dim=True))] if y == 0 else []
            return Strip(segments).crop_extend(0, width, self.rich_style)
        if row >= len(self._chars):
            return Strip.blank(width, self.rich_style)
        segments = self.row_segments(row)
        selected = self.selected
        if selected in self._node_x and self.layout_result.position[selected][1] == row:
            x, length = self._node_x[selected]
            strip = Strip(segments)
            before, middle, after = strip.divide([x, x + length, strip.cell_length])
            cursor = Style(reverse=True, bold=self.has_focus)
            segments = [*before, *Segment.apply_style(list(middle), post_style=cursor), *after]
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def row_segments(self, row: int) -> list[Segment]:
        """Return the segments of one row of the whole graph (without the cursor)."""
        segments = self._row_cache.get(row)
        if segments is None:
            segments = self._row_cache[row] = _segments(self._chars[row], self._styles[row])
        return segments

    # Cursor

    def watch_selected(self, selected: str | None) -> None:
        self.refresh()
        if selected is None or self.build is None:
            return
        if selected in self._node_x:
            x, length = self._node_x[selected]
            row = self.layout_result.position[selected][1]
            self.scroll_to_region(Region(x, row, length, 1), animate=False)
        self.post_message(JobSelected(self.build.id, selected))

    def action_move(self, dx: int, dy: int) -> None:
        layout = self.layout_result
        if self.selected not in layout.position:
            return
        column, row = layout.position[self.selected]
        columns = layout.column_nodes()
        if dy:
            names = columns[column]
            index = names.index(self.selected) + dy
            if 0 <= index < len(names):
                self.selected = names[index]
            return
        target = column + dx
        while 0 <= target < len(columns) and not columns[target]:
            target += dx
        if 0 <= target < len(columns):
            self.selected = min(columns[target], key=lambda n: abs(layout.position[n][1] - row))

    def action_open(self) -> None:
        if self.build is not None and self.selected is not None:
            self.post_message(JobOpened(self.build.id, self.selected))


def _segments(chars: list[str], styles: list[Style | None]) -> list[Segment]:
    """Join runs of cells that share a style into segments."""
    segments: list[Segment] = []
    start = 0
    for index in range(1, len(chars) + 1):
        if index == len(chars) or styles[index] is not styles[start]:
            # Textual's colour filters (NO_COLOR) need a Style on every segment, never None.
            segments.append(Segment("".join(chars[start:index]), styles[start] or _PLAIN))
            start = index
    return segments
