"""Subcommands of the `brigtui` command line."""

from __future__ import annotations

import argparse
import sys

from brigtui.engine.errors import BrigtuiError, UsageError

EXIT_USAGE = 2


def dispatch(args: argparse.Namespace) -> int:
    """Run the subcommand in `args`; report brigtui errors as one line on stderr."""
    try:
        if args.command == "ui":
            from brigtui.commands.ui import ui_command

            return ui_command(args)
        if args.command == "run":
            from brigtui.commands.run import run_command

            return run_command(args)
        if args.command in ("builds", "logs"):
            from brigtui.commands import history

            return history.builds_command(args) if args.command == "builds" else history.logs_command(args)
        if args.command == "rerun":
            from brigtui.commands.rerun import rerun_command

            return rerun_command(args)
        if args.command == "share":
            from brigtui.commands.share import share_command

            return share_command(args)
        if args.command == "gc":
            from brigtui.commands.gc import gc_command

            return gc_command(args)
    except UsageError as error:
        print(f"brigtui: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrigtuiError as error:
        print(f"brigtui: {error}", file=sys.stderr)
        return 1
    raise AssertionError(f"unknown command {args.command!r}")
