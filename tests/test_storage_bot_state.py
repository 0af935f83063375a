"""SqlBotStorage: botbuilder Storage semantics and eTag concurrency (both engines)."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import ConversationState, MemoryStorage, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogState,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from teams_bot.storage.bot_state import SqlBotStorage
from teams_bot.storage.db import Database
from tests.db_fixtures import OpenDb


class Counter(StoreItem):
    """A StoreItem from an allow-listed module (the tests package is allowed below)."""


@pytest.fixture
def storage(db: Database) -> SqlBotStorage:
    return SqlBotStorage(db, modules=("botbuilder", "tests"))


async def test_read_of_nothing(storage: SqlBotStorage) -> None:
    assert await storage.read([]) == {}
    assert await storage.read(["missing"]) == {}


async def test_dict_round_trip_gets_an_etag(storage: SqlBotStorage) -> None:
    await storage.write({"a": {"n": 1, "nested": {"x": [1, 2]}}, "b": {"n": 2}})
    got = await storage.read(["a", "b", "c"])
    assert set(got) == {"a", "b"}
    assert got["a"]["n"] == 1 and got["a"]["nested"] == {"x": [1, 2]}
    assert isinstance(got["a"]["e_tag"], str) and got["a"]["e_tag"] != got["b"]["e_tag"]


async def test_store_item_round_trip(storage: SqlBotStorage) -> None:
    await storage.write({"c": Counter(count=1)})
    [item] = (await storage.read(["c"])).values()
    assert isinstance(item, Counter) and item.count == 1 and item.e_tag


async def test_write_does_not_modify_the_callers_value(storage: SqlBotStorage) -> None:
    value = {"n": 1}
    await storage.write({"k": value})
    assert value == {"n": 1}


async def test_each_write_changes_the_etag(storage: SqlBotStorage) -> None:
    await storage.write({"k": {"n": 1}})
    first = (await storage.read(["k"]))["k"]
    first["n"] = 2
    await storage.write({"k": first})
    second = (await storage.read(["k"]))["k"]
    assert second["n"] == 2 and second["e_tag"] != first["e_tag"]


@pytest.mark.parametrize("make", [dict, Counter])
async def test_stale_etag_conflicts(storage: SqlBotStorage, make: type) -> None:
    await storage.write({"k": make(n=1)})
    stale = (await storage.read(["k"]))["k"]
    fresh = (await storage.read(["k"]))["k"]
    await storage.write({"k": fresh})
    with pytest.raises(KeyError, match="Etag conflict"):
        await storage.write({"k": stale})


async def test_star_and_missing_etag_write_unconditionally(storage: SqlBotStorage) -> None:
    await storage.write({"k": {"n": 1}})
    await storage.write({"k": {"n": 2, "e_tag": "*"}})
    await storage.write({"k": {"n": 3}})
    assert (await storage.read(["k"]))["k"]["n"] == 3


async def test_empty_etag_is_an_error(storage: SqlBotStorage) -> None:
    with pytest.raises(Exception, match="etag missing"):
        await storage.write({"k": {"e_tag": ""}})


async def test_etag_on_a_new_key_is_accepted_like_memory_storage(storage: SqlBotStorage) -> None:
    memory = MemoryStorage()
    for store in (memory, storage):
        await store.write({"new": {"n": 1, "e_tag": "some-old-etag"}})
        assert (await store.read(["new"]))["new"]["n"] == 1


async def test_conflict_writes_none_of_the_keys(storage: SqlBotStorage) -> None:
    await storage.write({"k": {"n": 1}})
    with pytest.raises(KeyError):
        await storage.write({"other": {"n": 1}, "k": {"n": 2, "e_tag": "stale"}})
    assert await storage.read(["other"]) == {}


async def test_none_changes_is_an_error(storage: SqlBotStorage) -> None:
    with pytest.raises(Exception, match="Changes are required"):
        await storage.write(None)  # type: ignore[arg-type]
    await storage.write({})


async def test_delete(storage: SqlBotStorage) -> None:
    await storage.write({"a": {"n": 1}, "b": {"n": 2}})
    await storage.delete(["a", "missing"])
    assert set(await storage.read(["a", "b"])) == {"b"}
    await storage.delete([])


async def test_two_replicas_racing_with_the_same_etag(open_db: OpenDb) -> None:
    replicas = [SqlBotStorage(await open_db()) for _ in range(2)]
    await replicas[0].write({"k": {"winner": None}})
    for _ in range(10):
        reads = [(await r.read(["k"]))["k"] for r in replicas]
        assert reads[0]["e_tag"] == reads[1]["e_tag"]
        for i, value in enumerate(reads):
            value["winner"] = i
        results = await asyncio.gather(
            *(r.write({"k": v}) for r, v in zip(replicas, reads, strict=True)),
            return_exceptions=True,
        )
        errors = [e for e in results if isinstance(e, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], KeyError), results
        winner = results.index(None)
        assert (await replicas[0].read(["k"]))["k"]["winner"] == winner


async def test_many_concurrent_writers_exactly_one_wins(open_db: OpenDb) -> None:
    replicas = [SqlBotStorage(await open_db()) for _ in range(2)]
    await replicas[0].write({"k": {"n": 0}})
    etag = (await replicas[0].read(["k"]))["k"]["e_tag"]
    writes = [replicas[i % 2].write({"k": {"n": i, "e_tag": etag}}) for i in range(8)]
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert results.count(None) == 1
    assert all(isinstance(r, KeyError) for r in results if r is not None)


async def _dialog_turn(storage: SqlBotStorage, text: str) -> list[str]:
    """One turn of a two-step waterfall, with state in `storage` (a fresh bot each time)."""
    conversation_state = ConversationState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))

    async def ask(step: WaterfallStepContext) -> object:
        await step.context.send_activity("name?")
        return WaterfallDialog.end_of_turn  # type: ignore[attr-defined]

    async def greet(step: WaterfallStepContext) -> object:
        await step.context.send_activity(f"hello {step.context.activity.text}")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("greet", [ask, greet]))
    sent: list[str] = []

    async def logic(context: TurnContext) -> None:
        dc = await dialogs.create_context(context)
        if (await dc.continue_dialog()).status == DialogTurnStatus.Empty:
            await dc.begin_dialog("greet")
        await conversation_state.save_changes(context)

    adapter = TestAdapter(logic)
    activity = Activity(
        type=ActivityTypes.message,
        text=text,
        channel_id="test",
        conversation=ConversationAccount(id="conv-1"),
        from_property=ChannelAccount(id="u"),
        recipient=ChannelAccount(id="bot"),
    )
    await adapter.receive_activity(activity)
    while (reply := adapter.get_next_activity()) is not None:
        sent.append(reply.text)
    return sent


async def test_a_dialog_survives_a_restart(open_db: OpenDb) -> None:
    assert await _dialog_turn(SqlBotStorage(await open_db()), "hi") == ["name?"]
    assert await _dialog_turn(SqlBotStorage(await open_db()), "Ada") == ["hello Ada"]
    state = await SqlBotStorage(await open_db()).read(["test/conversations/conv-1"])
    [value] = state.values()
    assert isinstance(value["DialogState"], DialogState)
