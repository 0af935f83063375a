"""The on-call feature end to end through the real route with signed tokens: `oncall`,
`oncall override` (permission, stored, audited, shown, seen by oncall_for), `oncall page` (a
card with a real Teams mention entity) and its Acknowledge button (once, for everyone,
audited)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import all_features
from teams_bot.features import oncall
from teams_bot.features.oncall.draw import page_of
from teams_bot.features.oncall.store import OnCallStore, Page
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.e2e.test_card_actions import executes
from tests.simulator import ALICE, BOB, ChannelSimulator, User

LENA = User.named("Lena Lead")
POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "oncall.read"]

[roles.oncall-lead]
permissions = ["oncall.*"]

[bindings.users]
"{alice}" = ["oncall-lead"]
"""
ONCALL = """

[oncall]
default_team = "platform"

[oncall.teams.platform]
timezone = "Europe/Berlin"
handoff = "09:00"
rotation = "daily"
start = "{start}"
members = [
  {{ name = "Alice Admin", aad_object_id = "{alice}", teams_id = "{alice_teams}" }},
  {{ name = "Bob Builder", aad_object_id = "{bob}", teams_id = "{bob_teams}" }},
]
"""


@pytest.fixture
async def oncall_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    policy = tmp_path / "oncall-policy.toml"
    policy.write_text(POLICY.format(alice=ALICE.aad_object_id))
    config = tmp_path / "config.toml"
    config.write_text(
        ONCALL.format(
            start=date.today() - timedelta(days=10),
            alice=ALICE.aad_object_id,
            alice_teams=ALICE.teams_id,
            bob=BOB.aad_object_id,
            bob_teams=BOB.teams_id,
        )
    )
    files = {"config_file": config, "policy_file": policy}
    features = all_features()  # on-call is a shipped feature
    async with start_bot(
        simulator, db_url, tmp_path, monkeypatch, features=features, **files
    ) as running:
        yield running


async def say(
    bot: BotUnderTest, text: str, user: User = ALICE, mentions: tuple[User, ...] = ()
) -> dict[str, Any]:
    """Send a command in a channel; the first message the bot posts in answer."""
    bot.sim.clear()
    message = bot.teams.channel_message(
        f"<at>opsbot</at> {text}", user=user, extra_mentions=mentions
    )
    assert (await bot.post(message)).status in (200, 201)
    for _ in range(200):
        posts = [c for c in bot.sim.calls if c.method == "POST" and c.body]
        if posts:
            return posts[0].body  # type: ignore[return-value]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}")


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = body["attachments"][0]["content"]
    return content


async def test_oncall_shows_now_and_next_with_times_in_the_zone_and_utc(
    oncall_bot: BotUnderTest,
) -> None:
    shown = visible_text(await say(oncall_bot, "oncall", user=BOB))
    assert "On call: platform" in shown and "Times in Europe/Berlin" in shown
    assert {"Alice Admin", "Bob Builder"} <= set(shown.replace("\n", "|").split("|"))
    assert "UTC)" in shown and ("CET" in shown or "CEST" in shown)
    unknown = visible_text(await say(oncall_bot, "oncall payments"))
    assert "Unknown on-call team 'payments'" in unknown and "platform" in unknown


async def test_override_needs_its_permission_is_stored_shown_and_seen_by_oncall_for(
    oncall_bot: BotUnderTest,
) -> None:
    bot = oncall_bot
    bot.sim.users.append(LENA)  # the roster names Lena: her mention carries no AAD id
    denied = visible_text(await say(bot, "oncall override <at>Lena Lead</at> for=4h", BOB, (LENA,)))
    assert "oncall.override" in denied or "not allowed" in denied.lower()
    assert await oncall.oncall_for(bot.services, "platform", datetime.now(UTC)) != oncall.Person(
        "Lena Lead", LENA.aad_object_id, LENA.teams_id
    )
    done = visible_text(await say(bot, "oncall override <at>Lena Lead</at> for=4h", ALICE, (LENA,)))
    assert "Lena Lead is on call for platform until" in done and "(override)" in done
    now = datetime.now(UTC)
    lena = oncall.Person("Lena Lead", LENA.aad_object_id, LENA.teams_id)
    assert await oncall.oncall_for(bot.services, "platform", now) == lena
    assert await oncall.oncall_for(bot.services, "platform", now + timedelta(hours=5)) != lena
    too_long = await say(bot, "oncall override <at>Lena Lead</at> for=30d platform", ALICE, (LENA,))
    assert "from one minute to 14 days" in visible_text(too_long)
    shown = visible_text(await say(bot, "oncall platform", BOB))
    assert "Lena Lead (override)" in shown and "set by Alice Admin" in shown
    records = await bot.services.audit.query(last=20, kind="command")
    outcomes = [(r.command, r.outcome) for r in records if r.command == "oncall override"]
    assert ("oncall override", "ok") in outcomes and ("oncall override", "denied") in outcomes


async def test_page_mentions_the_person_and_acknowledge_updates_the_card_once(
    oncall_bot: BotUnderTest,
) -> None:
    bot = oncall_bot
    text = "oncall page <at>Bob Builder</at> disk full on db-3"
    assert "oncall.page" in visible_text(await say(bot, text, LENA, (BOB,)))  # not permitted
    posted = await say(bot, text, ALICE, (BOB,))
    card = card_of(posted)
    tag = "<at>Bob Builder</at>"
    assert card["msteams"]["entities"] == [
        {"type": "mention", "text": tag, "mentioned": {"id": BOB.teams_id, "name": "Bob Builder"}}
    ]
    assert any(tag in block.get("text", "") for block in card["body"])
    assert "disk full on db-3" in card_text(card)
    (button,) = executes(card)
    page_id = page_of(bot.services.signer, button["data"]["actionId"])
    assert page_id is not None
    store = OnCallStore(bot.services.db)
    page = await _posted(store, page_id)

    async def press(user: User) -> str:
        invoke = bot.teams.card_action_invoke(
            button["verb"], button["data"], user=user, where="channel", reply_to_id=page.message_id
        )
        return card_text((await bot.post(invoke)).json()["value"])

    elsewhere = bot.teams.card_action_invoke(
        button["verb"], button["data"], user=BOB, where="personal", reply_to_id=page.message_id
    )
    assert "not one of this conversation" in (await bot.post(elsewhere)).json()["value"]
    bot.sim.clear()
    assert "Acknowledged by Bob Builder" in await press(BOB)
    updates = [c.body for c in bot.sim.calls if c.method == "PUT"]
    assert updates and "Acknowledged by Bob Builder" in visible_text(updates[-1])
    assert not executes(card_of(updates[-1]))  # no Acknowledge button any more
    assert "Already acknowledged by Bob Builder" in await press(ALICE)
    acked = await store.page(page_id)
    assert acked is not None and acked.acked_by_id == BOB.aad_object_id and acked.acked_at
    records = await bot.services.audit.query(last=20, kind="action")
    presses = [(r.aad_object_id, r.outcome) for r in records if r.command == "oncall acknowledge"]
    assert sorted(presses) == sorted(
        [
            (BOB.aad_object_id, "refused"),  # from another conversation
            (BOB.aad_object_id, "ok"),
            (ALICE.aad_object_id, "duplicate"),
        ]
    )


async def _posted(store: OnCallStore, page_id: str) -> Page:
    """The page once the bot has stored the id of the message that carries it."""
    for _ in range(200):
        page = await store.page(page_id)
        if page is not None and page.message_id:
            return page
        await asyncio.sleep(0.05)
    raise AssertionError("the page's message id was never stored")


async def test_paging_a_team_mentions_whoever_is_on_call(oncall_bot: BotUnderTest) -> None:
    bot = oncall_bot
    person = await oncall.oncall_for(bot.services, "platform", datetime.now(UTC))
    assert person is not None
    card = card_of(await say(bot, "oncall page platform db-3 is down"))
    (entity,) = card["msteams"]["entities"]
    assert entity["mentioned"] == {"id": person.teams_id, "name": person.name}
