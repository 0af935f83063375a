"""Thread-safe record of the Bot Connector calls a bot makes, plus fault injection."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedCall:
    """One request the bot sent to the connector, and what the simulator answered."""

    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any] | None
    authorization: str | None
    at: float
    status: int = 200

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: float | None


class CallRecorder:
    """Appends happen on the simulator loop; reads may come from any thread or loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[RecordedCall] = []
        self._faults: deque[Fault] = deque()

    def record(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()

    def since(self, index: int) -> list[RecordedCall]:
        with self._lock:
            return self.calls[index:]

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self._faults.extend(Fault(status, retry_after) for _ in range(times))

    def take_fault(self) -> Fault | None:
        if not self._faults:  # lock-free fast path for the common case
            return None
        with self._lock:
            return self._faults.popleft() if self._faults else None

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[RecordedCall]:  # noqa: ASYNC109
        """Wait until at least count calls are recorded; polls so any loop/thread works."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(count, timeout))
            await asyncio.sleep(0.005)
        return self.since(0)

    def wait_for_sync(self, count: int, timeout: float = 5.0) -> list[RecordedCall]:
        """Blocking variant for code that has no event loop."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(count, timeout))
            time.sleep(0.005)
        return self.since(0)

    def _timeout_message(self, count: int, timeout: float) -> str:
        seen = [f"{c.method} {c.path} -> {c.status}" for c in self.since(0)]
        return (
            f"expected at least {count} connector call(s) within {timeout}s, "
            f"got {len(seen)}: {seen}"
        )
