"""The rerun rule (the scripts a change reruns) and a controller that starts their builds.

The rule: a change to an event script reruns that script with its current event. A change
to any other file reruns the event scripts of the nearest folder that contains some,
searched from the file's own folder up to the pipelines folder. A deleted script is not
run. The controller applies `watch.on_change` (cancel the running build of the same
script, or queue behind it) and a manual mode in which changes wait for `run_pending()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from brigtui.config import WatchSettings
from brigtui.engine.build import BuildRunner
from brigtui.engine.engine import BuildRequest, Engine
from brigtui.engine.errors import BrigtuiError, UsageError
from brigtui.engine.messages import BuildStarted, EngineMessage
from brigtui.engine.script import declared_events, is_event_script
from brigtui.engine.watcher import (
    IGNORED_DIRS,
    FileChange,
    FilesChanged,
    FolderMissing,
    FolderReturned,
    FolderWatcher,
    WatchEvent,
    WatchStarted,
    is_ignored_name,
)

logger = logging.getLogger(__name__)

FOLLOW_UP_EVENTS = ("after", "error")
"""Events that run after another event in the same build, never on their own."""

TRIGGER_NAMES = 3
"""File names a trigger text lists per kind of change before it ends with 'and N more'."""


# The rule


@dataclass(frozen=True)
class Rerun:
    """A script to run again, with what caused it as (kind, file) pairs.

    A reason without a file, such as `("manual", "")`, shows as its kind alone.
    """

    script: Path
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def trigger(self) -> str:
        """The build's trigger text, such as 'changed: animals.txt'."""
        parts = []
        for kind in dict.fromkeys(kind for kind, _ in self.reasons):
            names = [name for reason_kind, name in self.reasons if reason_kind == kind and name]
            if not names:
                parts.append(kind)
                continue
            text = ", ".join(names[:TRIGGER_NAMES])
            if len(names) > TRIGGER_NAMES:
                text += f" and {len(names) - TRIGGER_NAMES} more"
            parts.append(f"{kind}: {text}")
        return "; ".join(parts) or "changed"

    def merged(self, other: Rerun) -> Rerun:
        return replace(self, reasons=tuple(dict.fromkeys(self.reasons + other.reasons)))


@dataclass
class RerunPlan:
    reruns: list[Rerun] = field(default_factory=list)
    removed_scripts: list[Path] = field(default_factory=list)
    """Known event scripts that were deleted; nothing of theirs may run."""


def scripts_in(directory: Path) -> list[Path]:
    """List the event scripts directly in `directory`, sorted."""
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    return [
        path for path in entries
        if not is_ignored_name(path.name) and path.is_file() and is_event_script(path)
    ]


def nearest_scripts(directory: Path, folder: Path) -> list[Path]:
    """Return the scripts of the nearest folder with scripts, from `directory` up to `folder`."""
    while directory.is_relative_to(folder):
        scripts = scripts_in(directory)
        if scripts or directory == folder:
            return scripts
        directory = directory.parent
    return []


class ScriptIndex:
    """The event scripts known under a pipelines folder, so that a deleted one is recognised."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.scripts: set[Path] = set()
        self.rescan()

    def rescan(self) -> None:
        self.scripts.clear()
        for directory, subdirectories, _files in os.walk(self.folder):
            subdirectories[:] = [name for name in subdirectories if name not in IGNORED_DIRS]
            self.scripts.update(scripts_in(Path(directory)))

    def update(self, changes: Iterable[FileChange]) -> None:
        for change in changes:
            if change.path.suffix != ".py":
                continue
            if not change.deleted and is_event_script(change.path):
                self.scripts.add(change.path)
            else:
                self.scripts.discard(change.path)


def plan_reruns(folder: Path, changes: Iterable[FileChange], index: ScriptIndex) -> RerunPlan:
    """Map one batch of changes to the scripts to rerun, each once, sorted by path."""
    changes = list(changes)
    plan = RerunPlan()
    reasons: dict[Path, list[tuple[str, str]]] = {}
    # Scripts per starting folder, so a burst of changes in one folder lists it once.
    nearest: dict[Path, list[Path]] = {}

    for change in changes:
        kind = "deleted" if change.deleted else "changed"
        reason = (kind, change.path.relative_to(folder).as_posix())
        if change.deleted and change.path in index.scripts:
            plan.removed_scripts.append(change.path)
            continue
        if not change.deleted and is_event_script(change.path):
            targets = [change.path]
        else:
            start = change.path if change.path.is_dir() else change.path.parent
            if start not in nearest:
                nearest[start] = nearest_scripts(start, folder)
            targets = nearest[start]
        for script in targets:
            reasons.setdefault(script, []).append(reason)

    index.update(changes)
    plan.reruns = [
        Rerun(script, tuple(dict.fromkeys(reasons[script])))
        for script in sorted(reasons)
        if script not in plan.removed_scripts
    ]
    return plan


# The controller


@dataclass(frozen=True)
class WatchState:
    """The watch as a UI shows it: folder state, mode, waiting reruns, last trigger."""

    folder: Path
    status: Literal["starting", "watching", "missing"]
    auto_rerun: bool
    pending: tuple[Rerun, ...]
    """Changes waiting for `run_pending()` while auto-rerun is off."""
    queued: tuple[Rerun, ...]
    """Reruns waiting for a running build of the same script to end or be cancelled."""
    last_trigger: str | None
    error: str | None
    """The reason the last rerun could not start (invalid settings, for example), else None."""


StateListener = Callable[[WatchState], None]


class RerunController:
    """Turns watch events into builds on an engine; no UI toolkit involved."""

    def __init__(
        self,
        engine: Engine,
        folder: Path | None = None,
        *,
        auto_rerun: bool = True,
        scripts: Iterable[Path] | None = None,
    ) -> None:
        self.engine = engine
        self.folder = (folder or engine.folder).absolute()
        self.index = ScriptIndex(self.folder)
        self.only = {path.resolve() for path in scripts} if scripts is not None else None
        """When set, only these scripts are ever rerun (`brigtui run --watch SCRIPT`)."""
        self.started: dict[str, BuildRunner] = {}
        """Builds this controller started, by id."""
        self._auto_rerun = auto_rerun
        self._status: Literal["starting", "watching", "missing"] = "starting"
        self._last_trigger: str | None = None
        self._error: str | None = None
        self._pending: dict[Path, Rerun] = {}
        self._waiting: dict[Path, Rerun] = {}
        self._drivers: dict[Path, asyncio.Task[None]] = {}
        self._targets: dict[Path, tuple[str, Any]] = {}
        self._listeners: list[StateListener] = []

    # State for a UI

    @property
    def state(self) -> WatchState:
        return WatchState(
            folder=self.folder,
            status=self._status,
            auto_rerun=self._auto_rerun,
            pending=tuple(self._pending.values()),
            queued=tuple(self._waiting.values()),
            last_trigger=self._last_trigger,
            error=self._error,
        )

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener` with the new state after every change; return an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def updates(self) -> AsyncIterator[WatchState]:
        """Yield the current state, then every new one."""
        queue: asyncio.Queue[WatchState] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            yield self.state
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def _notify(self) -> None:
        state = self.state
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                logger.exception("A watch state listener failed.")

    # Settings

    def watch_settings(self) -> WatchSettings:
        """Read the `watch` settings of brigtui.yaml afresh; return defaults if it is invalid."""
        try:
            return self.engine.load_settings().watch
        except BrigtuiError as error:
            logger.warning("Using the default watch settings: %s", error)
            return WatchSettings()

    def set_event(self, script: Path, event: str, payload: Any = None) -> None:
        """Make `event` (with `payload`) what a change reruns for `script`."""
        self._targets[script.absolute()] = (event, payload)

    def event_for(self, script: Path) -> tuple[str, Any]:
        """Return the event and payload of a rerun of `script`.

        They are those given to set_event, else those of the script's newest recorded build
        whose event the script still handles (a mistyped `--event` does not stick), else
        `watch.event` from brigtui.yaml with no payload.
        """
        target = self._targets.get(script.absolute())
        if target is not None:
            return target
        handled = declared_events(script)
        for build in self.engine.store.list_builds(script=str(script.resolve()), limit=20):
            if build.event in handled and build.event not in FOLLOW_UP_EVENTS:
                payload = json.loads(build.payload) if build.payload is not None else None
                return build.event, payload
        return self.watch_settings().event, None

    @property
    def auto_rerun(self) -> bool:
        return self._auto_rerun

    def set_auto_rerun(self, enabled: bool) -> None:
        """Switch auto-rerun; switching it on runs what is pending."""
        self._auto_rerun = enabled
        if enabled and self._pending:
            self.run_pending()
        else:
            self._notify()

    # Watch events

    async def run(self, watcher: FolderWatcher | None = None) -> None:
        """Apply the events of `watcher` until cancelled; it must watch `self.folder`.

        Without a watcher, one is made from the folder's `watch` settings.
        """
        if watcher is None:
            watcher = FolderWatcher.from_settings(self.folder, self.watch_settings())
        try:
            async for event in watcher.events():
                self.handle(event)
        finally:
            await self.stop_waiting()

    def handle(self, event: WatchEvent) -> None:
        """Apply one watch event: folder state, or the reruns of a batch of changes."""
        if isinstance(event, WatchStarted | FolderReturned):
            if isinstance(event, FolderReturned):
                self.index.rescan()
            self._status = "watching"
        elif isinstance(event, FolderMissing):
            self._status = "missing"
        elif isinstance(event, FilesChanged):
            self._apply_changes(event.changes)
            return
        self._notify()

    def _apply_changes(self, changes: tuple[FileChange, ...]) -> None:
        plan = plan_reruns(self.folder, changes, self.index)

        # A deleted script runs no more: forget what waited for it.
        for script in plan.removed_scripts:
            self._pending.pop(script, None)
            self._waiting.pop(script, None)
            logger.info("The event script %s was deleted; it is not rerun.", script)

        reruns = [
            rerun for rerun in plan.reruns
            if self.only is None or rerun.script.resolve() in self.only
        ]
        if not reruns:
            self._notify()
            return
        self._last_trigger = reruns[-1].trigger
        if self._auto_rerun:
            self.submit(reruns)
            return
        for rerun in reruns:
            self._pending[rerun.script] = self._merge(self._pending, rerun)
        self._notify()

    def run_pending(self) -> None:
        """Start the reruns that waited while auto-rerun was off."""
        reruns = list(self._pending.values())
        self._pending.clear()
        self.submit(reruns)

    # Starting builds

    def submit(self, reruns: Iterable[Rerun]) -> None:
        """Rerun these scripts now, applying `watch.on_change` to running builds of each."""
        for rerun in reruns:
            script = rerun.script.absolute()
            self._waiting[script] = self._merge(self._waiting, replace(rerun, script=script))
            self._last_trigger = rerun.trigger
            if script not in self._drivers:
                self._drivers[script] = asyncio.get_running_loop().create_task(
                    self._drive(script), name=f"rerun-{script.name}"
                )
        self._notify()

    async def _drive(self, script: Path) -> None:
        """Start the waiting rerun of one script once no build of it runs any more."""
        try:
            while script in self._waiting:
                running = [
                    runner for runner in self.engine.running.values()
                    if runner.request.script == script.resolve() and runner.task is not None
                ]
                if running:
                    if self.watch_settings().on_change == "cancel":
                        for runner in running:
                            logger.info("Cancelling build %s: %s changed.", runner.id, script.name)
                            runner.cancel()
                    await asyncio.wait([runner.task for runner in running if runner.task])
                    continue
                self._start(self._waiting.pop(script))
                self._notify()
        finally:
            self._drivers.pop(script, None)

    def _start(self, rerun: Rerun) -> None:
        if not rerun.script.is_file():
            logger.info("Not rerunning %s: the script no longer exists.", rerun.script)
            return
        event, payload = self.event_for(rerun.script)
        request = BuildRequest(rerun.script, event, payload, rerun.trigger)
        try:
            runner = self.engine.start_build(request)
        except BrigtuiError as error:
            self._error = f"{rerun.script.name}: {error}"
            logger.warning("Could not rerun %s: %s", rerun.script, error)
            return
        self._error = None
        self.started[runner.id] = runner
        if runner.task is not None:
            runner.task.add_done_callback(lambda _task: self.started.pop(runner.id, None))

    @staticmethod
    def _merge(table: dict[Path, Rerun], rerun: Rerun) -> Rerun:
        earlier = table.get(rerun.script)
        return earlier.merged(rerun) if earlier is not None else rerun

    async def stop_waiting(self) -> None:
        """Drop queued reruns and stop waiting for builds; running builds go on."""
        self._waiting.clear()
        drivers = list(self._drivers.values())
        for driver in drivers:
            driver.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)

    async def cancel_builds(self) -> None:
        """Cancel the builds this controller started and wait until each has cleaned up."""
        runners = list(self.started.values())
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*(r.task for r in runners if r.task), return_exceptions=True)


# Headless use: brigtui run --watch


async def watch_and_run(
    engine: Engine,
    path: Path,
    event: str = "exec",
    on_line: Callable[[str], None] = print,
    *,
    payload: Any = None,
) -> None:
    """Run the script at `path` (or the scripts of the folder `path` that register `event`),
    then rerun them on change.

    Runs until cancelled; then cancels its builds and waits for their clean-up. `on_line`
    receives a line per watch state change and per build started, with its trigger; how
    builds go is for an engine subscriber to print.
    """
    path = path.resolve()
    if path.is_file():
        scripts = [path]
    else:
        scripts = [script for script in scripts_in(path) if event in declared_events(script)]
    if not scripts:
        raise UsageError(
            f"{path}: no event script that registers '{event}' to watch; give a script, or a "
            "folder with a .py file that imports brigtui and registers the event"
        )
    folder = engine.folder if path.is_relative_to(engine.folder) else scripts[0].parent
    controller = RerunController(engine, folder, scripts=scripts)
    for script in scripts:
        controller.set_event(script, event, payload)
    watched = {str(script.resolve()) for script in scripts}

    def print_build(message: EngineMessage) -> None:
        if isinstance(message, BuildStarted) and message.script in watched:
            name = Path(message.script).name
            on_line(f"watch: build {message.build_id} of {name} ({message.trigger})")

    unsubscribe_engine = engine.subscribe(print_build)
    unsubscribe_state = controller.subscribe(_state_printer(on_line))
    try:
        # Run once, then rerun on every relevant change until cancelled.
        controller.submit(Rerun(script, (("first run", ""),)) for script in scripts)
        await controller.run()
    finally:
        unsubscribe_state()
        await controller.cancel_builds()
        unsubscribe_engine()


def _state_printer(on_line: Callable[[str], None]) -> StateListener:
    """Make a listener that prints a line when the folder state or the start error changes."""
    shown: dict[str, Any] = {"status": "starting", "error": None}

    def show(state: WatchState) -> None:
        if state.status != shown["status"]:
            shown["status"] = state.status
            if state.status == "watching":
                on_line(f"watch: watching {state.folder} for changes")
            elif state.status == "missing":
                on_line(f"watch: {state.folder} is missing; waiting for it to return")
        if state.error != shown["error"]:
            shown["error"] = state.error
            if state.error:
                on_line(f"watch: could not start a build: {state.error}")

    return show
