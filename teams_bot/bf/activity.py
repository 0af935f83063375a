"""Turn a Teams activity into plain values: who, where, and the command text."""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.schema import Activity, ConversationReference

from teams_bot.commands.context import MentionedUser
from teams_bot.identity import Caller, Where

_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)


def _channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def tenant_of(activity: Activity) -> str:
    tenant = _channel_data(activity).get("tenant") or {}
    conv = activity.conversation
    return str(tenant.get("id") or (conv.tenant_id if conv else "") or "")


def caller_of(activity: Activity) -> Caller:
    sender = activity.from_property
    return Caller(
        aad_object_id=str(getattr(sender, "aad_object_id", "") or ""),
        tenant_id=tenant_of(activity),
        display_name=str(getattr(sender, "name", "") or ""),
        teams_id=str(getattr(sender, "id", "") or ""),
    )


def where_of(activity: Activity) -> Where:
    data = _channel_data(activity)
    conv = activity.conversation
    return Where(
        conversation_id=str(conv.id if conv else ""),
        conversation_type=str((conv.conversation_type if conv else "") or "personal"),
        tenant_id=tenant_of(activity),
        team_id=str((data.get("team") or {}).get("id", "")),
        channel_id=str((data.get("channel") or {}).get("id", "")),
        service_url=str(activity.service_url or ""),
    )


def is_from_bot(activity: Activity) -> bool:
    sender = activity.from_property
    if sender is None:
        return False
    return getattr(sender, "role", None) == "bot" or str(sender.id or "").startswith("28:")


def command_text(activity: Activity) -> tuple[str, dict[str, MentionedUser]]:
    """The text with the bot's own mention removed and other mentions kept as `@Name` tokens.

    Mentions are found through the activity's mention entities, never by guessing at names.
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    mentions: dict[str, MentionedUser] = {}
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        if entity.type != "mention" or not isinstance(props.get("mentioned"), dict):
            continue
        tag = str(props.get("text") or "")
        mentioned = props["mentioned"]
        if not tag or tag not in text:
            continue
        if mentioned.get("id") == bot_id:
            text = text.replace(tag, " ", 1)
            continue
        name = _AT_TAG.sub("", tag).strip()
        token = f"@{name}"
        mentions[token] = MentionedUser(
            name=name,
            aad_object_id=str(mentioned.get("aadObjectId") or ""),
            teams_id=str(mentioned.get("id") or ""),
        )
        text = text.replace(tag, f'"{token}"' if " " in token else token, 1)
    text = html.unescape(text).replace("\u00a0", " ").strip()
    return text.removeprefix("/"), mentions


def reference_dict(activity: Activity) -> dict[str, Any]:
    """The conversation reference, as a JSON-ready dict, for proactive messages later."""
    from botbuilder.core import TurnContext

    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    serialized: dict[str, Any] = reference.serialize()
    return serialized
