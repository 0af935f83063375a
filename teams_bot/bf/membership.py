"""The bot's place in Teams: one welcome per install (in the scope's own words), and stored
conversation references kept right through install, uninstall, removal and channel deletion."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from botbuilder.core import TurnContext
from sqlalchemy import delete

from teams_bot.bf.activity import where_of
from teams_bot.bf.replies import to_activity
from teams_bot.dedup import first_delivery
from teams_bot.jobs.tables import seen_activities
from teams_bot.services import Services

log = logging.getLogger(__name__)


def _install_key(context: TurnContext) -> str:
    where = where_of(context.activity)
    return f"welcome:{where.team_id or where.conversation_id}"


def welcome_text(bot_name: str, conversation_type: str) -> str:
    if conversation_type == "personal":
        how = "Type a command, for example `help` or `nodes failed`."
    else:
        how = f"Mention me with a command, for example `@{bot_name} help`."
    return f"Hi, I'm **{bot_name}**. {how} Everything you ask me to do is audited."


async def welcome_once(services: Services, context: TurnContext) -> None:
    """Teams announces one install twice (installationUpdate and conversationUpdate): greet once."""
    if not await first_delivery(services.db, _install_key(context), datetime.now(UTC)):
        return
    kind = where_of(context.activity).conversation_type
    await context.send_activity(to_activity(welcome_text(services.settings.bot_name, kind)))


async def forget(services: Services, context: TurnContext) -> None:
    """Uninstalled or removed: drop the references (later posts would get 403/404)."""
    where = where_of(context.activity)
    removed = await services.conversations.forget(where.conversation_id, where.team_id)
    async with services.db.engine.begin() as conn:
        await conn.execute(
            delete(seen_activities).where(seen_activities.c.key == _install_key(context))
        )
    log.info(
        "removed from %s: forgot %d conversation reference(s)",
        where.team_id or where.conversation_id,
        removed,
    )


async def forget_channel(services: Services, channel_id: str) -> None:
    if channel_id:
        await services.conversations.forget(conversation_id=channel_id)
