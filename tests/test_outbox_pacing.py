"""Pacing and the delivery worker with a fake clock and a recording send (both engines):
Teams' per-conversation and per-tenant limits, 429 Retry-After, backoff, age limit, 403/404."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

import pytest

from teams_bot.outbox import (
    Delivery,
    DeliveryWorker,
    FakeClock,
    NewDelivery,
    OutboxStore,
    Pacer,
    SendResult,
    Window,
    WorkerConfig,
)
from teams_bot.outbox.pacing import CONVERSATION_LIMITS
from teams_bot.storage.db import Database


class RecordingSend:
    """Records (fake time, delivery) and answers from a script (default 201 with an id)."""

    def __init__(self, clock: FakeClock, answer: Callable[[Delivery], SendResult] | None = None):
        self.clock = clock
        self.calls: list[tuple[float, Delivery]] = []
        self.answer = answer

    async def __call__(self, delivery: Delivery) -> SendResult:
        self.calls.append((self.clock.monotonic(), delivery))
        if self.answer is not None:
            return self.answer(delivery)
        return SendResult(201, message_id=f"msg-{delivery.id}")

    def times(self, conversation: str | None = None) -> list[float]:
        return [t for t, d in self.calls if conversation in (None, d.conversation_id)]


def max_in_window(times: list[float], seconds: float) -> int:
    """The most sends inside any window (t - seconds, t]."""
    return max((sum(1 for u in times if t - seconds < u <= t) for t in times), default=0)


async def drain(worker: DeliveryWorker, clock: FakeClock, until: float = 4000.0) -> None:
    while clock.monotonic() < until:
        wait = await worker.step()
        await worker.settle()
        if wait == 0.0:
            continue
        if not await worker._store.due(clock.now() + timedelta(days=1), 1):
            return
        clock.advance(wait)


async def enqueue(store: OutboxStore, clock: FakeClock, n: int, convs: int, tenant: str = "t"):
    for i in range(n):
        item = NewDelivery(f"conv-{i % convs}", tenant, {"i": i})
        await store.enqueue(item, clock.now())


def test_pacer_windows() -> None:
    pacer = Pacer(margin=0.0)
    assert [pacer.try_acquire("c", "t", 0.0) for _ in range(8)] == [True] * 7 + [False]
    assert pacer.earliest("c", "t", 0.0) == 1.0  # 7 in 1 s
    assert pacer.try_acquire("c", "t", 1.0)  # the 8th
    assert pacer.earliest("c", "t", 1.0) == 2.0  # 8 in 2 s
    pacer.block("c", 50.0)
    assert pacer.earliest("c", "t", 3.0) == 50.0
    assert pacer.earliest("other", "t", 3.0) == 3.0


def test_pacer_share_divides_limits() -> None:
    pacer = Pacer(share=0.5, margin=0.0)
    assert [pacer.try_acquire(f"c{i}", "t", 0.0) for i in range(26)].count(True) == 25
    with pytest.raises(ValueError):
        Pacer(share=0)


async def test_worker_keeps_every_conversation_limit(db: Database) -> None:
    clock = FakeClock()
    store, send = OutboxStore(db), RecordingSend(clock)
    await enqueue(store, clock, 130, convs=1)
    await drain(DeliveryWorker(store, send, clock=clock), clock)
    times = send.times("conv-0")
    assert len(times) == 130 and len({d.id for _, d in send.calls}) == 130
    for window in CONVERSATION_LIMITS:
        assert max_in_window(times, window.seconds) <= window.count
    # 60 per 30 s binds: the 130th send cannot come before 2 full windows have passed
    assert 60.0 <= times[-1] <= 64.0


async def test_worker_keeps_the_tenant_limit_and_uses_it(db: Database) -> None:
    clock = FakeClock()
    store, send = OutboxStore(db), RecordingSend(clock)
    await enqueue(store, clock, 400, convs=40)
    config = WorkerConfig(max_in_flight=64, batch=400)
    await drain(DeliveryWorker(store, send, clock=clock, config=config), clock)
    times = send.times()
    assert len(times) == 400
    assert max_in_window(times, 1.0) <= 50
    assert times[-1] <= 400 / 50 * 1.1  # paced, not slowed down: close to 8 s


async def test_429_retry_after_is_honoured_for_that_conversation(db: Database) -> None:
    clock = FakeClock()
    answered: dict[int, int] = defaultdict(int)

    def answer(d: Delivery) -> SendResult:
        answered[d.id] += 1
        if d.conversation_id == "conv-0" and answered[d.id] == 1:
            return SendResult(429, retry_after=7.0)
        return SendResult(201, message_id="m")

    store = OutboxStore(db)
    send = RecordingSend(clock, answer)
    await enqueue(store, clock, 4, convs=2)
    await drain(DeliveryWorker(store, send, clock=clock), clock)
    # both went in the first round (each got a 429), then nothing until Retry-After passed
    assert send.times("conv-0") == [0.0, 0.0, 7.0, 7.0]
    assert max(send.times("conv-1")) < 1.0  # other conversations go on
    assert (await store.counts()) == {"sent": 4}


@pytest.mark.parametrize("status", [0, 412, 502, 504])
async def test_transient_errors_back_off_exponentially(db: Database, status: int) -> None:
    clock = FakeClock()
    store = OutboxStore(db)
    send = RecordingSend(clock, lambda d: SendResult(status, error="boom"))
    await enqueue(store, clock, 1, convs=1)
    config = WorkerConfig(max_age=timedelta(minutes=2), backoff_initial_s=1.0)
    await drain(DeliveryWorker(store, send, clock=clock, config=config, jitter=lambda: 0.5), clock)
    gaps = [b - a for a, b in zip(send.times(), send.times()[1:], strict=False)]
    assert gaps[:5] == pytest.approx([1, 2, 4, 8, 16], abs=0.2)
    [failed] = await store.failed()
    assert failed.state == "failed" and "boom" in failed.last_error
    assert clock.now() - failed.enqueued_at <= timedelta(minutes=2, seconds=2)


async def test_connection_error_raised_by_send_is_retried(db: Database) -> None:
    clock = FakeClock()
    store = OutboxStore(db)
    calls = []

    async def flaky(d: Delivery) -> SendResult:
        calls.append(clock.monotonic())
        if len(calls) == 1:
            raise ConnectionResetError("reset by peer")
        return SendResult(201, message_id="m1")

    await enqueue(store, clock, 1, convs=1)
    await drain(DeliveryWorker(store, flaky, clock=clock, jitter=lambda: 0.5), clock)
    assert len(calls) == 2 and (await store.counts()) == {"sent": 1}


async def test_a_bad_request_fails_at_once_and_is_listed(db: Database) -> None:
    clock = FakeClock()
    store = OutboxStore(db)
    send = RecordingSend(clock, lambda d: SendResult(400, error="card too large"))
    await enqueue(store, clock, 1, convs=1)
    await drain(DeliveryWorker(store, send, clock=clock), clock)
    assert len(send.calls) == 1
    assert [d.last_error for d in await store.failed()] == ["HTTP 400: card too large"]


@pytest.mark.parametrize("status", [403, 404])
async def test_bot_removed_disables_the_conversation_and_calls_back(
    db: Database, status: int
) -> None:
    clock = FakeClock()
    store = OutboxStore(db)
    send = RecordingSend(
        clock, lambda d: SendResult(status) if d.conversation_id == "conv-0" else SendResult(201)
    )
    disabled: list[tuple[str, str, int]] = []

    async def on_disabled(d: Delivery, r: SendResult) -> None:
        disabled.append((d.conversation_id, d.origin, r.status))

    for i in range(6):
        await store.enqueue(
            NewDelivery(f"conv-{i % 2}", "t", {}, origin=f"sub:{i % 2}"), clock.now()
        )
    worker = DeliveryWorker(
        store, send, clock=clock, on_disabled=on_disabled, config=WorkerConfig(max_in_flight=1)
    )
    await drain(worker, clock)
    assert disabled == [("conv-0", "sub:0", status)]
    assert len(send.times("conv-0")) == 1  # the rest of that conversation is not tried
    assert await store.counts() == {"disabled": 3, "sent": 3}


async def test_custom_windows(db: Database) -> None:
    clock = FakeClock()
    store, send = OutboxStore(db), RecordingSend(clock)
    await enqueue(store, clock, 10, convs=1)
    pacer = Pacer(conversation_limits=(Window(2, 10.0),), margin=0.0)
    await drain(DeliveryWorker(store, send, clock=clock, pacer=pacer), clock)
    assert send.times() == pytest.approx([0, 0, 10, 10, 20, 20, 30, 30, 40, 40])
