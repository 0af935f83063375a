"""Issue 9 through the real route with signed tokens: the items that live in the gate, the
press router and the handler. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from teams_bot.actions.signing import ActionSigner
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.conftest import LENA
from tests.e2e.nodes_env import ran, write_files
from tests.e2e.test_card_actions import (
    button,
    post_card,
    press,
    record_path,
)
from tests.kit.test_jobs_e2e import another_card
from tests.simulator import ALICE, ChannelSimulator


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator"])
async def test_activities_from_other_channels_run_nothing(
    nodes_bot: BotUnderTest, channel: str
) -> None:
    """#12: only Teams vouches for from.aadObjectId and the tenant."""
    bot = nodes_bot
    message = bot.teams.personal_message("nodes failed", user=ALICE)
    message["channelId"] = channel
    assert (await bot.post(message)).status in (200, 201)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "only take requests from Microsoft Teams" in visible_text(reply.body)
    assert await bot.services.audit.query(last=5, kind="command") == []

    invoke = bot.teams.card_action_invoke("nodes.reboot", {"actionId": "x"}, user=ALICE)
    invoke["channelId"] = channel
    result = await bot.post(invoke)
    assert result.status == 200 and result.json()["statusCode"] == 403


@pytest.mark.parametrize("verb", [["nodes.reboot"], {"v": 1}, 7, None])
async def test_a_submit_whose_verb_is_not_text_is_refused_cleanly(
    nodes_bot: BotUnderTest, verb: Any
) -> None:
    """#8: a list or dict verb was 'unhashable' (a 500 and a traceback)."""
    bot = nodes_bot
    posted = await post_card(bot)
    data = {**button(posted, "web-07")["data"], "verb": verb}
    submit = bot.teams.submit_message(
        data, user=ALICE, where="channel", reply_to_id=posted.message_id
    )
    submit["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(submit)).status in (200, 201)
    await asyncio.sleep(0.5)
    # a non-text verb is no verb: the record's own verb applies, and the press runs once
    assert ran(record_path()) == [["reboot", "--", "web-07"]]


async def test_a_press_from_another_conversation_is_refused(nodes_bot: BotUnderTest) -> None:
    """#18: the card was posted in one conversation; a press from another is not accepted."""
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    invoke = bot.teams.card_action_invoke(
        reboot["verb"], reboot["data"], user=ALICE, where="personal", reply_to_id=posted.message_id
    )
    result = await bot.post(invoke)
    assert result.status == 200
    assert "belongs to a card in another conversation" in result.json()["value"]
    await asyncio.sleep(0.3)
    assert ran(record_path()) == [] and not [c for c in bot.sim.calls if c.method == "PUT"]


@pytest.fixture
def storage_down(nodes_bot: BotUnderTest) -> Iterator[None]:
    """The database stops answering (connections refused) while the bot keeps running."""
    db = nodes_bot.services.db
    working, writer = db.engine, getattr(db, "_writer", None)
    db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/gone")
    db._writer = None  # type: ignore[attr-defined]
    db.dialect = "postgresql"  # type: ignore[misc]
    yield
    db.engine, db._writer = working, writer  # type: ignore[attr-defined]
    db.dialect = working.dialect.name  # type: ignore[misc]


async def test_a_storage_outage_is_said_plainly_to_typed_commands_and_presses(
    nodes_bot: BotUnderTest, storage_down: None
) -> None:
    """#15: a press got HTTP 501 with a null body; a command a generic apology."""
    bot = nodes_bot
    result = await bot.post(bot.teams.personal_message("nodes failed", user=ALICE))
    assert result.status in (200, 201)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "storage is unavailable right now" in visible_text(reply.body)
    invoke = bot.teams.card_action_invoke("nodes.reboot", {"actionId": "x.y"}, user=ALICE)
    answer = await bot.post(invoke)
    assert answer.status == 200
    body = answer.json()
    assert body["statusCode"] == 503 and "try again" in body["value"]["message"]


async def test_readiness_says_when_storage_cannot_be_written(
    nodes_bot: BotUnderTest, tmp_path: Path
) -> None:
    """#5: a full or read-only disk failed every command while /readyz stayed 200."""
    bot = nodes_bot
    base = bot.url.removesuffix("/api/messages")
    async with bot.session.get(base + "/readyz") as resp:
        assert resp.status == 200 and (await resp.json())["storage"] == "writable"
    file = tmp_path / "ro.db"
    sqlite3.connect(file).execute("CREATE TABLE seen_activities (key TEXT PRIMARY KEY, seen_at)")
    db = bot.services.db
    working = db.engine
    db.engine = create_async_engine(f"sqlite+aiosqlite:///file:{file}?mode=ro&uri=true")
    try:
        async with bot.session.get(base + "/readyz") as resp:
            body = await resp.json()
            assert resp.status == 503 and body["storage"] == "not writable", body
        db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/gone")
        async with bot.session.get(base + "/readyz") as resp:
            assert resp.status == 503 and (await resp.json())["database"] == "unreachable"
    finally:
        db.engine = working
    async with bot.session.get(base + "/readyz") as resp:
        assert resp.status == 200, "it recovers by itself"


async def test_single_buttons_one_by_one_meet_the_same_limit_as_a_typed_command(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#14: "more than 3 nodes needs ops-lead" was bypassed by pressing single Reboots."""
    files = write_files(tmp_path, ALICE.aad_object_id, LENA.aad_object_id)
    policy = files["policy_file"]
    policy.write_text(
        policy.read_text().replace("count_over = 3", 'count_over = 3\nwithin = "15m"')
    )
    monkeypatch.setenv("OPSBOT_TEST_RECORD", str(files.pop("record")))
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        posted = await post_card(bot)
        for node in ("web-07", "web-11", "odd"):
            answer = await press(bot, posted, button(posted, node))
            assert "Rebooting" in card_text(answer["value"]), node
        answer = await press(bot, posted, button(posted, "db-02"))
        shown = card_text(answer["value"])
        assert "within 15 min needs the role 'ops-lead'" in shown
        assert "you ran 3 in the last 15 min, and this would add 1" in shown
        bot.sim.clear()
        await bot.post(bot.teams.personal_message("nodes reboot db-02", user=ALICE))
        (reply,) = await bot.sim.wait_for_calls(1)
        assert "within 15 min needs the role 'ops-lead'" in visible_text(reply.body)
        await asyncio.sleep(1.0)
        assert len(ran(record_path())) == 3, "the fourth reboot did not run"
        lead_card = await another_card(bot)
        answer = await press(bot, lead_card, button(lead_card, "db-02"), user=LENA)
        assert "Rebooting" in card_text(answer["value"]), "the role holder may"


async def test_a_button_signed_with_another_key_names_the_likely_causes(
    nodes_bot: BotUnderTest,
) -> None:
    """Issue 11: not only "altered": the secret changed, a restart without one, another bot."""
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    action_id = bot.services.signer.verify(reboot["data"]["actionId"]) or ""
    foreign = ActionSigner(b"another installation's key 0123456789").token(action_id)
    answer = await press(bot, posted, reboot, data={"actionId": foreign})
    assert "TEAMS_BOT_ACTION_SECRET changed" in answer["value"]
    assert "restarted without a fixed secret" in answer["value"]
    assert ran(record_path()) == []
