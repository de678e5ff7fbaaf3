"""Scripts of the pipelines folder with their recent builds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from brigtui.tui_messages import BuildSelected
from brigtui.widgets.build_model import BuildBoard, BuildView, format_duration, glyph

RECENT_BUILDS = 5
"""Builds listed under each script."""

_STATUS_COLOURS = {
    "running": "yellow",
    "succeeded": "green",
    "failed": "red",
    "cancelled": "magenta",
    "interrupted": "red",
    "queued": "blue",
}


@dataclass(frozen=True)
class Entry:
    """The target of a row of the list: a script, or one of its builds."""

    script: Path
    build_id: str | None = None


def build_label(build: BuildView) -> Text:
    """Return a build's row: glyph, start time, duration, trigger."""
    # Build ids start with the UTC date and time: 20261204-201350-4233.
    clock = build.id
    if len(build.id) >= 15:
        clock = f"{build.id[9:11]}:{build.id[11:13]}:{build.id[13:15]}"
    style = _STATUS_COLOURS.get(build.status, "")
    label = Text.assemble(
        (f"{glyph(build.status)} ", style),
        (clock, style),
        f" {format_duration(build.duration()):>5} ",
        (build.trigger, "dim"),
    )
    if build.event != "exec":
        label.append(f" [{build.event}]", "dim")
    return label


class BuildList(Tree[Entry]):
    """A tree: one node per script (with its load error), its recent builds below it."""

    def __init__(self, folder: Path, board: BuildBoard, *, id: str | None = None) -> None:
        super().__init__("scripts", id=id)
        self.folder = folder
        self.board = board
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self.scripts: list[Path] = []
        self.builds: dict[Path, list[str]] = {}
        """Ids of the recent builds of each script, newest first."""
        self.errors: dict[Path, str] = {}
        self.pending: set[Path] = set()
        self.filter = ""
        self._entry_nodes: dict[Entry, TreeNode[Entry]] = {}

    # Data in

    def set_scripts(self, scripts: list[Path]) -> None:
        scripts = sorted(scripts)
        if scripts != self.scripts:
            self.scripts = scripts
            self.rebuild()

    def add_builds(self, builds: list[BuildView]) -> None:
        """List builds under their scripts, newest first (adding scripts if needed)."""
        for build in builds:
            script = Path(build.script)
            ids = self.builds.setdefault(script, [])
            if build.id in ids:
                continue
            ids.append(build.id)
            ids.sort(reverse=True)
            del ids[RECENT_BUILDS:]
            if script not in self.scripts:
                self.scripts = sorted([*self.scripts, script])
        self.rebuild()

    def set_error(self, script: Path, error: str | None) -> None:
        if error is None:
            self.errors.pop(script, None)
        else:
            self.errors[script] = error
        self._relabel_script(script)

    def set_pending(self, scripts: set[Path]) -> None:
        changed = scripts ^ self.pending
        self.pending = set(scripts)
        for script in changed:
            self._relabel_script(script)

    def set_filter(self, term: str) -> None:
        self.filter = term.casefold()
        self.rebuild()

    def refresh_builds(self, build_ids: set[str]) -> None:
        """Update the rows of builds whose state or duration changed."""
        for entry, node in self._entry_nodes.items():
            if entry.build_id in build_ids and entry.build_id in self.board.builds:
                node.set_label(build_label(self.board.builds[entry.build_id]))

    # What the cursor is on

    @property
    def current(self) -> Entry | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def latest_build(self, script: Path) -> BuildView | None:
        builds = self.builds.get(script)
        return self.board.builds.get(builds[0]) if builds else None

    def move_to_script(self, script: Path) -> None:
        node = self._entry_nodes.get(Entry(script))
        if node is not None and self.cursor_node is not node:
            self.move_cursor(node)

    # Drawing

    def rebuild(self) -> None:
        current = self.current
        self.clear()
        self._entry_nodes = {}
        for script in self.scripts:
            if self.filter and self.filter not in self.script_name(script).casefold():
                continue
            entry = Entry(script)
            node = self.root.add(self._script_label(script), data=entry, expand=True)
            self._entry_nodes[entry] = node
            for build_id in self.builds.get(script, []):
                child = Entry(script, build_id)
                build = self.board.builds.get(build_id)
                if build is not None:
                    self._entry_nodes[child] = node.add_leaf(build_label(build), data=child)
        target = self._entry_nodes.get(current) if current is not None else None
        if target is None and current is not None:
            target = self._entry_nodes.get(Entry(current.script))
        if target is not None:
            self.move_cursor(target)
        elif self._entry_nodes:
            self.cursor_line = 0

    def script_name(self, script: Path) -> str:
        try:
            return str(script.relative_to(self.folder))
        except ValueError:
            return str(script)

    def _script_label(self, script: Path) -> Text:
        label = Text(self.script_name(script), style="bold")
        if script in self.pending:
            label.append("  ◌ change pending", "blue")
        if script in self.errors:
            label.append("  ✗ does not load", "red bold")
        return label

    def _relabel_script(self, script: Path) -> None:
        node = self._entry_nodes.get(Entry(script))
        if node is not None:
            node.set_label(self._script_label(script))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        entry = event.node.data
        if entry is None:
            return
        build_id = entry.build_id
        if build_id is None:
            latest = self.latest_build(entry.script)
            build_id = latest.id if latest else None
        self.post_message(BuildSelected(entry.script, build_id))
