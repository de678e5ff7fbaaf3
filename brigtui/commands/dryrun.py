"""`brigtui run --dry-run`: what a build would create, without running a job."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from brigtui.engine.dryrun import plan_build
from brigtui.engine.engine import BuildRequest, Engine


def dry_run(engine: Engine, scripts: list[Path], event: str, payload: Any, as_json: bool = False) -> int:
    """Print, as YAML documents, every object the builds would create (for Kubernetes) or
    every job spec (for the other executors)."""
    exit_code = 0
    for script in scripts:
        plan = asyncio.run(plan_build(engine, BuildRequest(script, event, payload, "dry-run")))
        if plan.error:
            print(f"brigtui: {plan.error}", file=sys.stderr)
            exit_code = 2
            continue
        documents = plan.manifests or [{"job": spec} for spec in plan.specs]
        if as_json:
            print(json.dumps(documents, indent=2))
        else:
            print(yaml.safe_dump_all(documents, sort_keys=False), end="")
    engine.close()
    return exit_code
