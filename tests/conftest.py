"""Shared fixtures: a copy of the example pipelines and an engine with its own state folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from tests.support import Recorder

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "pipelines"


@pytest.fixture
def pipelines(tmp_path: Path) -> Path:
    """A private copy of the example pipelines folder."""
    folder = tmp_path / "pipelines"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("__pycache__", ".brigtui"))
    return folder


@pytest.fixture
def engine(pipelines: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.delenv("BRIGTUI_HOME", raising=False)
    engine = Engine(pipelines)
    yield engine
    engine.close()


@pytest.fixture
def recorder(engine: Engine) -> Recorder:
    recorder = Recorder()
    engine.subscribe(recorder)
    return recorder
