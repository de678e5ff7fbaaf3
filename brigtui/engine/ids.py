"""Build ids and timestamps."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as stored and printed by `--json`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_build_id(moment: datetime | None = None) -> str:
    """A sortable id that is also a valid DNS-1123 label: `20261204-201530-3f9a`."""
    moment = moment or utc_now()
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def process_identity(pid: int | None = None) -> tuple[str, int, float]:
    """Host, pid and start time (clock ticks since boot) that identify a live process."""
    pid = pid or os.getpid()
    return socket.gethostname(), pid, process_start_time(pid) or 0.0


def process_start_time(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name may contain spaces and brackets; fields resume after the last ')'.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return float(fields[19])


def owner_alive(host: str | None, pid: int | None, started: float | None) -> bool:
    """True while the process that recorded a build still runs (and is not a reused pid).

    A build recorded on another host cannot be checked from here and counts as alive.
    """
    if host is None or not pid:
        return False
    if host != socket.gethostname():
        return True
    current = process_start_time(pid)
    return current is not None and (not started or current == started)
