"""Conversation references, kept so the bot can post proactively (alerts, job results)."""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select

from teams_bot.storage.db import Database
from teams_bot.storage.schema import conversations
from teams_bot.storage.upsert import upsert


@dataclass(frozen=True)
class StoredConversation:
    """Where the bot has been talked to, with the botbuilder ConversationReference
    serialised as a plain dict (ConversationReference().serialize())."""

    conversation_id: str
    conversation_type: str
    tenant_id: str
    team_id: str
    channel_id: str
    service_url: str
    reference: dict[str, Any]
    updated_at: datetime  # timezone-aware


_COLUMNS = [c.name for c in conversations.columns]


def _from_row(row: Any) -> StoredConversation:
    return StoredConversation(**dict(row))


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._upsert = upsert(db.dialect, conversations, "conversation_id", _COLUMNS[1:])

    async def save(self, conv: StoredConversation) -> None:
        """Insert or replace the conversation with the same id."""
        async with self._db.engine.begin() as conn:
            await conn.execute(self._upsert, asdict(conv))

    async def forget(self, conversation_id: str = "", team_id: str = "") -> int:
        """Delete a conversation's reference, or every one of a team (uninstalled, removed)."""
        c = conversations.c
        where = c.team_id == team_id if team_id else c.conversation_id == conversation_id
        async with self._db.engine.begin() as conn:
            result = await conn.execute(delete(conversations).where(where))
        return int(result.rowcount or 0)

    async def get(self, conversation_id: str) -> StoredConversation | None:
        rows = await self._select(conversations.c.conversation_id == conversation_id)
        return rows[0] if rows else None

    async def list(
        self, *, tenant_id: str | None = None, team_id: str | None = None
    ) -> list[StoredConversation]:
        """All conversations, optionally of one tenant and/or team, by id."""
        where = []
        if tenant_id is not None:
            where.append(conversations.c.tenant_id == tenant_id)
        if team_id is not None:
            where.append(conversations.c.team_id == team_id)
        return await self._select(*where)

    async def find_channel(self, team_id: str, channel_id: str) -> StoredConversation | None:
        """A conversation in channel `channel_id` of team `team_id`: the channel itself
        (conversation id == channel id) if known, else its most recently used thread."""
        c = conversations.c
        stmt = (
            select(conversations)
            .where(c.team_id == team_id, c.channel_id == channel_id)
            .order_by(case((c.conversation_id == channel_id, 0), else_=1), c.updated_at.desc())
            .limit(1)
        )
        rows = await self._fetch(stmt)
        return rows[0] if rows else None

    async def _select(self, *where: Any) -> builtins.list[StoredConversation]:
        stmt = select(conversations).where(*where).order_by(conversations.c.conversation_id)
        return await self._fetch(stmt)

    async def _fetch(self, stmt: Any) -> builtins.list[StoredConversation]:
        async with self._db.engine.connect() as conn:
            return [_from_row(row) for row in (await conn.execute(stmt)).mappings()]
