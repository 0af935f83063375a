"""The card-job core end to end, through the real HTTP route with signed tokens: the typed
`nodes reboot` example, one running job per target across cards, interrupted work of two card
kinds recovered by each kind with a retry, and an approval that follows its job's real end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from teams_bot.actions.store import ActionRecord, CardRecord
from teams_bot.actions.tables import cards
from teams_bot.features import reboot
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.approving import decide
from tests.e2e.nodes_env import NODES, ran, write_files
from tests.e2e.test_card_actions import (
    Posted,
    button,
    executes,
    post_card,
    press,
    record_path,
    wait_until,
)
from tests.simulator import ALICE, BOB, ChannelSimulator, User

LENA = User.named("Lena Lead")
LONG_AGO = datetime.now(UTC) - timedelta(minutes=10)


async def _start(
    simulator: ChannelSimulator,
    db_url: DbTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    nodes: list[dict[str, Any]] = NODES,
) -> Any:
    files = write_files(tmp_path, ALICE.aad_object_id, LENA.aad_object_id, nodes)
    monkeypatch.setenv("OPSBOT_TEST_RECORD", str(files.pop("record")))
    files["approval_scan_seconds"] = 0.2
    return start_bot(simulator, db_url, tmp_path, monkeypatch, **files)


@pytest.fixture
async def jobs_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    async with await _start(simulator, db_url, tmp_path, monkeypatch) as running:
        yield running


async def say(bot: BotUnderTest, text: str, conversation_id: str = "") -> None:
    message = bot.teams.channel_message(f"<at>opsbot</at> {text}", user=ALICE)
    if conversation_id:
        message["conversation"]["id"] = conversation_id
    result = await bot.post(message)
    assert result.status in (200, 201), result.text


async def another_card(bot: BotUnderTest) -> Posted:
    """`nodes failed` again while other cards' jobs may still be updating their messages."""
    bot.sim.clear()
    posted = bot.sim.wait_for_calls
    message = bot.teams.channel_message("<at>opsbot</at> nodes failed", user=BOB)
    assert (await bot.post(message)).status in (200, 201)
    for _ in range(100):
        calls = [c for c in await posted(1) if c.method == "POST" and c.body]
        if calls:
            break
        await asyncio.sleep(0.05)
    card = calls[0].body["attachments"][0]["content"]  # type: ignore[index]
    buttons = {a["title"]: a for a in executes(card) if "title" in a}
    token = next(iter(buttons.values()))["data"]["actionId"]
    record = await bot.services.actions.get(bot.services.signer.verify(token) or "")
    stored = await bot.services.actions.card(record.card_id)  # type: ignore[union-attr]
    assert stored is not None
    return Posted(card, message["conversation"]["id"], stored.activity_id, buttons)


async def message_of_kind(bot: BotUnderTest, kind: str) -> str:
    """The Teams message id the bot remembered for its card of this kind."""
    async with bot.services.db.engine.connect() as conn:
        rows = await conn.execute(select(cards.c.activity_id).where(cards.c.kind == kind))
        (message_id,) = [row[0] for row in rows]
    return str(message_id)


def puts_to(bot: BotUnderTest, message_id: str) -> list[str]:
    return [
        visible_text(c.body)
        for c in bot.sim.calls
        if c.method == "PUT" and c.activity_id == message_id
    ]


async def test_typed_reboot_runs_each_node_once_on_its_own_card(jobs_bot: BotUnderTest) -> None:
    bot = jobs_bot
    await say(bot, "nodes reboot web-07 web-11")
    (posted,) = await bot.sim.wait_for_calls(1)
    assert "Reboot of 2 node(s)" in visible_text(posted.body)
    message_id = await message_of_kind(bot, reboot.KIND)

    def finished() -> bool:
        return any("2 done" in text for text in puts_to(bot, message_id))

    await wait_until(finished)
    assert ran(record_path()) == [["reboot", "--", "web-07"], ["reboot", "--", "web-11"]]
    final = puts_to(bot, message_id)[-1]
    assert "web-07: ✔ rebooted" in final and "web-11: ✔ rebooted" in final
    records = await bot.services.audit.query(user=ALICE.aad_object_id, last=10)
    kinds = {(r.kind, r.command, r.outcome) for r in records}
    assert ("command", "nodes reboot", "ok") in kinds
    assert ("action", "nodes reboot", "succeeded") in kinds


async def test_a_node_being_rebooted_is_not_rebooted_again_from_another_card(
    jobs_bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = jobs_bot
    monkeypatch.setenv("OPSBOT_TEST_DELAY", "1.5")
    first = await post_card(bot)
    await press(bot, first, button(first, "web-07"))
    second = await another_card(bot)
    answer = await press(bot, second, button(second, "web-07"))
    shown = card_text(answer["value"])
    assert "Already running, so not started again: web-07 (started by" in shown
    assert ALICE.name in shown
    bot.sim.clear()
    await say(bot, "nodes reboot web-07", first.conversation_id)
    (reply,) = await bot.sim.wait_for_calls(1)
    assert "Already running, so not started again: web-07" in visible_text(reply.body)
    await wait_until(lambda: len(ran(record_path())) >= 1)
    await asyncio.sleep(2.0)
    assert ran(record_path()) == [["reboot", "--", "web-07"]], "one reboot, not three"
    third = await another_card(bot)  # once it has finished, the node may be rebooted again
    await press(bot, third, button(third, "web-07"))
    await wait_until(lambda: len(ran(record_path())) == 2)


async def _interrupted_nodes_card(bot: BotUnderTest) -> tuple[str, str]:
    posted = await post_card(bot)
    action_id = bot.services.signer.verify(button(posted, "web-11")["data"]["actionId"]) or ""
    claimed = await bot.services.actions.claim(action_id, ALICE.aad_object_id, "Alice", LONG_AGO)
    assert claimed is not None

    def running(data: dict[str, Any]) -> dict[str, Any]:
        entry = {"state": "running", "by": "Alice", "at": LONG_AGO.isoformat(), "detail": ""}
        return {**data, "progress": {"web-11": entry}}

    await bot.services.actions.update_card(claimed.card_id, running, LONG_AGO)
    return posted.conversation_id, posted.message_id


async def _interrupted_reboot_card(bot: BotUnderTest, conversation_id: str) -> str:
    services, message_id = bot.services, "1700000000999"
    card = CardRecord(
        id=services.signer.new_id(),
        kind=reboot.KIND,
        data={
            "nodes": ["db-02"],
            "progress": {"db-02": {"state": "running", "by": "Alice", "at": LONG_AGO.isoformat()}},
            "retry": {},
            "by": "Alice",
            "at": LONG_AGO.isoformat(),
        },
        tenant_id=bot.sim.tenant_id,
        conversation_id=conversation_id,
        created_at=LONG_AGO,
        updated_at=LONG_AGO,
        activity_id=message_id,
    )
    run = ActionRecord(
        id=services.signer.new_id(),
        card_id=card.id,
        verb=reboot.VERB_RUN,
        permission="nodes.reboot",
        command="nodes reboot",
        arguments={"targets": ["db-02"], "nodes": ["db-02"]},
        tenant_id=bot.sim.tenant_id,
        created_by=ALICE.aad_object_id,
        created_at=LONG_AGO,
        expires_at=LONG_AGO + timedelta(hours=1),
    )
    await services.actions.create(card, [run])
    assert await services.actions.claim(run.id, ALICE.aad_object_id, "Alice", LONG_AGO)
    return message_id


async def test_two_card_kinds_interrupted_at_once_are_each_redrawn_by_their_own_kind(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_files(tmp_path, ALICE.aad_object_id, LENA.aad_object_id)
    monkeypatch.setenv("OPSBOT_TEST_RECORD", str(files.pop("record")))
    files["approval_scan_seconds"] = 300  # the scan runs once at start; then the test runs it
    async with start_bot(simulator, db_url, tmp_path, monkeypatch, **files) as bot:
        conversation_id, nodes_message = await _interrupted_nodes_card(bot)
        reboot_message = await _interrupted_reboot_card(bot, conversation_id)
        bot.sim.clear()
        from teams_bot.jobs.recovery import recover_interrupted

        found = await recover_interrupted(bot.services)
        assert len(found) == 2
        await wait_until(lambda: bool(puts_to(bot, nodes_message) and puts_to(bot, reboot_message)))
        nodes_put = next(
            c.body for c in bot.sim.calls if c.method == "PUT" and c.activity_id == nodes_message
        )
        reboot_put = next(
            c.body for c in bot.sim.calls if c.method == "PUT" and c.activity_id == reboot_message
        )
        assert "interrupted: the bot stopped while this ran" in visible_text(nodes_put)
        assert "Reboot of 1 node(s)" in visible_text(reboot_put)
        assert "db-02: ✖ failed: interrupted" in visible_text(reboot_put)
        assert "Reboot failed" in visible_text(nodes_put), "the nodes card drew its own way"
        records = await bot.services.audit.query(last=5, kind="action")
        assert (
            sorted(r.outcome for r in records if r.outcome == "interrupted") == ["interrupted"] * 2
        )

        # each card offers a retry of exactly the interrupted node; pressing it runs it once
        reboot_card = reboot_put["attachments"][0]["content"]
        (retry,) = [a for a in executes(reboot_card) if a.get("title") == "Retry db-02"]
        invoke = bot.teams.card_action_invoke(
            retry["verb"], retry["data"], user=ALICE, where="channel", reply_to_id=reboot_message
        )
        invoke["conversation"]["id"] = conversation_id
        answer = (await bot.post(invoke)).json()
        assert "db-02: ⏳ rebooting" in card_text(answer["value"])
        nodes_card = nodes_put["attachments"][0]["content"]
        assert [a for a in executes(nodes_card) if a.get("title") == "Reboot"], "retry offered"
        await wait_until(lambda: ran(record_path()) == [["reboot", "--", "db-02"]])


async def test_an_approved_rollback_follows_its_jobs_real_end(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = [{**node, "release": "fail-me"} for node in NODES[:2]]  # the rollback job exits 1
    async with await _start(simulator, db_url, tmp_path, monkeypatch, nodes) as bot:
        posted = await post_card(bot)
        rollback = next(a for t, a in posted.buttons.items() if t.startswith("Rollback"))
        await press(bot, posted, rollback, user=ALICE)
        await say(bot, "the release broke checkout", posted.conversation_id)
        await bot.sim.wait_for_calls(2)
        (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
        result = await decide(bot, approval, LENA, posted.conversation_id)
        assert result.status == 200

        async def state() -> str:
            latest = await bot.services.approvals.get(approval.id)
            return latest.state if latest else ""

        for _ in range(200):
            if await state() in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
        assert await state() == "failed", "a rollback that exits 1 is not 'succeeded'"
        assert ran(record_path()) == [["rollback", "--", "fail-me"]]
        records = await bot.services.audit.query(last=20, kind="approval")
        assert ("failed" in {r.outcome for r in records}) and "succeeded" not in {
            r.outcome for r in records
        }
        assert json.dumps(approval.id) in json.dumps([r.arguments for r in records])
