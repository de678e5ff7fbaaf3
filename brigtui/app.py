"""The Textual app: wires the engine, the folder watch and the screens together."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from brigtui.commands.gc import collect_all_garbage
from brigtui.engine.engine import Engine
from brigtui.engine.errors import BrigtuiError
from brigtui.engine.messages import EngineMessage, JobLogged
from brigtui.engine.recovery import interrupted_leftovers
from brigtui.engine.rerun import Rerun, RerunController, WatchState
from brigtui.engine.watcher import FilesChanged, FolderMissing, FolderReturned, FolderWatcher
from brigtui.screens.cleanup_prompt import CleanupPrompt
from brigtui.screens.confirm_quit import ConfirmQuit
from brigtui.screens.dashboard import DashboardScreen
from brigtui.screens.registry import APP_ACTIONS, DASHBOARD_ACTIONS, SCREENS, bindings
from brigtui.tui_messages import EngineReported, ScriptChecked, ScriptsScanned, WatchStateChanged
from brigtui.tui_watch import changed_scripts, check_script, find_scripts

logger = logging.getLogger(__name__)

BATCH_SECONDS = 0.05
"""Engine messages are handed to the screen at most this often, merged, so floods of log
notices cost one screen update per batch."""


class BrigtuiApp(App[int]):
    """Watches a pipelines folder, reruns its scripts, and shows their builds live."""

    CSS_PATH = "app.tcss"
    TITLE = "brigtui"
    BINDINGS = bindings(APP_ACTIONS)

    def __init__(self, folder: Path, executor: str | None = None,
                 overrides: dict[str, Any] | None = None, *, watch: bool = True) -> None:
        super().__init__()
        self.folder = folder.resolve()
        self.engine = Engine(self.folder, executor=executor, overrides=overrides)
        self.watch_enabled = watch
        self.reruns = RerunController(self.engine, self.folder)
        self._unsubscribe_watch = self.reruns.subscribe(self._watch_state)
        self._shown_error: str | None = None
        self.scripts: list[Path] = []
        self.dashboard = DashboardScreen()
        self._inbox: list[EngineMessage] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._unsubscribe = self.engine.subscribe(self._engine_listener)
        self._shutting_down = False

    @property
    def executor_label(self) -> str:
        try:
            return self.engine.executor_name or self.engine.load_settings().executor
        except BrigtuiError as error:
            return f"invalid settings ({error})"

    def on_mount(self) -> None:
        self.push_screen(self.dashboard)
        self._install_signal_handlers()

        # List the scripts the rerun controller found at once; check that they load later,
        # in a thread, because loading runs each script's top-level code.
        self._scripts_found(sorted(self.reruns.index.scripts))
        self.call_after_refresh(self.scan_scripts, True)
        if self.watch_enabled:
            self.watch_folder()
        self._watch_state(self.reruns.state)
        self.call_after_refresh(_freeze_startup_objects)
        self.find_leftovers()

    # Leftovers of a brigtui that died: offer to remove them, as `brigtui gc` does

    @work(thread=True, exclusive=True, group="leftovers", exit_on_error=False)
    def find_leftovers(self) -> None:
        lines = [
            f"build {build.id} ({Path(build.script).name}) was interrupted"
            for build in self.engine.interrupted
        ] + interrupted_leftovers(self.engine.store, self.engine.state_dir)
        if lines:
            self.call_from_thread(self.push_screen, CleanupPrompt(lines), self._cleanup_answered)

    def _cleanup_answered(self, remove: bool | None) -> None:
        if remove:
            self.remove_leftovers()
        else:
            self.notify("Leftovers kept; 'brigtui gc' removes them later.")

    @work(thread=True, exclusive=True, group="leftovers", exit_on_error=False)
    def remove_leftovers(self) -> None:
        lines = collect_all_garbage(self.engine, self.engine.executor_name)
        logger.info("Removed leftovers: %s", "; ".join(lines))
        self.call_from_thread(self.notify, f"Removed {len(lines)} leftovers of interrupted builds.")

    # Engine messages: collected on the event loop, handed over in merged batches

    def _engine_listener(self, message: EngineMessage) -> None:
        self._inbox.append(message)
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(BATCH_SECONDS, self._flush_inbox)

    def _flush_inbox(self) -> None:
        self._flush_handle = None
        messages, self._inbox = self._inbox, []

        # Keep only the newest log notice of each job, because each one only means "the log
        # grew", and the newest covers the earlier ones.
        newest: dict[tuple[str, str], int] = {}
        for index, message in enumerate(messages):
            if isinstance(message, JobLogged):
                newest[(message.build_id, message.job)] = index
        merged = [
            message for index, message in enumerate(messages)
            if not isinstance(message, JobLogged)
            or newest[(message.build_id, message.job)] == index
        ]
        if merged:
            self.dashboard.post_message(EngineReported(merged))

    # Scripts and the folder watch

    @work(thread=True, group="scan", exit_on_error=False)
    def scan_scripts(self, check: bool = False) -> None:
        """List the folder's event scripts (and with `check`, load each to find errors)."""
        scripts = find_scripts(self.folder) if self.folder.is_dir() else []
        self.call_from_thread(self._scripts_found, scripts)
        if check:
            for script in scripts:
                error = check_script(script)
                self.call_from_thread(self._script_checked, script, error)

    def _scripts_found(self, scripts: list[Path]) -> None:
        self.scripts = scripts
        self.dashboard.post_message(ScriptsScanned(scripts))

    def _script_checked(self, script: Path, error: Any) -> None:
        message = ScriptChecked(script) if error is None else ScriptChecked(
            script, error.line, error.message)
        self.dashboard.post_message(message)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_folder(self) -> None:
        """Hand watch events to the rerun controller, and keep the script list current."""
        watcher = FolderWatcher.from_settings(self.folder, self.reruns.watch_settings())
        try:
            async for event in watcher.events():
                self.reruns.handle(event)
                if isinstance(event, FolderMissing):
                    self.notify(f"{self.folder} is missing; brigtui resumes when it is back.",
                                severity="warning")
                elif isinstance(event, FolderReturned):
                    self.notify(f"{self.folder} is back; watching again.")
                    self.scan_scripts(check=True)
                elif isinstance(event, FilesChanged):
                    await self._files_changed(event)
        finally:
            await self.reruns.stop_waiting()

    async def _files_changed(self, event: FilesChanged) -> None:
        # Rescan the list (scripts may have come or gone), then check the changed scripts.
        scripts = await asyncio.to_thread(find_scripts, self.folder)
        self._scripts_found(scripts)
        for script in await asyncio.to_thread(changed_scripts, event.changes):
            error = await asyncio.to_thread(check_script, script)
            self._script_checked(script, error)

    def _watch_state(self, state: WatchState) -> None:
        status: str = state.status
        if status == "watching" and not state.auto_rerun:
            status = "paused"
        if not self.watch_enabled:
            status = "stopped"
        if state.error and state.error != self._shown_error:
            self._report_error(f"Could not start a build: {state.error}")
        self._shown_error = state.error
        self.dashboard.post_message(WatchStateChanged(
            status,
            pending=[str(rerun.script) for rerun in state.pending],
            queued=[str(rerun.script) for rerun in state.queued],
            last_trigger=state.last_trigger,
            error=state.error,
        ))

    # Starting builds

    def request_rerun(self, script: Path, reason: str, event: str | None = None) -> None:
        """Rerun a script now (as a change would), with its current or a given event."""
        if event is not None:
            self.reruns.set_event(script, event, self.reruns.event_for(script)[1])
        self.reruns.submit([Rerun(script, ((reason, script.name),))])

    def start_manual_build(self, script: Path, event: str, payload: Any) -> None:
        """Run a script with an event and payload, which changes then rerun too."""
        self.reruns.set_event(script, event, payload)
        self.reruns.submit([Rerun(script, (("manual", script.name),))])

    def toggle_auto_rerun(self) -> None:
        enabled = not self.reruns.auto_rerun
        self.reruns.set_auto_rerun(enabled)
        self.notify("Auto-rerun on." if enabled else "Auto-rerun off: changes wait, u runs them.")

    def run_pending(self) -> None:
        if not self.reruns.state.pending:
            self.notify("No changes are pending.")
            return
        self.reruns.run_pending()

    def _report_error(self, message: str) -> None:
        self.notify(message, severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show every failed worker to the user (workers never exit the app on error)."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            logger.error("Worker %s failed: %r", event.worker.name, error)
            self.notify(f"{event.worker.name} failed: {error}", severity="error", timeout=10)

    # Quitting: ask while builds run, then cancel them and wait for their clean-up

    async def action_quit(self) -> None:
        running = len(self.engine.running)
        if not running:
            await self.shutdown()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.run_worker(self.shutdown(), group="shutdown")

        self.push_screen(ConfirmQuit(running), answered)

    async def shutdown(self) -> None:
        if self._shutting_down:
            return
        self._shutting_down = True
        if self.engine.running:
            self.notify(f"Cancelling {len(self.engine.running)} running builds…")
        await self.reruns.stop_waiting()
        await self.engine.cancel_all()
        self.exit(0)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(number, self._on_signal, number)
            except (NotImplementedError, RuntimeError, ValueError):
                logger.warning("Cannot handle signal %s here; running builds may stay.", number)

    def _on_signal(self, number: int) -> None:
        # No one is there to confirm: cancel the builds and quit.
        logger.info("Received signal %d; cancelling builds and quitting.", number)
        if number == signal.SIGHUP:
            self.run_worker(self._hang_up(), group="shutdown")
        else:
            self.run_worker(self.shutdown(), group="shutdown")

    async def _hang_up(self) -> None:
        """Cancel the builds and end the process without touching the lost terminal.

        After a hang-up, Textual 8.2.8's output thread dies on its first failed write, and
        the app's normal exit then waits for that thread for ever. So this method ends the
        process itself, once every build has cleaned up and the store is closed.
        """
        await self.reruns.stop_waiting()
        await self.engine.cancel_all()
        self.engine.close()
        logging.shutdown()
        os._exit(128 + signal.SIGHUP)

    # Command palette: every key action of the registry

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, DashboardScreen):
            for item in DASHBOARD_ACTIONS:
                yield SystemCommand(f"{item.title} ({item.label})", item.description,
                                    partial(screen.run_action, item.action))
            for entry in SCREENS:
                key = "?" if entry.key == "question_mark" else entry.key
                yield SystemCommand(f"{entry.title} ({key})", entry.description,
                                    partial(screen.run_action, f"open_screen('{entry.name}')"))


def _freeze_startup_objects() -> None:
    """Keep the objects made at start-up (modules, widgets, styles) out of garbage collection.

    Full collections otherwise walk all of them again and again. With 200 jobs streaming
    logs (bench/tui_latency.py), single collections took 100-150 ms of wall time on a
    2-core machine. Frozen objects are never scanned again.
    """
    gc.collect()
    gc.freeze()


def run_app(folder: Path, executor: str | None, overrides: dict[str, Any]) -> int:
    """Open the TUI on `folder` until the user quits; return the exit status."""
    if folder.exists() and not folder.is_dir():
        print(f"brigtui: {folder} is not a folder; pass the pipelines folder", file=sys.stderr)
        return 2
    if not folder.exists():
        print(f"brigtui: folder {folder} not found; create it or pass another DIR",
              file=sys.stderr)
        return 2
    app = BrigtuiApp(folder, executor, overrides)
    restore = _log_to_file(app.engine.state_dir / "brigtui.log")
    try:
        result = app.run()
    finally:
        app.engine.close()
        restore()
    return result if isinstance(result, int) else (app.return_code or 0)


def _log_to_file(path: Path) -> Callable[[], None]:
    """Send log records to a file while the TUI owns the terminal; return an undo function.

    Handlers that write to the terminal are set aside, because their lines would print over
    the screen. A caller that already logs to a file keeps its handler.
    """
    root = logging.getLogger()
    terminal = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
                and not isinstance(h, logging.FileHandler)]
    for handler in terminal:
        root.removeHandler(handler)
    if root.handlers:
        def restore_terminal() -> None:
            for handler in terminal:
                root.addHandler(handler)

        return restore_terminal
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    level = root.level
    if level > logging.INFO or level == logging.NOTSET:
        root.setLevel(logging.INFO)

    def restore() -> None:
        root.setLevel(level)
        root.removeHandler(file_handler)
        file_handler.close()
        for handler in terminal:
            root.addHandler(handler)

    return restore
