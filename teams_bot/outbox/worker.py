"""The delivery worker: drains the outbox within Teams' limits, on every replica.

Each round it looks at what is due, takes what the pacer allows right now (up to
`max_in_flight` sends at once), claims those rows (another replica may win some) and starts
sending them through `send` without waiting for earlier sends to finish. Outcomes:
2xx sent; 429 waits for Retry-After (and pauses that conversation); 412, 5xx and connection
errors retry with exponential backoff and jitter; past `max_age` a delivery is marked failed
and logged; 403/404 (the bot was removed) disables the conversation's rows and calls
`on_disabled` so the subscription behind it is switched off; other statuses fail at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from teams_bot.outbox.clock import Clock, SystemClock
from teams_bot.outbox.models import Delivery, SendResult
from teams_bot.outbox.pacing import Pacer
from teams_bot.outbox.store import OutboxStore

log = logging.getLogger(__name__)

Send = Callable[[Delivery], Awaitable[SendResult]]
OnDisabled = Callable[[Delivery, SendResult], Awaitable[None]]

RETRYABLE = frozenset({0, 408, 412, 500, 502, 503, 504})
GONE = frozenset({403, 404})
DEFAULT_RETRY_AFTER_S = 1.0


@dataclass(frozen=True)
class WorkerConfig:
    max_age: timedelta = timedelta(hours=1)  # give up (failed) after this long
    lease: timedelta = timedelta(seconds=60)  # a claim older than this is retried elsewhere
    batch: int = 64  # rows looked at per round
    max_in_flight: int = 16  # sends at once
    poll_seconds: float = 1.0  # when idle (enqueues in this process wake it at once)
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0


class DeliveryWorker:
    def __init__(
        self,
        store: OutboxStore,
        send: Send,
        *,
        pacer: Pacer | None = None,
        clock: Clock | None = None,
        config: WorkerConfig | None = None,
        on_disabled: OnDisabled | None = None,
        worker_id: str | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._send = send
        self._pacer = pacer or Pacer()
        self._clock = clock or SystemClock()
        self._config = config or WorkerConfig()
        self._on_disabled = on_disabled
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:12]}"
        self._jitter = jitter
        self._rng = random.Random(self.worker_id)  # noqa: S311 (spreading load, not secrets)
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Future[None]] = set()
        self._stopped = False

    def wake(self) -> None:
        """Something was enqueued in this process: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stop() (or cancellation); errors are logged and the loop goes on."""
        await self.seed()
        while not self._stopped:
            try:
                wait = await self.step()
            except Exception:
                log.exception("outbox delivery round failed; retrying")
                wait = self._config.poll_seconds
            if wait > 0 and not self._stopped:
                self._wake.clear()
                await self._clock.wait(self._wake, wait)
        await self.settle()

    async def seed(self) -> None:
        """Count what was sent in the last hour (before a restart, or by other replicas)
        against the limits, so a new worker does not burst into 429s."""
        now, moment = self._clock.now(), self._clock.monotonic()
        try:
            recent = await self._store.recent_sends(now - timedelta(hours=1))
        except Exception:
            log.exception("could not read recent sends; starting with empty rate windows")
            return
        for conversation_id, tenant_id, at in recent:
            self._pacer.record(conversation_id, tenant_id, moment - (now - at).total_seconds())

    async def step(self) -> float:
        """One round. Returns how long to wait before the next one is worth doing."""
        room = self._config.max_in_flight - len(self._in_flight)
        if room <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return 0.0
        now, moment = self._clock.now(), self._clock.monotonic()
        due = self._rotated(await self._store.due(now, self._config.batch))
        picked: list[Delivery] = []
        earliest = moment + self._config.poll_seconds
        for delivery in due:
            if len(picked) >= room:
                break
            if self._pacer.try_acquire(delivery.conversation_id, delivery.tenant_id, moment):
                picked.append(delivery)
            else:
                earliest = min(
                    earliest,
                    self._pacer.earliest(delivery.conversation_id, delivery.tenant_id, moment),
                )
        claimed = await self._store.claim(
            [d.id for d in picked], self.worker_id, now, self._config.lease
        )
        taken = {d.id for d in claimed}
        for lost in (d for d in picked if d.id not in taken):  # another replica's now
            self._pacer.release(lost.conversation_id, lost.tenant_id, moment)
        for delivery in claimed:
            task = asyncio.ensure_future(self._deliver(delivery, moment))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
        await asyncio.sleep(0)  # each send starts now (and is counted when it leaves)
        if picked:
            return 0.0
        if not due:
            return await self._idle_wait()
        self._pacer.forget_idle(moment)
        return max(earliest - moment, 0.0)

    async def settle(self) -> None:
        """Wait for every send in flight and its outcome."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox delivery failed unexpectedly", exc_info=task.exception())

    def _rotated(self, due: list[Delivery]) -> list[Delivery]:
        """Start at a random row when there is more than one round's worth, so replicas
        mostly claim different rows instead of racing for the same ones."""
        if len(due) <= self._config.max_in_flight:
            return due
        start = self._rng.randrange(len(due))
        return due[start:] + due[:start]

    async def _idle_wait(self) -> float:
        next_due = await self._store.next_due_at()
        if next_due is None:
            return self._config.poll_seconds
        until = (next_due - self._clock.now()).total_seconds()
        return min(max(until, 0.0), self._config.poll_seconds)

    async def _deliver(self, delivery: Delivery, reserved: float) -> None:
        if self._clock.now() - delivery.enqueued_at > self._config.max_age:
            await self._give_up(delivery, delivery.last_error or "not sent in time")
            return
        self._pacer.restamp(
            delivery.conversation_id, delivery.tenant_id, reserved, self._clock.monotonic()
        )
        try:
            result = await self._send(delivery)
        except (OSError, TimeoutError) as exc:
            result = SendResult(0, error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("sending outbox delivery %s raised", delivery.id)
            result = SendResult(0, error=f"{type(exc).__name__}: {exc}")
        await self._outcome(delivery, result)

    async def _outcome(self, delivery: Delivery, result: SendResult) -> None:
        now = self._clock.now()
        if result.ok:
            await self._store.mark_sent(delivery, result.message_id, now)
        elif result.status == 429:
            wait = result.retry_after if result.retry_after is not None else DEFAULT_RETRY_AFTER_S
            self._pacer.block(delivery.conversation_id, self._clock.monotonic() + wait)
            await self._retry(delivery, wait, _describe(result))
        elif result.status in GONE:
            await self._disable(delivery, result)
        elif result.status in RETRYABLE:
            await self._retry(delivery, self._backoff(delivery.attempts), _describe(result))
        else:
            await self._give_up(delivery, _describe(result))

    async def _retry(self, delivery: Delivery, wait_s: float, error: str) -> None:
        now = self._clock.now()
        at = now + timedelta(seconds=wait_s)
        if at - delivery.enqueued_at > self._config.max_age:
            await self._give_up(delivery, error)
            return
        log.info(
            "outbox delivery %s to %s: %s; retrying in %.1fs",
            delivery.id,
            delivery.conversation_id,
            error,
            wait_s,
        )
        await self._store.retry_at(delivery, at, error, now)

    def _backoff(self, attempts: int) -> float:
        base = self._config.backoff_initial_s * 2 ** max(attempts - 1, 0)
        return float(min(base, self._config.backoff_max_s) * (0.5 + self._jitter()))

    async def _give_up(self, delivery: Delivery, error: str) -> None:
        log.error(
            "outbox delivery %s to %s failed after %d attempts (%s): %s",
            delivery.id,
            delivery.conversation_id,
            delivery.attempts,
            delivery.origin or "no origin",
            error,
        )
        await self._store.fail(delivery, error, self._clock.now())

    async def _disable(self, delivery: Delivery, result: SendResult) -> None:
        error = _describe(result)
        count = await self._store.disable_conversation(
            delivery.conversation_id, error, self._clock.now()
        )
        log.warning(
            "the bot can no longer post to %s (%s): %d deliveries disabled (%s)",
            delivery.conversation_id,
            error,
            count,
            delivery.origin or "no origin",
        )
        if self._on_disabled is not None:
            try:
                await self._on_disabled(delivery, result)
            except Exception:
                log.exception("disabling what sent to %s failed", delivery.conversation_id)


def _describe(result: SendResult) -> str:
    what = f"HTTP {result.status}" if result.status else "no answer"
    return f"{what}: {result.error}" if result.error else what
