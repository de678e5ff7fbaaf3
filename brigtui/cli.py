"""The `brigtui` command: the TUI by default, subcommands for headless use.

This module imports neither Textual nor the Kubernetes client, so `brigtui --help` and
`brigtui run` start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from brigtui import __version__

SUBCOMMANDS = ("run", "builds", "logs", "rerun", "share", "gc")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brigtui",
        description="Run Brigade-style pipelines from Python event scripts. Without a "
        "subcommand, open the terminal UI on DIR: it watches the folder and reruns scripts "
        "when files change.",
    )
    parser.add_argument("--version", action="version", version=f"brigtui {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    tui = commands.add_parser("ui", help="open the terminal UI on DIR (the default command)")
    tui.add_argument("dir", nargs="?", default="pipelines", help="pipelines folder (default: ./pipelines)")
    _add_executor_options(tui)

    run = commands.add_parser("run", help="run one build headless")
    run.add_argument("path", help="an event script, or a folder whose scripts handle the event")
    run.add_argument("--event", default="exec", help="event to run (default: exec)")
    run.add_argument("--payload", help="event payload as JSON, or @FILE to read it from a file")
    run.add_argument("--json", action="store_true", help="print the build record as JSON on stdout")
    run.add_argument("--watch", action="store_true", help="rerun whenever a file in the folder changes")
    run.add_argument("--dry-run", action="store_true",
                     help="print what the build would create (Kubernetes manifests) and run nothing")
    _add_executor_options(run)

    builds = commands.add_parser("builds", help="list recorded builds, newest first")
    builds.add_argument("dir", nargs="?", default="pipelines", help="pipelines folder (default: ./pipelines)")
    builds.add_argument("--failed", action="store_true", help="only failed, cancelled or interrupted builds")
    builds.add_argument("--json", action="store_true", help="print a JSON array")
    builds.add_argument("--limit", type=int, default=50, help="at most this many builds (default: 50)")

    logs = commands.add_parser("logs", help="print the log of a build or of one of its jobs")
    logs.add_argument("build", help="build id, a unique prefix of it, or 'last'")
    logs.add_argument("job", nargs="?", help="job name; without it, the build's own log")
    logs.add_argument("--dir", default="pipelines", help="pipelines folder (default: ./pipelines)")

    rerun = commands.add_parser("rerun", help="rerun a recorded build, or resume it from the failed job")
    rerun.add_argument("build", help="build id, a unique prefix of it, or 'last'")
    rerun.add_argument("--resume", action="store_true",
                       help="reuse jobs that succeeded with the same spec and inputs")
    rerun.add_argument("--current-files", action="store_true",
                       help="run the folder's current files instead of the build's snapshot")
    rerun.add_argument("--json", action="store_true", help="print the new build record as JSON")
    rerun.add_argument("--dir", default="pipelines", help="pipelines folder (default: ./pipelines)")
    _add_executor_options(rerun)

    share = commands.add_parser("share", help="look into a build's share")
    share.add_argument("action", choices=("ls", "cat", "get"))
    share.add_argument("build", help="build id, a unique prefix of it, or 'last'")
    share.add_argument("path", nargs="?", default="", help="path inside the share")
    share.add_argument("dest", nargs="?", help="with 'get': local folder to write into (default: .)")
    share.add_argument("--dir", default="pipelines", help="pipelines folder (default: ./pipelines)")
    share.add_argument("--force", action="store_true", help="with 'get': overwrite existing files")
    _add_executor_options(share)

    gc = commands.add_parser("gc", help="remove expired shares and what crashed runs left behind")
    gc.add_argument("dir", nargs="?", default="pipelines", help="pipelines folder (default: ./pipelines)")
    gc.add_argument("--dry-run", action="store_true", help="list what would be removed")
    _add_executor_options(gc)
    return parser


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=("local", "container", "kubernetes"),
                        help="where jobs run (default: brigtui.yaml's executor, else local)")
    parser.add_argument("--context", help="Kubernetes context (default: the kubeconfig's current one)")
    parser.add_argument("--namespace", help="Kubernetes namespace (default: the context's)")


def overrides_from(args: argparse.Namespace) -> dict[str, object]:
    """Settings given as flags, as dotted keys for the engine."""
    overrides: dict[str, object] = {}
    if getattr(args, "context", None):
        overrides["kubernetes.context"] = args.context
    if getattr(args, "namespace", None):
        overrides["kubernetes.namespace"] = args.namespace
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)

    # `brigtui [DIR]` opens the UI: insert the implicit subcommand.
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    wants_help = any(arg in ("-h", "--help", "--version") for arg in argv)
    if (first is None or first not in (*SUBCOMMANDS, "ui")) and not wants_help:
        argv.insert(0, "ui")
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)

    from brigtui.commands import dispatch

    try:
        return dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`brigtui builds | head`): stop quietly, as
        # other command-line tools do, without a second error while flushing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _configure_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    if os.environ.get("BRIGTUI_DEBUG"):
        level = logging.DEBUG
    logging.basicConfig(level=level, format="brigtui: %(levelname)s %(name)s: %(message)s")


if __name__ == "__main__":
    raise SystemExit(main())
