"""Replay every real Teams payload in tests/corpus/ through the real HTTP route.

Each file declares its defined answer (`_expect`, see tests/corpus/README.md); nothing may get a
5xx, and no invoke may be answered without a body. Behaviours issue 10 asks for that are not
built yet are strict xfails, so they turn red the day they are fixed (then drop the `xfail` key).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from teams_bot.storage.conversations import StoredConversation
from tests.botrunner import BotUnderTest, visible_text
from tests.simulator import RecordedCall, User

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SETTLE_SECONDS = 0.4  # how long to keep listening for replies nobody should send
SEEDED_CHANNEL = "19:seeded0channel0of0the0team@thread.tacv2"


def corpus_names() -> list[str]:
    return sorted(path.stem for path in CORPUS.glob("*.json"))


def _raw(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def _case(name: str) -> Any:
    reason = _raw(name)["_expect"].get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


def load(name: str, bot: BotUnderTest) -> dict[str, Any]:
    """A corpus file with the placeholders pointed at the simulator."""
    text = (CORPUS / f"{name}.json").read_text(encoding="utf-8")
    for placeholder, value in {
        "{{SERVICE_URL}}": bot.sim.service_url,
        "{{BOT_ID}}": f"28:{bot.sim.app_id}",
        "{{TENANT_ID}}": bot.sim.tenant_id,
    }.items():
        text = text.replace(placeholder, value)
    doc: dict[str, Any] = json.loads(text)
    enrol(bot, doc["activity"])
    return doc


def enrol(bot: BotUnderTest, activity: dict[str, Any]) -> None:
    """Put the payload's people on the connector's roster: in Teams they are members of the
    conversation, and botbuilder looks each added member up."""
    bot_id = f"28:{bot.sim.app_id}"
    accounts = [activity.get("from") or {}, *(activity.get("membersAdded") or [])]
    for account in accounts:
        teams_id = str(account.get("id") or "")
        if teams_id in ("", bot_id) or any(u.teams_id == teams_id for u in bot.sim.users):
            continue
        name = str(account.get("name") or "Corpus User")
        aad = str(account.get("aadObjectId") or "")
        bot.sim.users.append(User(name, aad, teams_id, "corpus.user@contoso.com"))


def posts(calls: list[RecordedCall]) -> list[RecordedCall]:
    """Messages the bot posted into conversations (not updates, not conversation creation)."""
    return [c for c in calls if c.method == "POST" and c.conversation_id]


async def replies_after(bot: BotUnderTest, expected: int) -> list[RecordedCall]:
    if expected:
        await bot.sim.wait_for_calls(expected)
    await asyncio.sleep(SETTLE_SECONDS)
    return posts(bot.sim.calls)


async def seed(bot: BotUnderTest, expect: dict[str, Any], activity: dict[str, Any]) -> None:
    """Store the references an event should remove, as earlier turns would have."""
    tenant = bot.sim.tenant_id
    seeds = []
    if gone := expect.get("reference_gone"):
        seeds.append((gone, "", gone))
    if team := expect.get("team_references_gone"):
        seeds.append((SEEDED_CHANNEL, team, SEEDED_CHANNEL))
    for conversation_id, team_id, channel_id in seeds:
        await bot.services.conversations.save(
            StoredConversation(
                conversation_id=conversation_id,
                conversation_type=activity["conversation"].get("conversationType", "channel"),
                tenant_id=tenant,
                team_id=team_id,
                channel_id=channel_id,
                service_url=bot.sim.service_url,
                reference={"conversation": {"id": conversation_id, "tenantId": tenant}},
                updated_at=datetime.now(UTC),
            )
        )


@pytest.mark.parametrize("name", [_case(n) for n in corpus_names()])
async def test_payload_gets_its_defined_answer(bot: BotUnderTest, name: str) -> None:
    doc = load(name, bot)
    expect, activity = doc["_expect"], doc["activity"]
    await seed(bot, expect, activity)
    result = await bot.post(activity)
    assert result.status < 500, result.text
    allowed = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
    assert result.status in allowed, result.text
    if activity["type"] == "invoke":
        assert result.json() is not None, "an invoke must be answered with a body"
    check_invoke_answer(expect, result.json() if result.text else None)
    replies = await replies_after(bot, expect.get("replies", 0))
    check_replies(expect, activity, replies)
    await check_references(bot, expect, activity)


def check_invoke_answer(expect: dict[str, Any], body: Any) -> None:
    if "invoke_status_code" in expect:
        assert body["statusCode"] == expect["invoke_status_code"], body
    if "invoke_type" in expect:
        assert body["type"] == expect["invoke_type"], body
    if "body_has" in expect:
        assert isinstance(body, dict) and expect["body_has"] in body, body


def check_replies(
    expect: dict[str, Any], activity: dict[str, Any], replies: list[RecordedCall]
) -> None:
    if "replies" in expect:
        assert len(replies) == expect["replies"], [visible_text(r.body) for r in replies]
    if "reply_in" in expect:
        assert replies[0].conversation_id == expect["reply_in"]
    shown = "\n".join(visible_text(r.body) for r in replies)
    if "reply_contains" in expect:
        assert expect["reply_contains"] in shown, shown
    if expect.get("welcome_scope") == "personal":
        assert "mention" not in shown.lower() and "@opsbot" not in shown, shown
    if expect.get("no_reply_in_conversation"):
        own = activity["conversation"]["id"]
        inside = [r for r in replies if r.conversation_id in (own, own.split(";", 1)[0])]
        assert inside == [], [visible_text(r.body) for r in inside]


async def check_references(
    bot: BotUnderTest, expect: dict[str, Any], activity: dict[str, Any]
) -> None:
    store = bot.services.conversations
    if pair := expect.get("reference_channel"):
        stored = await store.get(activity["conversation"]["id"])
        assert stored is not None and [stored.channel_id, stored.team_id] == pair
        assert stored.tenant_id == bot.sim.tenant_id
        assert stored.reference["conversation"].get("tenantId") == bot.sim.tenant_id
    if kept := expect.get("reference_kept"):
        stored = await store.get(kept)
        assert stored is not None and stored.channel_id, stored
    if gone := expect.get("reference_gone"):
        assert await store.get(gone) is None
    if team := expect.get("team_references_gone"):
        assert await store.list(team_id=team) == []


# -- one install, one welcome (issue 10 item 1) ---------------------------------------------------
WELCOME_PAIRS = [
    pytest.param(
        ("installation_update_add_personal", "conversation_update_bot_added_personal"),
        id="personal",
    ),
    pytest.param(
        ("playground_install_groupchat", "playground_bot_added_groupchat"), id="group-chat"
    ),
    pytest.param(("installation_update_add_team", "conversation_update_bot_added_team"), id="team"),
    pytest.param(
        ("conversation_update_bot_added_team", "installation_update_add_team"), id="team-reversed"
    ),
]


@pytest.mark.parametrize("pair", WELCOME_PAIRS)
async def test_one_install_gets_one_welcome(bot: BotUnderTest, pair: tuple[str, str]) -> None:
    """Teams sends installationUpdate and conversationUpdate for the same install: one welcome,
    in that conversation (a team's selected channel), worded for the scope."""
    activities = [load(name, bot)["activity"] for name in pair]
    for activity in activities:
        assert (await bot.post(activity)).status in (200, 201)
    replies = await replies_after(bot, 1)
    assert len(replies) == 1, [visible_text(r.body) for r in replies]
    assert replies[0].conversation_id == activities[0]["conversation"]["id"]
    if activities[0]["conversation"]["conversationType"] == "personal":
        assert "mention" not in visible_text(replies[0].body).lower()


# -- authenticated but oddly shaped activities (issue 9 item 9) ----------------------------------
ODD_SHAPES: dict[str, dict[str, Any]] = {
    "tenant-a-string": {"tenant": "{{TENANT_ID}}"},
    "team-a-list": {"team": ["19:x@thread.tacv2"], "channel": {"id": "19:y@thread.tacv2"}},
    "channel-a-number": {"channel": 5, "team": {"id": "19:x@thread.tacv2"}},
    "channel-data-a-string": {"_replace": "channelData"},
}


@pytest.mark.parametrize("shape", sorted(ODD_SHAPES))
async def test_odd_shapes_never_get_a_server_error(bot: BotUnderTest, shape: str) -> None:
    activity = load("message_channel_mention", bot)["activity"]
    change = ODD_SHAPES[shape]
    if "_replace" in change:
        activity["channelData"] = "channelData"
    else:
        activity["channelData"].update(change)
    result = await bot.post(activity)
    assert result.status < 500, result.text


async def test_members_added_with_empty_accounts_never_get_a_server_error(
    bot: BotUnderTest,
) -> None:
    activity = load("conversation_update_bot_added_team", bot)["activity"]
    activity["membersAdded"] = [{}]
    result = await bot.post(activity)
    assert result.status < 500, result.text
    assert posts(await replies_after(bot, 0)) == [], "nobody was added that needs a welcome"
