"""Fixtures for the history screens: a folder of small scripts, an engine, a test app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen

from brigtui.engine.engine import BuildRequest, Engine
from tests.support import write_script

# Jobs count their runs, and `two` and `reader` fail until pass.flag exists, in a marks
# folder outside the pipelines folder: the project source (and so the jobs' inputs) stays
# the same between a build and its resume.
CHAIN = """
@events.on("exec")
async def exec_handler(event, project):
    one = Job("one", "alpine:3.19", ["echo first", "echo counted >> {marks}/runs-of-one"])
    two = Job("two", "alpine:3.19", ['echo "got $DATA"', "cat {marks}/pass.flag"])
    data = await one.run()
    two.env = {"DATA": data.text.strip()}
    await two.run()
"""

SHARED = """
@events.on("exec")
async def exec_handler(event, project):
    writer = Job("writer", "alpine:3.19", ["echo rhino > /mnt/brigade/share/animal",
                                            "echo counted >> {marks}/runs-of-writer"])
    reader = Job("reader", "alpine:3.19", ["cat /mnt/brigade/share/animal",
                                            "cat {marks}/pass.flag"])
    writer.storage.enabled = True
    reader.storage.enabled = True
    await writer.run()
    await reader.run()
"""


class HistoryApp(App[None]):
    """A bare app that shows one screen of the history on an engine."""

    def __init__(self, engine: Engine, screen: Callable[[Engine], Screen[Any]]) -> None:
        super().__init__()
        self.engine = engine
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen(self.engine))


@pytest.fixture
def marks(tmp_path: Path) -> Path:
    """Where jobs count their runs, and where pass.flag lets the failing jobs pass."""
    path = tmp_path / "marks"
    path.mkdir()
    return path


@pytest.fixture
def folder(tmp_path: Path, marks: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("BRIGTUI_HOME", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    write_script(pipelines, "chain.py", CHAIN.replace("{marks}", str(marks)))
    write_script(pipelines, "shared.py", SHARED.replace("{marks}", str(marks)))
    return pipelines


@pytest.fixture
def engine(folder: Path) -> Iterator[Engine]:
    engine = Engine(folder)
    yield engine
    engine.close()


async def run_script(engine: Engine, name: str) -> str:
    """Run one real build of a script of the folder; return its id."""
    outcome = await engine.run_build(BuildRequest(engine.folder / name))
    return outcome.build_id
