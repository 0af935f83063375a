"""Issue 3 end to end: `nodes failed` card, button presses through signed Teams invokes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.tables import card_actions
from teams_bot.approvals.service import card as render_approval
from tests.botrunner import BotUnderTest, card_text, visible_text
from tests.e2e.nodes_env import ran
from tests.simulator import ALICE, BOB, User

LENA = User.named("Lena Lead")


@dataclass
class Posted:
    card: dict[str, Any]
    conversation_id: str
    message_id: str
    buttons: dict[str, dict[str, Any]]  # title -> Action.Execute


def executes(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            found.append(node)
        for value in node.values():
            found += executes(value)
    elif isinstance(node, list):
        for value in node:
            found += executes(value)
    return found


def record_path() -> Path:
    import os

    return Path(os.environ["OPSBOT_TEST_RECORD"])


async def post_card(bot: BotUnderTest, user: User = BOB) -> Posted:
    message = bot.teams.channel_message("<at>opsbot</at> nodes failed", user=user)
    result = await bot.post(message)
    assert result.status in (200, 201), result.text
    (call,) = await bot.sim.wait_for_calls(1)
    card = call.body["attachments"][0]["content"]
    buttons = {}
    for action in executes(card):
        if "title" in action:  # the card's refresh action has none
            buttons[action["title"]] = action
    token = next(iter(buttons.values()))["data"]["actionId"]
    record = await bot.services.actions.get(bot.services.signer.verify(token) or "")
    stored = await bot.services.actions.card(record.card_id)  # type: ignore[union-attr]
    assert stored is not None and stored.activity_id, "the card's message id is remembered"
    bot.sim.clear()
    return Posted(card, message["conversation"]["id"], stored.activity_id, buttons)


def button(posted: Posted, node: str) -> dict[str, Any]:
    """The Reboot button in the block of `node` (buttons are titled 'Reboot' per node)."""
    for action in executes(_node_block(posted.card, node)):
        return action
    raise AssertionError(f"no button for {node}")


def _node_block(card: dict[str, Any], node: str) -> Any:
    for block in card["body"]:
        if node in card_text(block) and executes(block):
            return block
    raise AssertionError(f"no block for {node}")


async def press(
    bot: BotUnderTest,
    posted: Posted,
    action: dict[str, Any],
    user: User = ALICE,
    data: dict[str, Any] | None = None,
    verb: str | None = None,
    tenant: str | None = None,
) -> dict[str, Any]:
    invoke = bot.teams.card_action_invoke(
        verb or action["verb"],
        data or action["data"],
        user=user,
        where="channel",
        reply_to_id=posted.message_id,
    )
    invoke["conversation"]["id"] = posted.conversation_id
    if tenant:
        invoke["channelData"]["tenant"]["id"] = tenant
    result = await bot.post(invoke)
    assert result.status == 200, result.text
    return result.json()


async def wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_reboot_one_node_end_to_end(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    assert "web-07" in card_text(posted.card) and "Reboot all" in " ".join(posted.buttons)
    reboot = button(posted, "web-07")
    assert set(reboot["data"]) == {"actionId"}, "no targets or identities in card data"

    answer = await press(bot, posted, reboot)
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    shown = card_text(answer["value"])
    assert f"Rebooting web-07, requested by {ALICE.name}" in shown
    assert reboot not in executes(_safe_block(answer["value"], "web-07"))

    # the same card is updated in place for everyone, then reaches its final state
    def final() -> bool:
        puts = [c for c in bot.sim.calls if c.method == "PUT"]
        return any(f"Rebooted by {ALICE.name}" in visible_text(c.body) for c in puts)

    await wait_until(final)
    puts = [c for c in bot.sim.calls if c.method == "PUT"]
    assert all(c.activity_id == posted.message_id for c in puts)
    assert ran(record_path()) == [["reboot", "--", "web-07"]]

    for _ in range(100):  # the job's own audit record follows its last card update
        records = await bot.services.audit.query(user=ALICE.aad_object_id, last=10, kind="action")
        outcomes = {r.outcome for r in records}
        if "succeeded" in outcomes:
            break
        await asyncio.sleep(0.05)
    assert "ok" in outcomes and "succeeded" in outcomes
    press_record = next(r for r in records if r.outcome == "ok")
    assert press_record.aad_object_id == ALICE.aad_object_id
    assert press_record.arguments["target"] == "web-07"


def _safe_block(card: dict[str, Any], node: str) -> Any:
    for block in card["body"]:
        if node in card_text(block):
            return block
    return {}


async def test_hostile_node_name_reaches_the_runner_as_one_literal_argument(
    nodes_bot: BotUnderTest,
) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    odd = 'odd "$(touch /tmp/pwned)" `id`; rm -rf /'
    await press(bot, posted, button(posted, "odd"))
    await wait_until(_has_run(1))
    assert ran(record_path()) == [["reboot", "--", odd]]
    assert not await asyncio.to_thread(Path("/tmp/pwned").exists)


def _has_run(count: int) -> Callable[[], bool]:
    return lambda: len(ran(record_path())) >= count


async def test_double_press_runs_once(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-11")
    answers = await asyncio.gather(*(press(bot, posted, reboot) for _ in range(4)))
    notices = [card_text(a["value"]) for a in answers]
    assert (
        sum("Someone else pressed this first" in n or "Already handled" in n for n in notices) == 3
    )
    await wait_until(_has_run(1))
    await asyncio.sleep(0.5)
    assert ran(record_path()) == [["reboot", "--", "web-11"]]


async def test_replay_after_completion_is_refused(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    await press(bot, posted, reboot)
    await wait_until(_has_run(1))
    answer = await press(bot, posted, reboot, user=ALICE)
    assert "Already handled" in card_text(answer["value"])
    records = await bot.services.audit.query(last=20, kind="action")
    assert any(r.outcome == "duplicate" for r in records)
    assert len(ran(record_path())) == 1


@pytest.mark.parametrize("kind", ["tampered", "foreign", "verb"])
async def test_forged_buttons_are_refused(nodes_bot: BotUnderTest, kind: str) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    token = reboot["data"]["actionId"]
    if kind == "tampered":
        data = {"actionId": token[:-2] + ("AA" if not token.endswith("AA") else "BB")}
        answer = await press(bot, posted, reboot, data=data)
    elif kind == "foreign":
        action_id = token.split(".")[0]
        data = {"actionId": ActionSigner(b"another-installation-key").token(action_id)}
        answer = await press(bot, posted, reboot, data=data)
    else:
        answer = await press(bot, posted, reboot, verb="release.rollback")
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "not valid" in answer["value"]
    await asyncio.sleep(0.3)
    assert ran(record_path()) == []
    (record,) = await bot.services.audit.query(last=1, kind="action")
    assert record.outcome == "refused" and record.aad_object_id == ALICE.aad_object_id


async def test_presser_from_another_tenant_is_refused(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    answer = await press(
        bot, posted, button(posted, "web-07"), tenant="99999999-1111-2222-3333-444444444444"
    )
    assert "another organization" in str(answer["value"])
    assert ran(record_path()) == []


async def test_presser_without_permission_is_refused_and_audited(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    answer = await press(bot, posted, button(posted, "web-07"), user=BOB)
    shown = card_text(answer["value"])
    assert "nodes.reboot" in shown
    assert not bot.sim.calls, "a refusal changes the card only for the presser"
    (record,) = await bot.services.audit.query(last=1, kind="action")
    assert record.outcome == "denied" and record.aad_object_id == BOB.aad_object_id


async def test_reboot_all_of_four_needs_the_lead_role(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot_all = next(a for t, a in posted.buttons.items() if t.startswith("Reboot all"))
    refused = await press(bot, posted, reboot_all, user=ALICE)
    assert "ops-lead" in card_text(refused["value"])
    assert ran(record_path()) == []
    await press(bot, posted, reboot_all, user=LENA)
    await wait_until(_has_run(4), seconds=20)
    assert sorted(r[-1] for r in ran(record_path()))[:2] == [
        "db-02",
        'odd "$(touch /tmp/pwned)" `id`; rm -rf /',
    ]


async def test_expired_button_is_refused(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    action_id = bot.services.signer.verify(reboot["data"]["actionId"])
    async with bot.services.db.engine.begin() as conn:
        await conn.execute(
            update(card_actions)
            .where(card_actions.c.id == action_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    answer = await press(bot, posted, reboot)
    assert "expired" in card_text(answer["value"])
    assert ran(record_path()) == []


async def test_action_submit_path_runs_the_same_checks(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    reboot = button(posted, "web-07")
    submit = bot.teams.submit_message(
        reboot["data"], user=BOB, where="channel", reply_to_id=posted.message_id
    )
    submit["conversation"]["id"] = posted.conversation_id
    await bot.post(submit)
    opened, call = await bot.sim.wait_for_calls(2)
    # the refusal reaches the presser only: in their 1:1 chat, nothing in the channel
    assert opened.path == "/v3/conversations" and BOB.teams_id in json.dumps(opened.body)
    assert "nodes.reboot" in visible_text(call.body) and call.method == "POST"
    assert call.conversation_id != posted.conversation_id
    bot.sim.clear()
    submit = bot.teams.submit_message(
        reboot["data"], user=ALICE, where="channel", reply_to_id=posted.message_id
    )
    submit["conversation"]["id"] = posted.conversation_id
    await bot.post(submit)
    await wait_until(_has_run(1))
    assert ran(record_path()) == [["reboot", "--", "web-07"]]


async def test_rollback_button_needs_approval_then_runs_once(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    rollback = next(a for t, a in posted.buttons.items() if t.startswith("Rollback"))
    answer = await press(bot, posted, rollback, user=ALICE)
    assert "needs approval" in card_text(answer["value"])
    (question,) = await bot.sim.wait_for_calls(1)
    assert "Why do you need it?" in visible_text(question.body)
    reply = bot.teams.channel_message("<at>opsbot</at> web is down since the release", user=ALICE)
    reply["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(reply)).status in (200, 201)
    await bot.sim.wait_for_calls(2)
    (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
    assert approval.reason == "web is down since the release"
    assert approval.kind == "action" and "web-2026.11.20-3" in approval.summary
    assert ran(record_path()) == [], "nothing runs before approval"

    card = render_approval(bot.services, approval)
    approve = next(a for a in executes(card) if a["verb"] == "approval.approve")
    invoke = bot.teams.card_action_invoke(
        "approval.approve",
        approve["data"],
        user=LENA,
        where="channel",
        reply_to_id=approval.activity_id,
    )
    invoke["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(invoke)).status == 200
    await wait_until(_has_run(1))
    await asyncio.sleep(0.3)
    assert ran(record_path()) == [["rollback", "--", "web-2026.11.20-3"]]
    again = await press(bot, posted, rollback, user=LENA)
    assert "Already handled" in card_text(again["value"])


async def test_refresh_gives_each_viewer_their_own_buttons(nodes_bot: BotUnderTest) -> None:
    bot = nodes_bot
    posted = await post_card(bot, user=BOB)
    refresh = posted.card["refresh"]
    assert refresh["userIds"] == [BOB.teams_id] and refresh["action"]["verb"] == "card.refresh"
    action = refresh["action"]
    as_bob = await press(bot, posted, action, user=BOB)
    assert not [a for a in executes(as_bob["value"]) if a["verb"] == "nodes.reboot"]
    assert "nodes.reboot" in card_text(as_bob["value"])
    as_alice = await press(bot, posted, action, user=ALICE)
    assert [a for a in executes(as_alice["value"]) if a["verb"] == "nodes.reboot"]
    assert ran(record_path()) == [] and not bot.sim.calls, "a refresh changes nothing"


async def test_work_interrupted_by_a_restart_is_reported_on_the_card(
    nodes_bot: BotUnderTest,
) -> None:
    """A process died mid-reboot: its lease runs out and the card stops saying "Rebooting"."""
    bot = nodes_bot
    posted = await post_card(bot)
    action_id = bot.services.signer.verify(button(posted, "web-11")["data"]["actionId"])
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    claimed = await bot.services.actions.claim(
        action_id or "", ALICE.aad_object_id, "Alice", long_ago
    )
    assert claimed is not None

    def running(data: dict[str, Any]) -> dict[str, Any]:
        entry = {"state": "running", "by": "Alice", "at": long_ago.isoformat(), "detail": ""}
        data["progress"] = {"web-11": entry}
        return data

    await bot.services.actions.update_card(claimed.card_id, running, long_ago)

    def reported() -> bool:
        return any(
            c.method == "PUT" and "interrupted" in visible_text(c.body) for c in bot.sim.calls
        )

    await wait_until(reported)
    assert (await bot.services.actions.get(action_id or "")).state == "failed"  # type: ignore[union-attr]
    (record,) = await bot.services.audit.query(last=1, kind="action")
    assert record.outcome == "interrupted" and record.aad_object_id == ALICE.aad_object_id
    assert ran(record_path()) == []


# --- issue 11: cards that tell the truth ------------------------------------------------------


def _last_put(bot: BotUnderTest, needle: str) -> Callable[[], bool]:
    return lambda: any(c.method == "PUT" and needle in visible_text(c.body) for c in bot.sim.calls)


def _put_text(bot: BotUnderTest, needle: str) -> str:
    return next(
        visible_text(c.body)
        for c in reversed(bot.sim.calls)
        if c.method == "PUT" and needle in visible_text(c.body)
    )


async def test_after_a_reboot_the_headline_counts_what_is_still_failed(
    nodes_bot: BotUnderTest,
) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    assert "4 failed nodes" in card_text(posted.card)
    await press(bot, posted, button(posted, "web-07"))
    await wait_until(_last_put(bot, f"Rebooted by {ALICE.name}"))
    final = _put_text(bot, f"Rebooted by {ALICE.name}")
    assert "⚠️ 3 failed nodes · 1 healed" in final
    assert "4 failed nodes" not in final


async def test_after_a_rollback_the_nodes_it_healed_are_shown_healed(
    nodes_bot: BotUnderTest,
) -> None:
    bot = nodes_bot
    posted = await post_card(bot)
    rollback = next(a for t, a in posted.buttons.items() if t.startswith("Rollback"))
    await press(bot, posted, rollback, user=ALICE)
    await bot.sim.wait_for_calls(1)
    reply = bot.teams.channel_message("<at>opsbot</at> the release breaks probes", user=ALICE)
    reply["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(reply)).status in (200, 201)
    await bot.sim.wait_for_calls(2)
    (approval,) = await bot.services.approvals.open_for(ALICE.aad_object_id)
    approve = next(
        a
        for a in executes(render_approval(bot.services, approval))
        if a["verb"] == "approval.approve"
    )
    invoke = bot.teams.card_action_invoke(
        "approval.approve",
        approve["data"],
        user=LENA,
        where="channel",
        reply_to_id=approval.activity_id,
    )
    invoke["conversation"]["id"] = posted.conversation_id
    assert (await bot.post(invoke)).status == 200
    await wait_until(_last_put(bot, "Rolled back web-2026.11.20-3"))
    final = _put_text(bot, "Rolled back web-2026.11.20-3")
    # web-07, web-11 and the odd one share the release; db-02 does not.
    assert (
        final.count(f"Healed by the rollback of web-2026.11.20-3, requested by {ALICE.name}") == 3
    )
    assert "⚠️ 1 failed node · 3 healed" in final
    card = next(
        c.body
        for c in reversed(bot.sim.calls)
        if c.method == "PUT" and "Rolled back web-2026.11.20-3" in visible_text(c.body)
    )
    content = card["attachments"][0]["content"]
    reboots = [a for a in executes(content) if a["verb"] == "nodes.reboot"]
    assert [b["data"] for b in reboots] == [button(posted, "db-02")["data"]], (
        "only the node the rollback did not heal keeps its Reboot button"
    )
    assert "Reboot all failed (1)" in [a.get("title") for a in executes(content)]


async def test_reboot_all_beyond_the_limit_is_offered_only_to_who_may(
    nodes_bot: BotUnderTest,
) -> None:
    bot = nodes_bot
    posted = await post_card(bot, user=ALICE)  # Alice asks; Teams refreshes the card for her
    # Everyone's card says up front what "Reboot all failed (4)" needs.
    assert "Reboot all failed: rebooting more than 3 nodes needs the role 'ops-lead'." in (
        card_text(posted.card)
    )
    refresh = posted.card["refresh"]["action"]
    as_alice = await press(bot, posted, refresh, user=ALICE)
    titles = [a.get("title", "") for a in executes(as_alice["value"])]
    assert "Reboot" in titles and not [t for t in titles if t.startswith("Reboot all")]
    assert "Your view: no “Reboot all” button." in card_text(as_alice["value"])
    assert "ops-lead" in card_text(as_alice["value"])
    as_lena = await press(bot, posted, refresh, user=LENA)
    assert "Reboot all failed (4)" in [a.get("title") for a in executes(as_lena["value"])]
    assert "Your view" not in card_text(as_lena["value"])
    assert ran(record_path()) == [] and not bot.sim.calls, "a refresh changes nothing"
