"""Issue 4 end to end: four-eyes approvals through signed Teams activities over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import all_features
from teams_bot.approvals.models import Approval
from teams_bot.approvals.service import card as render_approval
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.approvals_env import DEPLOYED, LENA, LEO, deploy_commands, write_policy
from tests.e2e.test_card_actions import executes, wait_until
from tests.simulator import ALICE, BOB, ChannelSimulator, User


def bot_context(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    return start_bot(
        simulator,
        db_url,
        tmp_path,
        monkeypatch,
        deploy_commands,
        features=[f for f in all_features() if f.name != "release"],  # its stand-in `deploy`
        policy_file=write_policy(tmp_path),
        approval_scan_seconds=0.2,
    )


@pytest.fixture
async def bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    DEPLOYED.clear()
    async with bot_context(simulator, db_url, tmp_path, monkeypatch) as running:
        yield running


async def say(
    bot: BotUnderTest, text: str, user: User, thread: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Post `@opsbot text` in the channel (in `thread`'s thread when given)."""
    message = bot.teams.channel_message(
        f"<at>opsbot</at> {text}", user=user, thread_id=thread["id"] if thread else None
    )
    result = await bot.post(message)
    assert result.status in (200, 201), result.text
    return message


async def last_text(bot: BotUnderTest, count: int) -> str:
    calls = await bot.sim.wait_for_calls(count)
    return visible_text(calls[count - 1].body)


async def ask(
    bot: BotUnderTest, text: str, user: User, thread: dict[str, Any] | None = None
) -> str:
    """Say something and return the bot's next new message (card updates are skipped)."""
    before = len(bot.sim.calls)
    await say(bot, text, user, thread)

    def answered() -> bool:
        return any(c.method == "POST" for c in bot.sim.calls[before:])

    await wait_until(answered)
    return visible_text(next(c for c in bot.sim.calls[before:] if c.method == "POST").body)


async def only_request(bot: BotUnderTest, requester: User = ALICE) -> Approval:
    (approval,) = await bot.services.approvals.open_for(requester.aad_object_id)
    return approval


async def current(bot: BotUnderTest, approval: Approval) -> Approval:
    found = await bot.services.approvals.get(approval.id)
    assert found is not None
    return found


async def wait_state(bot: BotUnderTest, approval: Approval, state: str) -> None:
    for _ in range(200):
        if (await current(bot, approval)).state == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{approval.id} never became {state}")


def approval_card(bot: BotUnderTest, approval: Approval) -> dict[str, Any]:
    posted = [c for c in bot.sim.calls if c.body and c.body.get("attachments")]
    for call in reversed(posted):
        card = call.body["attachments"][0]["content"]
        if approval.id in card_text(card):
            return card
    raise AssertionError(f"no card for {approval.id}")


async def press(
    bot: BotUnderTest,
    approval: Approval,
    verb: str,
    user: User,
    thread: dict[str, Any],
    card: dict[str, Any] | None = None,
    **inputs: str,
) -> dict[str, Any]:
    card = card or render_approval(bot.services, approval)
    action = next(a for a in executes(card) if a["verb"] == verb)
    invoke = bot.teams.card_action_invoke(
        verb,
        {**action["data"], **inputs},
        user=user,
        where="channel",
        reply_to_id=approval.activity_id,
    )
    invoke["conversation"]["id"] = thread["conversation"]["id"]
    result = await bot.post(invoke)
    assert result.status == 200, result.text
    return result.json()


async def request_prod_deploy(bot: BotUnderTest) -> tuple[dict[str, Any], Approval]:
    first = await say(bot, "deploy web 1.2.3 env=prod", ALICE)
    prompt = await last_text(bot, 1)
    assert "needs approval" in prompt and "Why" in prompt
    await say(bot, "hotfix for INC-42", ALICE, thread=first)
    posted = await last_text(bot, 2)
    approval = await only_request(bot)
    assert approval.id in posted and "hotfix for INC-42" in posted
    assert "deploy web 1.2.3 env=prod" in posted
    return first, approval


async def test_quorum_of_two_runs_once_after_two_other_people_approve(bot: BotUnderTest) -> None:
    thread, approval = await request_prod_deploy(bot)
    card = approval_card(bot, approval)
    assert "ops-lead" in card_text(card) and "Alice" in card_text(card)

    first = await press(bot, approval, "approval.approve", LENA, thread)
    assert approval.id in card_text(first["value"])
    assert (await current(bot, approval)).approvals == 1
    assert DEPLOYED == [], "one approval of two runs nothing"

    own = await press(bot, approval, "approval.approve", ALICE, thread)
    assert "your own request" in card_text(own["value"])
    assert (await current(bot, approval)).approvals == 1

    await press(bot, approval, "approval.approve", LEO, thread)
    await wait_until(lambda: bool(DEPLOYED))
    await wait_until(
        lambda: any("deployed web 1.2.3 to prod" in visible_text(c.body) for c in bot.sim.calls)
    )
    assert DEPLOYED == [("web", "1.2.3", "prod")]
    await wait_state(bot, approval, "succeeded")
    await wait_until(
        lambda: any(
            c.method == "PUT" and "succeeded" in visible_text(c.body) for c in bot.sim.calls
        )
    )
    records = await bot.services.audit.query(last=50, kind="approval")
    outcomes = [(r.outcome, r.aad_object_id) for r in records]
    assert ("requested", ALICE.aad_object_id) in outcomes
    assert ("approve", LENA.aad_object_id) in outcomes
    assert ("approved", LEO.aad_object_id) in outcomes
    assert any(o == "self" and who == ALICE.aad_object_id for o, who in outcomes)


async def test_deny_with_reason_stops_it(bot: BotUnderTest) -> None:
    thread, approval = await request_prod_deploy(bot)
    answer = await press(
        bot, approval, "approval.deny", LENA, thread, reason="not during the freeze"
    )
    shown = card_text(answer["value"])
    assert "Denied" in shown and "not during the freeze" in shown
    assert (await current(bot, approval)).state == "denied"
    await asyncio.sleep(0.3)
    assert DEPLOYED == []
    late = await press(bot, approval, "approval.approve", LEO, thread)
    assert "no longer open" in card_text(late["value"])
    puts = [c for c in bot.sim.calls if c.method == "PUT"]
    assert any("not during the freeze" in visible_text(c.body) for c in puts), "shown to all"


async def test_only_approvers_may_decide(bot: BotUnderTest) -> None:
    thread, approval = await request_prod_deploy(bot)
    answer = await press(bot, approval, "approval.approve", BOB, thread)
    assert "ops-lead" in card_text(answer["value"])
    assert (await current(bot, approval)).approvals == 0


async def test_requester_can_cancel(bot: BotUnderTest) -> None:
    thread, approval = await request_prod_deploy(bot)
    mine = render_approval(bot.services, approval, for_requester=True)
    assert {a["verb"] for a in executes(mine)} >= {"approval.cancel"}
    assert "approval.approve" not in {a["verb"] for a in executes(mine)}
    await press(bot, approval, "approval.cancel", ALICE, thread, card=mine)
    assert (await current(bot, approval)).state == "cancelled"
    assert DEPLOYED == []


async def test_reason_prompt_can_be_cancelled(bot: BotUnderTest) -> None:
    first = await say(bot, "deploy web 1.2.3 env=prod", ALICE)
    await last_text(bot, 1)
    await say(bot, "cancel", ALICE, thread=first)
    assert "no approval was requested" in await last_text(bot, 2)
    assert await bot.services.approvals.open_for(ALICE.aad_object_id) == []


async def test_text_approve_deny_and_pending(bot: BotUnderTest) -> None:
    thread = await say(bot, "deploy api 9.9 env=staging", ALICE)
    approval = await only_request(bot)
    listing = await ask(bot, "pending", LENA)
    assert approval.id in listing and "api 9.9" in listing
    assert approval.id in await ask(bot, "pending", ALICE)
    own = await ask(bot, f"approve {approval.id.lower()}", ALICE, thread=thread)
    assert "your own request" in own
    assert "Approved" in await ask(bot, f"approve {approval.id}", LENA, thread=thread)
    await wait_until(lambda: DEPLOYED == [("api", "9.9", "staging")])

    await say(bot, "deploy api 10.0 env=staging", ALICE)
    second = next(a for a in await bot.services.approvals.open_for(ALICE.aad_object_id))
    assert "Denied" in await ask(bot, f'deny {second.id} "too risky today"', LEO)
    stored = await current(bot, second)
    assert stored.state == "denied" and stored.denial is not None
    assert stored.denial.reason == "too risky today"
    assert "no approval" in (await ask(bot, "approve ZZZZZZ", LEO)).lower()
    assert "Usage: approve" in await ask(bot, "approve", LEO)
    assert DEPLOYED == [("api", "9.9", "staging")]


async def test_expiry_survives_a_restart_and_nothing_runs(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    DEPLOYED.clear()
    async with bot_context(simulator, db_url, tmp_path, monkeypatch) as first_life:
        thread = await say(first_life, "deploy web 2.0 env=qa", ALICE)
        approval = await only_request(first_life)
        assert approval.activity_id
    await asyncio.sleep(2.5)  # the bot is down while the approval runs out
    simulator.clear()
    async with bot_context(simulator, db_url, tmp_path, monkeypatch) as second_life:
        await wait_until(
            lambda: any(
                c.method == "PUT" and "Expired" in visible_text(c.body) for c in simulator.calls
            )
        )
        put = next(c for c in simulator.calls if c.method == "PUT")
        assert put.activity_id == approval.activity_id
        assert (await current(second_life, approval)).state == "expired"
        late = await press(second_life, approval, "approval.approve", LENA, thread)
        assert "no longer open" in card_text(late["value"])
        records = await second_life.services.audit.query(last=20, kind="approval")
        assert any(r.outcome == "expired" for r in records)
    assert DEPLOYED == []


async def test_two_replicas_pressing_approve_at_once_run_once(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    DEPLOYED.clear()
    one_dir, two_dir = tmp_path / "one", tmp_path / "two"
    one_dir.mkdir()
    two_dir.mkdir()
    async with (
        bot_context(simulator, db_url, one_dir, monkeypatch) as one,
        bot_context(simulator, db_url, two_dir, monkeypatch) as two,
    ):
        thread = await say(one, "deploy web 3.0 env=staging", ALICE)
        approval = await only_request(one)
        card = render_approval(one.services, approval)
        await asyncio.gather(
            press(one, approval, "approval.approve", LENA, thread, card=card),
            press(two, approval, "approval.approve", LEO, thread, card=card),
        )
        await wait_until(lambda: bool(DEPLOYED))
        await asyncio.sleep(0.5)
        assert DEPLOYED == [("web", "3.0", "staging")]
        await wait_state(two, approval, "succeeded")
