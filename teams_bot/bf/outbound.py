"""The outbox's send for Teams: one Bot Connector call per delivery, no retries of its own (the
delivery worker paces, backs off and honours Retry-After), the status as it came."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from teams_bot.bf.adapter import wire_format
from teams_bot.bf.auth import GuardedAuthentication
from teams_bot.bf.replies import to_activity
from teams_bot.bf.sender import ConnectorError, ConnectorSender
from teams_bot.commands.context import CardReply
from teams_bot.outbox.models import Delivery, SendResult
from teams_bot.storage.conversations import ConversationStore

CALL_TIMEOUT_S = 15.0


class TeamsOutbox:
    """Posts or updates the card (or text) a delivery carries in its conversation."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        auth: GuardedAuthentication,
        conversations: ConversationStore,
    ) -> None:
        self._sender = ConnectorSender(http, attempts=1)
        self._auth = auth
        self._conversations = conversations

    async def __call__(self, delivery: Delivery) -> SendResult:
        stored = await self._conversations.get(delivery.conversation_id)
        if stored is None:
            return SendResult(404, error="the bot has no reference for this conversation")
        body = _activity(delivery.payload)
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                bearer = await self._bearer()
                if delivery.message_id:
                    await self._sender.update(
                        stored.service_url,
                        stored.conversation_id,
                        delivery.message_id,
                        body,
                        bearer,
                    )
                    return SendResult(200, message_id=delivery.message_id)
                new_id = await self._sender.send(
                    stored.service_url, stored.conversation_id, body, bearer
                )
                return SendResult(201, message_id=new_id)
        except ConnectorError as exc:
            return SendResult(exc.status, exc.retry_after or None, error=str(exc))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendResult(0, error=f"{type(exc).__name__}: {exc}")

    async def _bearer(self) -> Any:
        if not self._auth.app_id:

            async def none() -> None:
                return None

            return none
        credentials = await self._auth.credentials_for(self._auth.app_id, None)
        return credentials.bearer


def _activity(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload with a drawn `card` (and `summary`), or `text`, as a message activity."""
    if "card" in payload:
        reply = CardReply(payload["card"], str(payload.get("summary", "")))
        return wire_format(to_activity(reply))
    return wire_format(to_activity(str(payload.get("text", ""))))
