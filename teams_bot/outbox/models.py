"""What the outbox holds and what a send answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["post", "update"]
PENDING, SENDING, SENT, FAILED, DISABLED, SUPERSEDED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "disabled",
    "superseded",
)


@dataclass(frozen=True)
class NewDelivery:
    """A message to deliver. Rows with the same `coalesce_key` in one conversation are one
    Teams message: `update` replaces it (or posts it if none exists yet), and pending rows of
    the same key collapse into one whose payload is the newest."""

    conversation_id: str
    tenant_id: str
    payload: dict[str, Any]
    kind: Kind = "post"
    coalesce_key: str = ""
    origin: str = ""  # what asked for it, e.g. "alerts-subscription:K3F2A9"


@dataclass(frozen=True)
class Delivery:
    """A stored delivery. When claimed, `message_id` is the message to update ("" = post)."""

    id: int
    conversation_id: str
    tenant_id: str
    kind: str
    coalesce_key: str
    origin: str
    payload: dict[str, Any]
    message_id: str
    attempts: int
    next_try_at: datetime
    state: str
    enqueued_at: datetime
    updated_at: datetime
    lease_until: datetime | None
    claimed_by: str
    last_error: str

    @property
    def is_update(self) -> bool:
        return bool(self.message_id)


@dataclass(frozen=True)
class SendResult:
    """What the connector answered: HTTP status (0 = no answer: connection error or timeout),
    Retry-After in seconds when given, and the message id of a new post."""

    status: int
    retry_after: float | None = None
    message_id: str = ""
    error: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300
