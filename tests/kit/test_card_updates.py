"""Coalesced card updates: only when what the card shows changed, at most one per interval."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from teams_bot.jobs.updates import CardUpdates


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, str, dict[str, Any]]] = []

    async def __call__(self, conversation_id: str, message_id: str, card: dict[str, Any]) -> None:
        self.sent.append((time.monotonic(), message_id, card))


def card(text: str) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": text}]}


async def test_an_unchanged_card_is_not_sent_again() -> None:
    sent = Recorder()
    updates = CardUpdates(sent, interval_s=0.05)
    await updates.update("c1", "conv", "m1", card("Rebooting"), wait=True)
    await updates.update("c1", "conv", "m1", card("Rebooting"), wait=True)
    await updates.update("c1", "conv", "m1", card("Rebooting"), wait=True)
    assert [c["body"][0]["text"] for _, _, c in sent.sent] == ["Rebooting"]


async def test_a_burst_is_coalesced_to_the_latest_state_at_most_once_per_interval() -> None:
    sent = Recorder()
    updates = CardUpdates(sent, interval_s=0.3)
    await updates.update("c1", "conv", "m1", card("line 0"), wait=True)
    for i in range(1, 20):
        await updates.update("c1", "conv", "m1", card(f"line {i}"))
    await updates.update("c1", "conv", "m1", card("done"), wait=True)
    texts = [c["body"][0]["text"] for _, _, c in sent.sent]
    assert texts == ["line 0", "done"], "19 intermediate states collapse into the newest"
    (first, _, _), (second, _, _) = sent.sent
    assert second - first >= 0.29, "the second update waited for the interval"


async def test_what_was_shown_by_a_press_counts_as_sent() -> None:
    sent = Recorder()
    updates = CardUpdates(sent, interval_s=0.05)
    updates.mark_sent("c1", card("Rebooting"))  # the invoke answer already showed this
    await updates.update("c1", "conv", "m1", card("Rebooting"), wait=True)
    assert sent.sent == []
    await updates.update("c1", "conv", "m1", card("Rebooted"), wait=True)
    assert [c["body"][0]["text"] for _, _, c in sent.sent] == ["Rebooted"]


async def test_cards_are_independent_and_need_a_message_id() -> None:
    sent = Recorder()
    updates = CardUpdates(sent, interval_s=0.2)
    await updates.update("c0", "conv", "", card("not posted yet"), wait=True)
    await asyncio.gather(
        updates.update("c1", "conv", "m1", card("a"), wait=True),
        updates.update("c2", "conv", "m2", card("b"), wait=True),
    )
    assert sorted(m for _, m, _ in sent.sent) == ["m1", "m2"]


async def test_a_failing_send_is_logged_and_does_not_block_the_next() -> None:
    calls: list[str] = []

    async def flaky(conversation_id: str, message_id: str, content: dict[str, Any]) -> None:
        calls.append(content["body"][0]["text"])
        if len(calls) == 1:
            raise RuntimeError("connector down")

    updates = CardUpdates(flaky, interval_s=0.01)
    await updates.update("c1", "conv", "m1", card("first"), wait=True)
    await updates.update("c1", "conv", "m1", card("first"), wait=True)  # not marked sent: retried
    assert calls == ["first", "first"]
