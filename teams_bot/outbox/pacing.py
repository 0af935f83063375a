"""Keeping within Teams' documented rate limits before Teams has to say 429.

Per bot per conversation: 7 messages in 1 s, 8 in 2 s, 60 in 30 s, 1,800 in an hour; per app
per tenant: 50 requests per second. Posts and updates count alike. Each limit is a sliding
window of send times, kept with a small safety `margin` (network jitter moves arrival times
at Teams a little). `share` divides every limit (rounded down, at least 1) for deployments
where several replicas send into the same conversations and tenant at once.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float


CONVERSATION_LIMITS = (Window(7, 1.0), Window(8, 2.0), Window(60, 30.0), Window(1800, 3600.0))
TENANT_LIMITS = (Window(50, 1.0),)


def _scaled(limits: Sequence[Window], share: float) -> tuple[Window, ...]:
    return tuple(Window(max(1, math.floor(w.count * share)), w.seconds) for w in limits)


class _Windows:
    """Send times of one conversation or tenant, checked against its windows."""

    def __init__(self, limits: tuple[Window, ...], margin: float) -> None:
        self.limits = limits
        self.margin = margin
        self.times: deque[float] = deque()
        self.blocked_until = 0.0
        self._horizon = max(w.seconds for w in limits)

    def earliest(self, now: float) -> float:
        """The earliest moment one more send keeps within every window."""
        at = max(now, self.blocked_until)
        for window in self.limits:
            if len(self.times) >= window.count:
                # the send `count` back must have left the window
                at = max(at, self.times[-window.count] + window.seconds + self.margin)
        return at

    def record(self, at: float) -> None:
        self.times.append(at)
        while self.times and self.times[0] <= at - self._horizon:
            self.times.popleft()

    def discard(self, at: float) -> bool:
        try:
            self.times.remove(at)
        except ValueError:
            return False
        return True

    def restamp(self, old: float, new: float) -> None:
        """Move one send counted at `old` to `new` (when it really went), keeping order."""
        if not self.discard(old):
            return
        index = len(self.times)
        while index and self.times[index - 1] > new:
            index -= 1
        self.times.insert(index, new)

    def idle(self, now: float) -> bool:
        return self.blocked_until <= now and (
            not self.times or self.times[-1] <= now - self._horizon
        )


class Pacer:
    """When a conversation (and its tenant) may be sent to next; record each send."""

    def __init__(
        self,
        share: float = 1.0,
        conversation_limits: Sequence[Window] = CONVERSATION_LIMITS,
        tenant_limits: Sequence[Window] = TENANT_LIMITS,
        margin: float = 0.05,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self._conv_limits = _scaled(conversation_limits, share)
        self._tenant_limits = _scaled(tenant_limits, share)
        self._conversations: dict[str, _Windows] = {}
        self._tenants: dict[str, _Windows] = {}
        self._margin = margin

    def earliest(self, conversation_id: str, tenant_id: str, now: float) -> float:
        conv = self._conversations.get(conversation_id)
        tenant = self._tenants.get(tenant_id)
        return max(
            conv.earliest(now) if conv else now,
            tenant.earliest(now) if tenant else now,
        )

    def try_acquire(self, conversation_id: str, tenant_id: str, now: float) -> bool:
        """Count a send now if every window allows it; False (nothing counted) otherwise."""
        if self.earliest(conversation_id, tenant_id, now) > now:
            return False
        self.record(conversation_id, tenant_id, now)
        return True

    def record(self, conversation_id: str, tenant_id: str, at: float) -> None:
        """Count a send made at `at` (e.g. by this bot before a restart), in time order."""
        self._conv(conversation_id).record(at)
        self._tenant(tenant_id).record(at)

    def restamp(self, conversation_id: str, tenant_id: str, reserved: float, sent: float) -> None:
        """A send acquired at `reserved` left at `sent` (after its claim): count it then."""
        for windows in (self._conversations.get(conversation_id), self._tenants.get(tenant_id)):
            if windows is not None:
                windows.restamp(reserved, sent)

    def release(self, conversation_id: str, tenant_id: str, reserved: float) -> None:
        """A send acquired at `reserved` did not happen (another replica claimed the row)."""
        for windows in (self._conversations.get(conversation_id), self._tenants.get(tenant_id)):
            if windows is not None:
                windows.discard(reserved)

    def block(self, conversation_id: str, until: float) -> None:
        """Teams said 429 with Retry-After: nothing more to that conversation until then."""
        conv = self._conv(conversation_id)
        conv.blocked_until = max(conv.blocked_until, until)

    def forget_idle(self, now: float) -> None:
        """Drop the history of conversations and tenants with nothing left in any window."""
        for table in (self._conversations, self._tenants):
            for key in [k for k, w in table.items() if w.idle(now)]:
                del table[key]

    def _conv(self, conversation_id: str) -> _Windows:
        if conversation_id not in self._conversations:
            self._conversations[conversation_id] = _Windows(self._conv_limits, self._margin)
        return self._conversations[conversation_id]

    def _tenant(self, tenant_id: str) -> _Windows:
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = _Windows(self._tenant_limits, self._margin)
        return self._tenants[tenant_id]
