"""Card button presses in and card updates out, for the Teams handler."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import CardFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference

from teams_bot.actions.router import Press, PressResult
from teams_bot.bf.activity import caller_of, where_of
from teams_bot.logs import correlation_id
from teams_bot.storage.conversations import ConversationStore

log = logging.getLogger(__name__)

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


def press_from(context: TurnContext, token: object, verb: str | None) -> Press:
    activity = context.activity
    return Press(
        token=token,
        verb=verb,
        caller=caller_of(activity),
        where=where_of(activity),
        correlation_id=correlation_id.get(),
        message_id=str(activity.reply_to_id or ""),
    )


def card_message(card: dict[str, Any], message_id: str, reference: Activity) -> Activity:
    """A message activity replacing message `message_id` with `card`."""
    update = Activity(type="message", id=message_id, attachments=[CardFactory.adaptive_card(card)])
    return TurnContext.apply_conversation_reference(
        update, TurnContext.get_conversation_reference(reference)
    )


def invoke_response(result: PressResult) -> dict[str, Any]:
    """Universal Actions answer: the card for the presser, or a short message."""
    if result.card is not None:
        return {"statusCode": 200, "type": CARD_TYPE, "value": result.card}
    return {"statusCode": 200, "type": MESSAGE_TYPE, "value": result.message}


def bad_invoke(message: str) -> dict[str, Any]:
    return {
        "statusCode": 400,
        "type": "application/vnd.microsoft.error",
        "value": {"code": "BadRequest", "message": message},
    }


async def share(context: TurnContext, result: PressResult) -> None:
    """A press that changed the card changes it for everybody in the conversation."""
    message_id = context.activity.reply_to_id
    if result.for_everyone and result.card is not None and message_id:
        await context.update_activity(card_message(result.card, message_id, context.activity))


class CardPublisher:
    """Puts a card's latest state into its Teams message from background work (proactive)."""

    def __init__(self, adapter: Any, conversations: ConversationStore, app_id: str) -> None:
        self._adapter = adapter
        self._conversations = conversations
        self._app_id = app_id

    async def __call__(
        self, conversation_id: str, activity_id: str, content: dict[str, Any]
    ) -> None:
        stored = await self._conversations.get(conversation_id)
        if stored is None or not activity_id:
            log.warning("cannot update message %r: conversation or message id unknown", activity_id)
            return
        reference = ConversationReference().deserialize(stored.reference)

        async def update(context: TurnContext) -> None:
            await context.update_activity(card_message(content, activity_id, context.activity))

        await self._adapter.continue_conversation(reference, update, self._app_id)

    async def say(self, conversation_id: str, reply: Any) -> str:
        """Post `reply` (text or CardReply) as a new message in a known conversation."""
        from teams_bot.bf.handler import to_activity

        stored = await self._conversations.get(conversation_id)
        if stored is None:
            log.warning("cannot post to %s: no conversation reference", conversation_id)
            return ""
        reference = ConversationReference().deserialize(stored.reference)
        sent: list[str] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(to_activity(reply))
            sent.append(response.id if response else "")

        await self._adapter.continue_conversation(reference, send, self._app_id)
        return sent[0] if sent else ""
