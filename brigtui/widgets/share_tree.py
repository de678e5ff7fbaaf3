"""The share as a lazily loaded tree: one line per entry with its mode, size and time.

Folders get their children only when first expanded. Large folders are added in batches,
one batch per event-loop turn, so a folder of 10,000 entries never blocks key handling.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import NodeID, TreeNode

from brigtui.share.inspector import Entry, display_name
from brigtui.share.sizes import human_size

BATCH = 400
"""Entries added to the tree per event-loop turn."""
NAME_WIDTH = 32


def entry_label(entry: Entry) -> Text:
    """Format one entry; names are escaped so that control characters cannot reach the terminal."""
    name = display_name(entry.name)
    style = {"dir": "bold blue", "link": "cyan", "other": "magenta"}.get(entry.kind, "")
    if entry.kind == "dir":
        name += "/"
    label = Text(name.ljust(NAME_WIDTH), style=style)
    moment = time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.mtime)) if entry.mtime else "-"
    size = human_size(entry.size) if entry.kind == "file" else ""
    label.append(f" {entry.permissions} {size:>10} {moment}", style="dim")
    if entry.link_target is not None:
        label.append(f" -> {display_name(entry.link_target)}", style="cyan")
    return label


class ShareTree(Tree[Entry]):
    """The share's folders and files, with the children of each folder in `loaded`."""

    def __init__(self, **kwargs: object) -> None:
        root = Entry("", "dir", 0, 0o40755, 0.0)
        super().__init__("share", data=root, **kwargs)  # type: ignore[arg-type]
        self.loaded: set[str] = set()
        self.pending: dict[str, list[Entry]] = {}
        """Entries of each folder still waiting to be added."""
        self.folders: dict[str, TreeNode[Entry]] = {"": self.root}
        """Tree node of every folder added so far, by path."""
        self.label_widths: dict[NodeID, int] = {}

    def get_label_width(self, node: TreeNode[Entry]) -> int:
        # The default renders every label on each rebuild of the tree's lines: about 0.1 s per
        # rebuild at 10,000 rows here. Labels never change, so their widths are cached.
        width = self.label_widths.get(node.id)
        if width is None:
            label = node.label
            plain = label.plain if isinstance(label, Text) else label
            width = self.label_widths[node.id] = cell_len(plain)
        icon = ""
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        return width + cell_len(icon)

    def node_for(self, path: str) -> TreeNode[Entry] | None:
        node = self.folders.get(path)
        return node if node is not None and node.tree is self and _attached(node) else None

    def show_entries(self, path: str, entries: Sequence[Entry]) -> None:
        """Replace a folder's children with `entries`, added in batches."""
        node = self.node_for(path)
        if node is None:
            return
        node.remove_children()
        prefix = f"{path}/" if path else ""
        for stale in [known for known in self.folders if known.startswith(prefix) and known != path]:
            del self.folders[stale]
            self.loaded.discard(stale)
        self.loaded.add(path)
        self.pending[path] = list(entries)
        self._add_batch(path)

    def _add_batch(self, path: str) -> None:
        node = self.node_for(path) if path in self.pending else None
        if node is None:
            self.pending.pop(path, None)
            return
        entries = self.pending[path]
        batch, self.pending[path] = entries[:BATCH], entries[BATCH:]
        for entry in batch:
            if entry.kind == "dir":
                self.folders[entry.path] = node.add(entry_label(entry), data=entry, allow_expand=True)
            else:
                node.add_leaf(entry_label(entry), data=entry)
        if self.pending[path]:
            self.call_later(self._add_batch, path)
        else:
            del self.pending[path]

    def forget(self) -> None:
        """Drop every loaded folder, for a full refresh."""
        self.loaded.clear()
        self.pending.clear()
        self.folders = {"": self.root}
        self.root.remove_children()


def _attached(node: TreeNode[Entry]) -> bool:
    """True while the node is still part of its tree (not removed with a refreshed parent)."""
    while node.parent is not None:
        if node not in node.parent.children:
            return False
        node = node.parent
    return node.is_root
