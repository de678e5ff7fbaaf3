"""Progress lines on stderr for headless builds; handler output on stdout."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from brigtui.engine.messages import (
    BuildFinished,
    BuildNoted,
    BuildPrinted,
    BuildStarted,
    EngineMessage,
    JobStateChanged,
)

GLYPHS = {
    "pending": "·",
    "running": "▶",
    "succeeded": "✓",
    "failed": "✗",
    "cancelled": "⊘",
    "reused": "↺",
    "interrupted": "!",
    "queued": "…",
}
COLOURS = {"succeeded": "32", "failed": "31", "cancelled": "33", "running": "36", "reused": "35"}


class Progress:
    """Writes engine messages as short lines: progress to `err`, printed output to `out`."""

    def __init__(self, out: TextIO | None, err: TextIO = sys.stderr) -> None:
        self.out = out
        self.err = err
        self.colour = err.isatty() and not os.environ.get("NO_COLOR")
        self.scripts: dict[str, str] = {}

    def __call__(self, message: EngineMessage) -> None:
        if isinstance(message, BuildStarted):
            name = os.path.basename(message.script)
            self.scripts[message.build_id] = name
            self._err(f"build {message.build_id}: {name} '{message.event}' on {message.executor}")
        elif isinstance(message, BuildPrinted):
            if self.out is not None:
                print(message.text, file=self.out, flush=True)
        elif isinstance(message, BuildNoted):
            self._err(f"  {message.text}")
        elif isinstance(message, JobStateChanged):
            line = f"  {self._glyph(message.status)} {message.job} {message.status}"
            if message.error and message.status == "failed":
                line += f": {message.error}"
            self._err(line)
        elif isinstance(message, BuildFinished):
            name = self.scripts.get(message.build_id, "")
            self._err(f"{self._glyph(message.status)} build {message.build_id} {name} {message.status}")

    def _glyph(self, status: str) -> str:
        glyph = GLYPHS.get(status, "?")
        colour = COLOURS.get(status)
        return f"\x1b[{colour}m{glyph}\x1b[0m" if self.colour and colour else glyph

    def _err(self, text: str) -> None:
        print(text, file=self.err, flush=True)
