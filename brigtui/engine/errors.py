"""Errors the engine raises; each message names the file, line, job or key and what to do."""

from __future__ import annotations

from pathlib import Path


class BrigtuiError(Exception):
    """Base of every error brigtui reports to the user."""


class UsageError(BrigtuiError):
    """A command-line argument or setting is invalid."""


class ConfigError(UsageError):
    """brigtui.yaml is malformed; the message names the file and key."""


class ScriptError(BrigtuiError):
    """An event script failed to load or has no handler for the event."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}, line {line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class JobSpecError(BrigtuiError, ValueError):
    """A job's fields break a rule (name, duplicate, environment size)."""


class JobFailed(BrigtuiError):
    """A job ended without success; awaiting its run raises this."""

    def __init__(self, job: str, message: str, exit_code: int | None = None) -> None:
        self.job = job
        self.exit_code = exit_code
        super().__init__(message)


class OutputTooLarge(BrigtuiError):
    """A job's output is too large to load into memory."""


class ExecutorError(BrigtuiError):
    """An executor cannot run jobs here (missing runtime, refused connection)."""
