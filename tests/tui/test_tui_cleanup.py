"""After a crash, the app offers to remove what the interrupted builds left."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

from brigtui.app import BrigtuiApp
from brigtui.engine.engine import state_dir_for
from brigtui.engine.store import Store
from brigtui.screens.cleanup_prompt import CleanupPrompt
from brigtui.screens.dashboard import DashboardScreen


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def record_crashed_build(folder: Path, build_id: str) -> Path:
    """Record a running build whose owner process is gone, with a share folder it left."""
    state = state_dir_for(folder)
    store = Store(state)
    share = state / "shares" / build_id
    share.mkdir(parents=True)
    (share / "evidence").write_text("left behind\n")
    store.insert_build(
        id=build_id, project="p", script=str(folder / "pass_output.py"), event="exec",
        status="running", executor="local", created_at="2026-12-01T00:00:00.000Z",
        share_path=str(share), share_state="live",
        owner_host=socket.gethostname(), owner_pid=dead_pid(), owner_started=1.0,
    )  # fmt: skip
    store.close()
    return share


async def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def test_prompt_removes_leftovers(pipelines: Path) -> None:
    share = record_crashed_build(pipelines, "20261201-000000-dead")
    app = BrigtuiApp(pipelines, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: isinstance(app.screen, CleanupPrompt))
        prompt = app.screen
        assert isinstance(prompt, CleanupPrompt)
        assert any("20261201-000000-dead" in line and "interrupted" in line for line in prompt.lines)
        await pilot.press("y")
        await wait_for(lambda: not share.exists())
        assert isinstance(app.screen, DashboardScreen)
    build = Store(state_dir_for(pipelines)).get_build("20261201-000000-dead")
    assert build is not None
    assert build.status == "interrupted"
    assert build.share_state == "expired"


async def test_prompt_keeps_leftovers_on_no(pipelines: Path) -> None:
    share = record_crashed_build(pipelines, "20261201-000000-beef")
    app = BrigtuiApp(pipelines, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: isinstance(app.screen, CleanupPrompt))
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
    assert (share / "evidence").exists()


async def test_no_prompt_without_leftovers(pipelines: Path) -> None:
    app = BrigtuiApp(pipelines, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
