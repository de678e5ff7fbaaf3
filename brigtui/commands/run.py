"""`brigtui run`: one build per script, headless."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from brigtui.cli import overrides_from
from brigtui.commands.progress import Progress
from brigtui.commands.signals import cancel_builds_on_signals
from brigtui.engine.build import BuildOutcome
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.errors import UsageError
from brigtui.engine.script import declared_events, is_event_script


def run_command(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path} not found; give an event script or a pipelines folder")
    check_event_name(args.event)
    if path.is_file() and not is_event_script(path):
        raise UsageError(
            f"{path} is not an event script (a .py file that imports brigtui and registers "
            "handlers with events.on)"
        )
    payload = parse_payload(args.payload)
    folder = path.parent if path.is_file() else path
    scripts = scripts_for(path, args.event)
    engine = Engine(folder, executor=args.executor, overrides=overrides_from(args))

    if args.dry_run:
        from brigtui.commands.dryrun import dry_run

        return dry_run(engine, scripts, args.event, payload, as_json=args.json)
    if args.watch:
        from brigtui.commands.watch import watch_command

        return watch_command(engine, path, args.event, payload)

    progress = Progress(out=None if args.json else sys.stdout)
    engine.subscribe(progress)
    outcomes, stopped_by = asyncio.run(run_builds(engine, scripts, args.event, payload))
    if args.json:
        records = [engine.store.get_build(o.build_id) for o in outcomes]
        data: Any = [r.as_json() for r in records if r]
        print(json.dumps(data[0] if path.is_file() and data else data, indent=2))
    engine.close()
    if stopped_by is not None:
        return stopped_by
    return max((outcome.exit_code for outcome in outcomes), default=0)


def check_event_name(event: str) -> None:
    """Reject event names no build can run on its own."""
    if not event.strip():
        raise UsageError("--event is empty; give an event name such as 'exec'")
    if event in ("after", "error"):
        raise UsageError(
            f"'{event}' handlers run after another event in the same build; "
            "run that event instead (for example --event exec)"
        )


def parse_payload(value: str | None) -> Any:
    """Parse `--payload` JSON, or read it from @FILE."""
    if value is None:
        return None
    source = "--payload"
    if value.startswith("@"):
        file = Path(value[1:])
        try:
            value = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--payload: cannot read {file}: {error}") from error
        source = str(file)
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{source}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error


def scripts_for(path: Path, event: str) -> list[Path]:
    """Return the script itself, or the scripts of a folder that register `event`."""
    if path.is_file():
        return [path]
    candidates = sorted(p for p in path.iterdir() if p.is_file() and is_event_script(p))
    if not candidates:
        raise UsageError(f"{path} has no event scripts (Python files that import brigtui)")
    scripts = [p for p in candidates if event in declared_events(p)]
    if not scripts:
        raise UsageError(
            f"no script in {path} handles the event '{event}'; scripts: "
            + ", ".join(p.name for p in candidates)
        )
    return scripts


async def run_builds(
    engine: Engine, scripts: list[Path], event: str, payload: Any
) -> tuple[list[BuildOutcome], int | None]:
    """Run the scripts' builds one after another; a signal cancels them and stops the rest.

    Returns the outcomes and, after a signal, the exit code it calls for.
    """
    outcomes = []
    with cancel_builds_on_signals(engine) as stop:
        for script in scripts:
            if stop.signal is not None:
                break
            request = BuildRequest(script, event, payload, "brigtui run")
            outcomes.append(await engine.run_build(request))
    return outcomes, stop.exit_code
