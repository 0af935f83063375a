"""ConversationStore: upsert, get, list, find_channel (both engines)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from teams_bot.storage.conversations import ConversationStore, StoredConversation
from teams_bot.storage.db import Database

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CHANNEL = "19:general@thread.tacv2"


def reference(conversation_id: str) -> dict[str, object]:
    ref = ConversationReference(
        activity_id="1",
        user=ChannelAccount(id="29:user", name="Alice", aad_object_id="aad-alice"),
        bot=ChannelAccount(id="28:bot", name="Bot"),
        conversation=ConversationAccount(id=conversation_id, tenant_id="tenant-1"),
        channel_id="msteams",
        service_url="https://smba.trafficmanager.net/emea/",
    )
    return ref.serialize()  # type: ignore[no-any-return]


def conv(conversation_id: str = CHANNEL, **changes: object) -> StoredConversation:
    base = StoredConversation(
        conversation_id=conversation_id,
        conversation_type="channel",
        tenant_id="tenant-1",
        team_id="team-1",
        channel_id=CHANNEL,
        service_url="https://smba.trafficmanager.net/emea/",
        reference=reference(conversation_id),
        updated_at=T0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store(db: Database) -> ConversationStore:
    return ConversationStore(db)


async def test_save_then_get(store: ConversationStore) -> None:
    saved = conv()
    await store.save(saved)
    got = await store.get(CHANNEL)
    assert got == saved
    assert ConversationReference.deserialize(got.reference).conversation.id == CHANNEL


async def test_get_unknown_is_none(store: ConversationStore) -> None:
    assert await store.get("nope") is None


async def test_save_upserts_by_conversation_id(store: ConversationStore) -> None:
    await store.save(conv())
    newer = conv(service_url="https://smba.trafficmanager.net/amer/", updated_at=T0 + timedelta(1))
    await store.save(newer)
    assert await store.get(CHANNEL) == newer
    assert await store.list() == [newer]


async def test_list_filters_by_tenant_and_team(store: ConversationStore) -> None:
    a = conv("a:1", team_id="team-1")
    b = conv("b:1", team_id="team-2")
    c = conv("c:1", tenant_id="tenant-2", team_id="", conversation_type="personal")
    for item in (c, a, b):
        await store.save(item)
    assert await store.list() == [a, b, c]
    assert await store.list(tenant_id="tenant-1") == [a, b]
    assert await store.list(team_id="team-2") == [b]
    assert await store.list(tenant_id="tenant-2", team_id="team-1") == []


async def test_find_channel_prefers_the_channel_itself(store: ConversationStore) -> None:
    thread = conv(f"{CHANNEL};messageid=42", updated_at=T0 + timedelta(hours=1))
    await store.save(thread)
    assert await store.find_channel("team-1", CHANNEL) == thread
    root = conv()
    await store.save(root)
    assert await store.find_channel("team-1", CHANNEL) == root
    assert await store.find_channel("team-2", CHANNEL) is None
    assert await store.find_channel("team-1", "19:other@thread.tacv2") is None
