"""Fixtures of the pipe pane's Pilot tests."""

from __future__ import annotations

import pytest

from tests.pipe_pane.support import PaneMessages


@pytest.fixture
def pane_messages() -> PaneMessages:
    return PaneMessages()
