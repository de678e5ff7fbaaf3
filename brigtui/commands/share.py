"""`brigtui share ls|cat|get`: look into a build's share headless, through the inspector."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from brigtui.commands.common import find_build, open_store, pipelines_folder
from brigtui.config import Settings, load_settings, secret_masker
from brigtui.engine.errors import UsageError
from brigtui.engine.masking import Masker
from brigtui.share.backends import inspector_for
from brigtui.share.download import download
from brigtui.share.inspector import Entry, ShareError, ShareInspector, display_path
from brigtui.share.sizes import human_size


def share_command(args: argparse.Namespace) -> int:
    folder = pipelines_folder(args.dir)
    store = open_store(folder)
    try:
        build = find_build(store, args.build, folder)
    finally:
        store.close()
    settings = _settings(folder, args)
    if args.action != "get" and args.dest:
        raise UsageError(f"'brigtui share {args.action}' takes no destination; only 'get' does")
    if args.action == "cat" and not args.path:
        raise UsageError("'brigtui share cat' needs a PATH inside the share")

    inspector = inspector_for(build, settings, store.state_dir, args.executor)
    with inspector:
        if args.action == "ls":
            return _list(inspector, args.path)
        if args.action == "cat":
            return _cat(inspector, args.path, secret_masker(folder) if sys.stdout.isatty() else None)
        return _get(inspector, args.path, Path(args.dest or "."), args.force)


def _settings(folder: Path, args: argparse.Namespace) -> Settings:
    settings = load_settings(folder.resolve())
    if getattr(args, "context", None):
        settings.kubernetes.context = args.context
    if getattr(args, "namespace", None):
        settings.kubernetes.namespace = args.namespace
    return settings


def format_entry(entry: Entry) -> str:
    """Format an entry as one `ls -l`-like line: mode, size, time (UTC) and the escaped name."""
    moment = time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.mtime))
    name = display_path(entry.name or entry.path)
    if entry.kind == "dir":
        name += "/"
    if entry.link_target is not None:
        name += f" -> {display_path(entry.link_target)}"
    return f"{entry.permissions} {entry.size:>12} {moment} {name}"


def _list(inspector: ShareInspector, path: str) -> int:
    entry = inspector.stat(path)
    entries = inspector.list_dir(path) if entry.kind == "dir" else [entry]
    for item in entries:
        print(format_entry(item))
    return 0


def _cat(inspector: ShareInspector, path: str, masker: Masker | None) -> int:
    """Write the file to standard output; on a terminal, with secret values masked."""
    out = sys.stdout.buffer
    pending = b""
    for chunk in inspector.read_chunks(path):
        if masker is None:
            out.write(chunk)
            continue
        # Mask whole lines, so a secret split across two chunks is still found.
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        out.write(masker.bytes(pending[:cut]))
        pending = pending[cut:]
    if pending:
        out.write(masker.bytes(pending) if masker else pending)
    out.flush()
    return 0



def _get(inspector: ShareInspector, path: str, dest: Path, force: bool) -> int:
    show = sys.stderr.isatty()

    def progress(done: int, total: int, name: str) -> None:
        if show:
            print(f"\r{human_size(done)} of {human_size(total)}  {display_path(name)[:50]:<50}",
                  end="", file=sys.stderr, flush=True)

    try:
        report = download(inspector, path, dest, overwrite=force, progress=progress)
    finally:
        if show:
            print(file=sys.stderr)
    for line in report.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    files = "1 file" if report.files == 1 else f"{report.files} files"
    print(f"wrote {files} ({human_size(report.bytes)}) into {dest}", file=sys.stderr)
    if report.skipped:
        raise ShareError(f"{len(report.skipped)} archive members were not written (listed above)")
    return 0
