"""Telling one person something in private, when the conversation they acted in is shared.

An Action.Submit refusal in a channel must reach the presser only: the bot opens (or reuses) its
1:1 chat with them. If Teams refuses (the app is not installed for that person), the refusal is
only logged; it is audited either way, and nothing is said to the whole channel.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import ChannelAccount, ConversationParameters

from teams_bot.bf.activity import caller_of, where_of
from teams_bot.bf.replies import to_activity

log = logging.getLogger(__name__)


async def tell_presser(context: TurnContext, text: str) -> None:
    where = where_of(context.activity)
    if where.conversation_type == "personal":
        await context.send_activity(to_activity(text))
        return
    caller = caller_of(context.activity)
    if not caller.teams_id:
        log.warning("a refusal could not be told privately: the presser has no Teams id")
        return
    params = ConversationParameters(
        is_group=False,
        bot=context.activity.recipient,
        members=[ChannelAccount(id=caller.teams_id)],
        tenant_id=where.tenant_id,
        channel_data={"tenant": {"id": where.tenant_id}},
    )

    async def send(private: TurnContext) -> None:
        await private.send_activity(to_activity(text))

    adapter = context.adapter
    claims = context.turn_state.get(adapter.BOT_IDENTITY_KEY)
    audience = context.turn_state.get(adapter.BOT_OAUTH_SCOPE_KEY)
    try:
        await adapter.create_conversation(
            _app_id(claims), send, params, "msteams", context.activity.service_url, audience
        )
    except Exception as exc:
        log.warning("could not tell the presser privately (%s); the refusal is audited", exc)


def _app_id(claims: object) -> str | None:
    from botframework.connector.auth import JwtTokenValidation

    if claims is None:
        return None
    return str(JwtTokenValidation.get_app_id_from_claims(claims.claims) or "") or None  # type: ignore[attr-defined]
