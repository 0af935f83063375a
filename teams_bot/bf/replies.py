"""Plain replies (markdown text or a card) as Bot Framework message activities."""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity

from teams_bot.commands.context import CardReply, Reply


def to_activity(reply: Reply) -> Activity:
    """A reply as a message activity: markdown text, or an Adaptive Card with a text summary."""
    if isinstance(reply, CardReply):
        activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        activity.summary = reply.summary
        return activity
    activity = MessageFactory.text(reply)
    activity.text_format = "markdown"
    return activity


def card_message(card: dict[str, Any], message_id: str, reference: Activity) -> Activity:
    """A message activity replacing message `message_id` with `card`."""
    update = Activity(type="message", id=message_id, attachments=[CardFactory.adaptive_card(card)])
    return TurnContext.apply_conversation_reference(
        update, TurnContext.get_conversation_reference(reference)
    )
