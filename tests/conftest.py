"""Shared fixtures: the channel simulator, both database engines, and the real bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.botrunner import BotUnderTest, start_bot
from tests.simulator import ChannelSimulator

pytest_plugins = ["tests.simulator.pytest_plugin", "tests.db_fixtures"]

if TYPE_CHECKING:
    from tests.db_fixtures import DbTarget


@pytest.fixture
async def bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    """The real bot app on 127.0.0.1, trusting the simulator, on each database engine."""
    async with start_bot(simulator, db_url, tmp_path, monkeypatch) as running:
        yield running
