"""How the core speaks to Teams on its own initiative: post a new message, update a posted card.

The Bot Framework layer (`teams_bot.bf.messenger`) implements this; the core only sees the protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from teams_bot.commands.context import Reply
from teams_bot.outbox.models import Delivery, SendResult


class Messenger(Protocol):
    async def post(self, conversation_id: str, reply: Reply) -> str:
        """Post `reply` as a new message in a known conversation; its Teams message id."""
        ...

    async def update_card(
        self, conversation_id: str, message_id: str, card: dict[str, Any]
    ) -> None:
        """Replace the card in message `message_id` for everybody in the conversation."""
        ...

    async def member_aad_id(self, conversation_id: str, teams_id: str) -> str:
        """The Azure AD object id of a member of the conversation ("" when Teams does not say)."""
        ...

    def outbox_send(self) -> Callable[[Delivery], Awaitable[SendResult]]:
        """How the outbox's delivery worker sends one delivery (no retries of its own)."""
        ...
