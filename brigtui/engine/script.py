"""Loading event scripts: a fresh module namespace per build."""

from __future__ import annotations

import ast
import itertools
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from brigtui.engine.context import enter_handlers, leave_handlers
from brigtui.engine.errors import ScriptError
from brigtui.engine.handlers import EventHandlers

_module_numbers = itertools.count(1)


@dataclass
class LoadedScript:
    path: Path
    module: types.ModuleType
    handlers: EventHandlers


def load_script(path: Path, print_function: Callable[..., None] | None = None) -> LoadedScript:
    """Execute a script in a new module and return the handlers it registered.

    Each call builds a new module, so an edit applies to the next build and two builds never
    share module state. `print_function` replaces `print` inside the script.
    """
    path = path.resolve()
    try:
        source = path.read_bytes()
    except OSError as error:
        raise ScriptError(path, None, f"cannot read the script: {error.strerror}") from error

    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise ScriptError(path, error.lineno, f"SyntaxError: {error.msg}") from error
    except ValueError as error:  # source with NUL bytes
        raise ScriptError(path, None, f"invalid source: {error}") from error

    module = types.ModuleType(f"brigtui_script_{path.stem}_{next(_module_numbers)}")
    module.__file__ = str(path)
    if print_function is not None:
        module.__dict__["print"] = print_function

    handlers = EventHandlers()
    token = enter_handlers(handlers)
    try:
        exec(code, module.__dict__)
    except Exception as error:
        raise ScriptError(path, script_line(error, path), describe(error)) from error
    finally:
        leave_handlers(token)
    return LoadedScript(path, module, handlers)


def script_line(error: BaseException, path: Path) -> int | None:
    """Return the innermost line of `path` in the error's traceback."""
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if Path(frame.f_code.co_filename) == path:
            line = lineno
    if line is None and isinstance(error, SyntaxError) and error.filename == str(path):
        line = error.lineno
    return line


def describe(error: BaseException) -> str:
    name = type(error).__name__
    text = str(error)
    return f"{name}: {text}" if text else name


def declared_events(path: Path) -> list[str]:
    """List the events a script registers, read statically without running it.

    Finds `events.on("name")` calls with a literal name; used to list scripts in a folder
    cheaply. Returns an empty list for a script that does not parse.
    """
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "on"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return sorted(set(names))


def is_event_script(path: Path) -> bool:
    """True for a `.py` file that imports brigtui (how a pipelines folder marks its scripts)."""
    if path.suffix != ".py" or path.name.startswith((".", "_")):
        return False
    try:
        head = path.read_text(errors="replace")
    except OSError:
        return False
    return "brigtui" in head


def unload_modules_from(folder: Path) -> None:
    """Drop modules imported from `folder` so the next build imports them afresh."""
    prefix = str(folder.resolve())
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and file.startswith(prefix):
            del sys.modules[name]
