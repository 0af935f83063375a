"""Incidents end to end through the real route with signed tokens, on both engines:
create → note → assign → sev → resolve → export, the card updated in place (PUT) each time,
the timeline kept, every command audited, and the permissions enforced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import all_features
from teams_bot.features.incidents.store import Event, Incident, IncidentStore
from tests.botrunner import BotUnderTest, card_text, start_bot, visible_text
from tests.db_fixtures import DbTarget
from tests.simulator import ALICE, BOB, ChannelSimulator, User

POLICY = """
default_roles = ["viewer"]

[roles.viewer]
permissions = ["help", "incidents.read"]

[roles.responder]
permissions = ["incidents.*"]

[bindings.users]
"{alice}" = ["responder"]
"""


@pytest.fixture
async def incident_bot(
    simulator: ChannelSimulator, db_url: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotUnderTest]:
    policy = tmp_path / "incident-policy.toml"
    policy.write_text(POLICY.format(alice=ALICE.aad_object_id))
    features = all_features()
    async with start_bot(
        simulator, db_url, tmp_path, monkeypatch, features=features, policy_file=policy
    ) as running:
        yield running


async def say(
    bot: BotUnderTest, text: str, user: User = ALICE, mentions: tuple[User, ...] = ()
) -> list[Any]:
    """Send a command in a channel; the calls the bot made once it answered (POST first)."""
    bot.sim.clear()
    message = bot.teams.channel_message(
        f"<at>opsbot</at> {text}", user=user, extra_mentions=mentions
    )
    assert (await bot.post(message)).status in (200, 201)
    for _ in range(200):
        if any(c.method == "POST" and c.body for c in bot.sim.calls):
            await asyncio.sleep(0.05)  # a card update may come just before the answer
            return list(bot.sim.calls)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}")


def answer(calls: list[Any]) -> str:
    return visible_text(next(c.body for c in calls if c.method == "POST" and c.body))


def updated_card(calls: list[Any]) -> dict[str, Any]:
    """The card the bot PUT in place (exactly one update per change)."""
    (put,) = [c for c in calls if c.method == "PUT"]
    content: dict[str, Any] = put.body["attachments"][0]["content"]
    return content


async def _posted(store: IncidentStore, tenant: str, incident_id: str) -> Incident:
    for _ in range(200):
        found = await store.get(tenant, incident_id)
        if found is not None and found.message_id:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the incident card's message id was never stored")


async def test_incident_lifecycle_updates_the_card_in_place_and_exports_the_timeline(
    incident_bot: BotUnderTest,
) -> None:
    bot = incident_bot
    tenant = bot.teams.tenant_id
    calls = await say(bot, "incident create Checkout latency <b>above</b> 2s sev=2")
    post = next(c for c in calls if c.method == "POST" and c.body)
    card = post.body["attachments"][0]["content"]
    shown = card_text(card)
    assert "SEV2" in shown and "Open" in shown and "nobody yet" in shown
    store = IncidentStore(bot.services.db)
    (opened,) = await store.open_ones(tenant)
    assert f"Incident {opened.id}" in shown and opened.title == "Checkout latency <b>above</b> 2s"
    assert len(opened.id) == 6 and opened.id.isalnum() and opened.id.isupper()
    incident = await _posted(store, tenant, opened.id)
    iid = incident.id.lower()  # ids are typed in any case

    calls = await say(bot, f"incident note {iid} replication lag on db-3")
    assert f"Noted on incident {incident.id}" in answer(calls)
    assert "note: replication lag on db-3" in card_text(updated_card(calls))
    put = next(c for c in calls if c.method == "PUT")
    assert incident.message_id in put.path

    calls = await say(bot, f"incident assign {iid} <at>Bob Builder</at>", mentions=(BOB,))
    assert "Bob Builder commands incident" in answer(calls)
    assert "commander: Bob Builder" in card_text(updated_card(calls))
    stored = await store.get(tenant, incident.id)
    assert stored is not None and stored.commander_id == BOB.aad_object_id

    calls = await say(bot, f"incident sev {iid} 1")
    assert "SEV2 → SEV1" in card_text(updated_card(calls))
    assert "1 (worst) to 4" in answer(await say(bot, f"incident sev {iid} 7"))

    not_a_mention = answer(await say(bot, f"incident assign {iid} Bob"))
    assert "@mention the commander" in not_a_mention

    calls = await say(bot, f"incident mitigate {iid} traffic moved to db-4")
    assert "Mitigated" in card_text(updated_card(calls))
    assert "mitigated already" in answer(await say(bot, f"incident mitigate {iid}"))

    listed = answer(await say(bot, "incident list", user=BOB))
    assert f"{incident.id} SEV1 mitigated" in listed and "Bob Builder" in listed

    calls = await say(bot, f"incident resolve {iid} failed over to db-4")
    resolved = card_text(updated_card(calls))
    assert "Resolved" in resolved and "resolved: failed over to db-4" in resolved
    assert "resolved already" in answer(await say(bot, f"incident resolve {iid}"))
    assert "No open incidents" in answer(await say(bot, "incident list"))

    exported = answer(await say(bot, f"incident export {iid}", user=BOB))
    assert f"Incident {incident.id}" in exported and "Severity: SEV1" in exported
    order = [
        "opened the incident (SEV2)",
        "note: replication lag on db-3",
        "commander: Bob Builder",
        "SEV2 → SEV1",
        "mitigated: traffic moved to db-4",
        "resolved: failed over to db-4",
    ]
    positions = [exported.index(line) for line in order]
    assert positions == sorted(positions) and exported.count("Alice Admin") >= 6

    records = await bot.services.audit.query(last=50, kind="command")
    done = {r.command for r in records if r.outcome == "ok"}
    assert {"incident create", "incident note", "incident assign", "incident sev"} <= done
    assert {"incident resolve", "incident export", "incident list"} <= done


async def test_changes_need_incidents_manage_and_reading_needs_incidents_read(
    incident_bot: BotUnderTest,
) -> None:
    bot = incident_bot
    tenant = bot.teams.tenant_id
    refused = answer(await say(bot, "incident create db down", user=BOB))
    assert "incidents.manage" in refused or "not allowed" in refused.lower()
    assert await IncidentStore(bot.services.db).open_ones(tenant) == []
    await say(bot, "incident create db down sev=1")
    (incident,) = await IncidentStore(bot.services.db).open_ones(tenant)
    for text in (f"incident note {incident.id} hi", f"incident resolve {incident.id}"):
        calls = await say(bot, text, user=BOB)
        assert "incidents.manage" in answer(calls) or "not allowed" in answer(calls).lower()
        assert not [c for c in calls if c.method == "PUT"]
    assert f"{incident.id} SEV1 open" in answer(await say(bot, "incident list", user=BOB))
    assert "No incident 'NOPE42'" in answer(await say(bot, "incident note NOPE42 hi"))
    records = await bot.services.audit.query(last=50, kind="command")
    denied = {r.command for r in records if r.outcome == "denied"}
    assert {"incident create", "incident note", "incident resolve"} <= denied
    timeline = await IncidentStore(bot.services.db).timeline(incident.id)
    assert [e.what for e in timeline] == ["opened the incident (SEV1)"]


async def test_export_shows_hostile_text_literally_and_two_resolves_at_once_record_one(
    incident_bot: BotUnderTest,
) -> None:
    bot = incident_bot
    tenant = bot.teams.tenant_id
    await say(bot, "incident create [click](http://evil.example) **now**")
    (incident,) = await IncidentStore(bot.services.db).open_ones(tenant)
    await say(bot, f"incident note {incident.id} # heading <at>Ada</at>")
    calls = await say(bot, f"incident export {incident.id}")
    raw = next(c.body for c in calls if c.method == "POST" and c.body)["text"]
    assert "\\[click\\](http://evil.example) \\*\\*now\\*\\*" in raw
    assert "\\# heading \\<at\\>Ada\\</at\\>" in raw and "\n# heading" not in raw
    store = IncidentStore(bot.services.db)
    event = Event(datetime.now(UTC), ALICE.aad_object_id, "Alice Admin", "resolved")
    won = await asyncio.gather(
        *(store.change(incident.id, event, ("open",), state="resolved") for _ in range(2))
    )
    assert sorted(won) == [False, True]
    whats = [e.what for e in await store.timeline(incident.id)]
    assert whats.count("resolved") == 1

    taken = await store.create(incident, event)  # the same id again: a fresh one is drawn
    assert taken.id != incident.id and await store.get(tenant, taken.id) is not None
