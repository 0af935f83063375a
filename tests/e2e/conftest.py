"""End-to-end fixtures: a bot with an inventory, reboot/rollback actions and a policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.botrunner import BotUnderTest, start_bot
from tests.db_fixtures import DbTarget
from tests.e2e.nodes_env import write_files
from tests.simulator import ALICE, ChannelSimulator, User

LENA = User.named("Lena Lead")


@pytest.fixture
async def nodes_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    files = write_files(tmp_path, ALICE.aad_object_id, LENA.aad_object_id)
    monkeypatch.setenv("OPSBOT_TEST_RECORD", str(files.pop("record")))
    files["approval_scan_seconds"] = 0.2
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as running:
        yield running
