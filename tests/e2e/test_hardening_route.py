"""Issue 9 items #7, #10, #11 through the real HTTP route (real app, real JWT validation, both
database engines): hostile button ids, hostile text and hostile activity types."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from teams_bot.logs import configure_logging
from tests.botrunner import BotUnderTest
from tests.simulator import ALICE, post_activity

MAC = "A" * 22


@pytest.mark.parametrize(
    "action_id",
    [
        f"réboot.{MAC}",
        f"abc.{'é' * 22}",
        "\u30ce\u30fc\u30c9." + "\u30ce" * 22,
        "\ud800.x",
        "abc.",
        ".",
        f"abc.{MAC[:5]}",
        "é" * 300,
    ],
)
async def test_hostile_action_ids_get_a_proper_refusal(
    bot: BotUnderTest, action_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    invoke = bot.teams.card_action_invoke("nodes.reboot", {"actionId": action_id})
    result = await bot.post(invoke)
    assert result.status == 200, result.text
    answer = result.json()
    assert answer is not None and answer.get("statusCode", 200) < 500, answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_a_lone_surrogate_in_text_is_still_audited(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message("version \ud83d")
    body = json.dumps(activity)  # the JSON escape "\ud83d": what a client can send
    assert "\\ud83d" in body
    result = await post_activity(bot.session, bot.url, activity, bot.sim.authorization("valid"))
    assert result.status in (200, 201), result.text
    await bot.sim.wait_for_calls(1)
    records = await bot.services.audit.query(user=ALICE.aad_object_id, last=5)
    assert records, "the attempt must be in the audit log"
    shown = [r.command + r.detail + json.dumps(r.arguments, ensure_ascii=False) for r in records]
    assert any("\ufffd" in text for text in shown), shown


@pytest.fixture
def real_logging() -> Iterator[None]:
    """Restores the root logger after a test installed the service's own handler."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:] = saved
    root.setLevel(level)


@pytest.mark.parametrize("kind", ["valid", "wrong_key", "missing"])
async def test_a_newline_in_the_activity_type_forges_no_log_line(
    bot: BotUnderTest, kind: str, real_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "text")  # the service's handler, on stderr as capsys has it
    activity = bot.teams.personal_message("version")
    activity["type"] = "message\n2026-11-30 03:00:00,000 INFO [-] teams_bot.app: FORGED"
    auth = bot.sim.authorization(kind)
    result = await post_activity(bot.session, bot.url, activity, auth)
    assert result.status < 500
    lines = capsys.readouterr().err.splitlines()
    if kind != "valid":
        assert any("401" in line for line in lines), lines
    record_start = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \[")
    assert all(record_start.match(line) or line.startswith("    ") for line in lines), lines
    assert not any(line.startswith("2026-11-30 03:00:00,000") for line in lines)
