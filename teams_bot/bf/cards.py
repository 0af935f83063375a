"""Card button presses in and Universal Actions answers out, for the Teams handler."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from teams_bot.actions.models import Press, PressResult
from teams_bot.bf.activity import caller_of, where_of
from teams_bot.bf.replies import card_message
from teams_bot.logs import correlation_id

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


def press_from(context: TurnContext, data: dict[str, Any], verb: str | None) -> Press:
    activity = context.activity
    return Press(
        token=data.get("actionId"),
        verb=verb,
        caller=caller_of(activity),
        where=where_of(activity),
        correlation_id=correlation_id.get(),
        message_id=str(activity.reply_to_id or ""),
        data=data,
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
