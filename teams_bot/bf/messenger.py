"""The core's Messenger for Teams: proactive posts and in-place card updates, through the
conversation references the bot stored when it was spoken to."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ConversationReference

from teams_bot.bf.outbound import TeamsOutbox
from teams_bot.bf.replies import card_message, to_activity
from teams_bot.commands.context import Reply
from teams_bot.storage.conversations import ConversationStore

log = logging.getLogger(__name__)


class TeamsMessenger:
    def __init__(self, adapter: Any, conversations: ConversationStore, app_id: str) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._app_id = app_id

    async def update_card(
        self, conversation_id: str, message_id: str, card: dict[str, Any]
    ) -> None:
        reference = await self._reference(conversation_id)
        if reference is None or not message_id:
            log.warning("cannot update message %r: conversation or message id unknown", message_id)
            return

        async def update(context: TurnContext) -> None:
            await context.update_activity(card_message(card, message_id, context.activity))

        await self._adapter.continue_conversation(reference, update, self._app_id)

    async def post(self, conversation_id: str, reply: Reply) -> str:
        reference = await self._reference(conversation_id)
        if reference is None:
            log.warning("cannot post to %s: no conversation reference", conversation_id)
            return ""
        sent: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(to_activity(reply))
            sent.append(response.id if response else "")

        await self._adapter.continue_conversation(reference, send, self._app_id)
        return sent[0] if sent else ""

    def outbox_send(self) -> TeamsOutbox:
        """The outbox worker's send: one connector call a delivery, its status as it came."""
        return TeamsOutbox(self._adapter.sender.session, self._adapter.auth, self._conversations)

    async def member_aad_id(self, conversation_id: str, teams_id: str) -> str:
        reference = await self._reference(conversation_id)
        if reference is None or not teams_id:
            return ""
        found: list[str] = []

        async def look_up(context: TurnContext) -> None:
            context.activity.channel_data = context.activity.channel_data or {}
            try:
                member = await TeamsInfo.get_member(context, teams_id)
            except Exception as exc:  # not a member, or Teams would not say: the name stands
                log.info("member lookup for %s in %s failed: %s", teams_id, conversation_id, exc)
                return
            found.append(str(getattr(member, "aad_object_id", "") or ""))

        await self._adapter.continue_conversation(reference, look_up, self._app_id)
        return found[0] if found else ""

    async def _reference(self, conversation_id: str) -> ConversationReference | None:
        stored = await self._conversations.get(conversation_id)
        return ConversationReference().deserialize(stored.reference) if stored else None
