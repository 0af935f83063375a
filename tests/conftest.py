"""Shared fixtures: the channel simulator, both database engines, and the real bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.botrunner import BotUnderTest, start_bot
from tests.e2e.conftest import LENA
from tests.e2e.nodes_env import write_files
from tests.simulator import ALICE, ChannelSimulator

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


@pytest.fixture
async def nodes_bot(  # a bot with inventory, reboot/rollback actions and a policy
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    files = write_files(tmp_path, ALICE.aad_object_id, LENA.aad_object_id)
    monkeypatch.setenv("OPSBOT_TEST_RECORD", str(files.pop("record")))
    files["approval_scan_seconds"] = 0.2
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as running:
        yield running
