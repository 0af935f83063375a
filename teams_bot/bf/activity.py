"""Turn a Teams activity into plain values: who, where, and the command text.

Everything here reads the activity defensively: an authenticated activity with an odd shape
(a string where Teams puts an object, a list where it puts a dict) gives empty values, never
an exception.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.schema import Activity, ConversationReference

from teams_bot.commands.context import MentionedUser
from teams_bot.identity import Caller, Where

_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)
# Markup Teams puts into a message's text that is not what the user typed:
# quoted-reply placeholders (`<quoted messageId="..."/>`) and attachment placeholders.
_QUOTED = re.compile(r"<quoted\b[^>]*/>|<quoted\b[^>]*>.*?</quoted>", re.IGNORECASE | re.DOTALL)
_ATTACHMENT = re.compile(r"<attachment\b[^>]*>(?:\s*</attachment>)?", re.IGNORECASE)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    """A scalar id or name as a string; anything else (lists, dicts, None) is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _channel_data(activity: Activity) -> dict[str, Any]:
    return _dict(activity.channel_data)


def _conversation_raw(activity: Activity, key: str) -> str:
    """A conversation field botbuilder does not map under Teams' key (e.g. `tenantId`)."""
    conv = activity.conversation
    extra = getattr(conv, "additional_properties", None) if conv is not None else None
    return _text(_dict(extra).get(key))


def tenant_of(activity: Activity) -> str:
    """The tenant, from every place Teams puts it.

    `channelData.tenant.id` first, then `conversation.tenantId` (botbuilder 4.17 maps its
    `tenant_id` to the key `tenantID`, so Teams' `tenantId` arrives as an extra property).
    """
    tenant = _text(_dict(_channel_data(activity).get("tenant")).get("id"))
    if tenant:
        return tenant
    conv = activity.conversation
    return _conversation_raw(activity, "tenantId") or _text(getattr(conv, "tenant_id", None))


def caller_of(activity: Activity) -> Caller:
    sender = activity.from_property
    return Caller(
        aad_object_id=_text(getattr(sender, "aad_object_id", None)),
        tenant_id=tenant_of(activity),
        display_name=_text(getattr(sender, "name", None)),
        teams_id=_text(getattr(sender, "id", None)),
    )


def _channel_id(activity: Activity, data: dict[str, Any], conversation_type: str) -> str:
    """The channel: channelData.channel; in a channel conversation its id without the
    `;messageid=` thread suffix; else the install's selected channel or teamsChannelId."""
    found = _text(_dict(data.get("channel")).get("id"))
    conv = activity.conversation
    if not found and conversation_type == "channel" and conv is not None:
        found = _text(conv.id).split(";", 1)[0]
    selected = _dict(_dict(data.get("settings")).get("selectedChannel"))
    return found or _text(selected.get("id")) or _text(data.get("teamsChannelId"))


def where_of(activity: Activity) -> Where:
    data = _channel_data(activity)
    conv = activity.conversation
    kind = _text(getattr(conv, "conversation_type", None)) or "personal"
    return Where(
        conversation_id=_text(getattr(conv, "id", None)),
        conversation_type=kind,
        tenant_id=tenant_of(activity),
        team_id=_text(_dict(data.get("team")).get("id")) or _text(data.get("teamsTeamId")),
        channel_id=_channel_id(activity, data, kind),
        service_url=_text(activity.service_url),
    )


def is_from_bot(activity: Activity) -> bool:
    sender = activity.from_property
    if sender is None:
        return False
    return getattr(sender, "role", None) == "bot" or _text(sender.id).startswith("28:")


def _entities(activity: Activity, kind: str) -> list[dict[str, Any]]:
    """The activity's entities of one type, as their raw properties."""
    found = []
    for entity in activity.entities or []:
        if getattr(entity, "type", None) == kind:
            found.append(_dict(getattr(entity, "additional_properties", None)))
    return found


def _strip_markup(activity: Activity, text: str) -> str:
    """Remove quoted-reply and attachment placeholders: they are not the user's command."""
    for quoted in _entities(activity, "quotedReply"):
        message_id = _text(_dict(quoted.get("quotedReply")).get("messageId"))
        if message_id:
            text = text.replace(f'<quoted messageId="{html.escape(message_id)}"/>', " ")
            text = text.replace(f'<quoted messageId="{message_id}"/>', " ")
    text = _QUOTED.sub(" ", text)
    return _ATTACHMENT.sub(" ", text)


def command_text(activity: Activity) -> tuple[str, dict[str, MentionedUser]]:
    """The text with the bot's own mention removed and other mentions kept as `@Name` tokens.

    Mentions are found through the activity's mention entities, never by guessing at names;
    quoted replies and other placeholders Teams adds are removed.
    """
    text = _strip_markup(activity, _text(activity.text))
    bot_id = activity.recipient.id if activity.recipient else None
    mentions: dict[str, MentionedUser] = {}
    for props in _entities(activity, "mention"):
        mentioned = _dict(props.get("mentioned"))
        tag = _text(props.get("text"))
        if not mentioned or not tag or tag not in text:
            continue
        if mentioned.get("id") == bot_id:
            text = text.replace(tag, " ", 1)
            continue
        name = _AT_TAG.sub("", tag).strip()
        token = f"@{name}"
        mentions[token] = MentionedUser(
            name=name,
            aad_object_id=_text(mentioned.get("aadObjectId")),
            teams_id=_text(mentioned.get("id")),
        )
        text = text.replace(tag, f'"{token}"' if " " in token else token, 1)
    text = html.unescape(text).replace("\u00a0", " ").strip()
    return text.removeprefix("/"), mentions


def reference_dict(activity: Activity) -> dict[str, Any]:
    """The conversation reference, as a JSON-ready dict, for proactive messages later.

    The tenant is kept under Teams' own key (`conversation.tenantId`), which botbuilder's
    serializer would otherwise drop.
    """
    from botbuilder.core import TurnContext

    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    serialized: dict[str, Any] = reference.serialize()
    tenant = tenant_of(activity)
    conversation = serialized.get("conversation")
    if tenant and isinstance(conversation, dict):
        conversation["tenantId"] = tenant
    return serialized
