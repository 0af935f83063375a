"""Coalesced card updates: a card is sent to Teams only when what it shows changed, and at most
once per card every `interval_s` (Teams counts updates against the conversation's limits)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Card = dict[str, Any]
MAX_SLOTS = 1000
Send = Callable[[str, str, Card], Awaitable[None]]  # conversation id, message id, card


@dataclass
class _Slot:
    sent_digest: str = ""
    sent_at: float = float("-inf")
    latest: tuple[str, str, Card] | None = None
    flusher: asyncio.Task[None] | None = None
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


def digest(card: Card) -> str:
    return hashlib.sha256(json.dumps(card, sort_keys=True).encode("utf-8")).hexdigest()


class CardUpdates:
    def __init__(self, send: Send, interval_s: float = 2.0) -> None:
        self._send = send
        self.interval_s = interval_s
        self._slots: dict[str, _Slot] = {}

    def mark_sent(self, key: str, card: Card) -> None:
        """The card was just shown by other means (an invoke answer, an update for everyone)."""
        slot = self._slots.setdefault(key, _Slot())
        slot.sent_digest, slot.sent_at = digest(card), time.monotonic()

    async def update(
        self, key: str, conversation_id: str, message_id: str, card: Card, *, wait: bool = False
    ) -> None:
        """Ask for `card` to be shown in message `message_id`; with `wait`, until it was sent."""
        if not message_id:
            return
        if len(self._slots) > MAX_SLOTS:
            self._prune()
        slot = self._slots.setdefault(key, _Slot())
        slot.latest = (conversation_id, message_id, card)
        waiter: asyncio.Future[None] | None = None
        if wait:
            waiter = asyncio.get_running_loop().create_future()
            slot.waiters.append(waiter)
        if slot.flusher is None or slot.flusher.done():
            slot.flusher = asyncio.ensure_future(self._flush(key, slot))
        if waiter is not None:
            await waiter

    def _prune(self) -> None:
        """Forget cards that have been quiet for a while (their next update is sent at once)."""
        for key, slot in list(self._slots.items()):
            if (slot.flusher is None or slot.flusher.done()) and _idle(slot, self.interval_s):
                del self._slots[key]

    async def _flush(self, key: str, slot: _Slot) -> None:
        try:
            while slot.latest is not None:
                delay = slot.sent_at + self.interval_s - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                latest, slot.latest = slot.latest, None
                if latest is not None:
                    await self._send_if_changed(slot, *latest)
        finally:
            waiters, slot.waiters = slot.waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _send_if_changed(
        self, slot: _Slot, conversation_id: str, message_id: str, card: Card
    ) -> None:
        new = digest(card)
        if new == slot.sent_digest:
            return
        try:
            await self._send(conversation_id, message_id, card)
            slot.sent_digest, slot.sent_at = new, time.monotonic()
        except Exception:
            log.exception("could not update message %s in Teams", message_id)


def _idle(slot: _Slot, interval_s: float) -> bool:
    return time.monotonic() - slot.sent_at > interval_s
