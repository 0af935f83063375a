"""botbuilder Storage in SQL, with eTag optimistic concurrency that holds across replicas.

Semantics follow botbuilder's MemoryStorage: a value is a dict (eTag under "e_tag") or an
object (eTag in its `e_tag` attribute); a missing/None eTag or "*" writes unconditionally;
an empty eTag is an error; a different eTag raises KeyError("Etag conflict...").
Differences, both on the safe side: every write stores a fresh random eTag (MemoryStorage
leaves a brand-new item without one, so its next write would be unconditional), and a
multi-key write is one transaction (all keys or none).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Storage
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from teams_bot.storage import state_codec
from teams_bot.storage.db import Database
from teams_bot.storage.schema import bot_state
from teams_bot.storage.upsert import insert_for, upsert

ETAG = "e_tag"
ANY_ETAG = "*"


def _etag_of(value: object) -> Any:
    if isinstance(value, Mapping):
        return value.get(ETAG)
    return getattr(value, ETAG, None)


def _document(value: object) -> str:
    """The value as JSON text, without its eTag (the eTag lives in its own column)."""
    encoded = state_codec.encode(value)
    if isinstance(encoded, dict):
        target = encoded.get("state", {}) if encoded.get(state_codec.TYPE) == "object" else encoded
        target.pop(ETAG, None)
    return json.dumps(encoded, separators=(",", ":"))


def _with_etag(value: Any, etag: str) -> Any:
    if isinstance(value, dict):
        value[ETAG] = etag
    elif hasattr(value, "__dict__"):
        setattr(value, ETAG, etag)
    return value


class SqlBotStorage(Storage):
    """Dialog, conversation and user state in the bot's database."""

    def __init__(
        self, db: Database, *, modules: tuple[str, ...] = state_codec.DEFAULT_MODULES
    ) -> None:
        super().__init__()
        self._db = db
        self._decoder = state_codec.Decoder(modules)
        self._upsert = upsert(db.dialect, bot_state, "key", ["etag", "value", "updated_at"])
        self._insert_new = insert_for(db.dialect, bot_state).on_conflict_do_nothing(
            index_elements=["key"]
        )

    async def read(self, keys: list[str]) -> dict[str, Any]:
        """The stored items among `keys` (missing keys are left out), eTags filled in."""
        if not keys:
            return {}
        stmt = select(bot_state.c.key, bot_state.c.etag, bot_state.c.value).where(
            bot_state.c.key.in_(list(keys))
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {
            key: _with_etag(state_codec.loads(value, self._decoder), etag)
            for key, etag, value in rows
        }

    async def write(self, changes: dict[str, object]) -> None:
        """Store `changes`; KeyError on an eTag conflict, and then nothing is written."""
        if changes is None:
            raise Exception("Changes are required when writing")
        if not changes:
            return
        async with self._db.engine.begin() as conn:
            for key, value in changes.items():
                await self._write_one(conn, key, value)

    async def delete(self, keys: list[str]) -> None:
        """Remove `keys` unconditionally; missing keys are ignored."""
        keys = list(keys)
        if not keys:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(delete(bot_state).where(bot_state.c.key.in_(keys)))

    async def _write_one(self, conn: AsyncConnection, key: str, value: object) -> None:
        expected = _etag_of(value)
        if expected == "":
            raise Exception("SqlBotStorage.write(): etag missing")
        row: dict[str, Any] = {"key": key, "etag": uuid.uuid4().hex, "value": _document(value)}
        row["updated_at"] = datetime.now(UTC)
        if expected is None or expected == ANY_ETAG:
            await conn.execute(self._upsert, row)
        elif not await self._replace_if_current(conn, row, str(expected)):
            current = await conn.scalar(select(bot_state.c.etag).where(bot_state.c.key == key))
            raise KeyError(f"Etag conflict.\nOriginal: {expected}\r\nCurrent: {current}")

    async def _replace_if_current(
        self, conn: AsyncConnection, row: dict[str, Any], expected: str
    ) -> bool:
        """One atomic conditional statement each: update if the eTag still matches, else
        insert if the key does not exist (as MemoryStorage does); False on a conflict."""
        c = bot_state.c
        stmt = (
            update(bot_state)
            .where(c.key == row["key"], c.etag == expected)
            .values(etag=row["etag"], value=row["value"], updated_at=row["updated_at"])
        )
        if (await conn.execute(stmt)).rowcount == 1:
            return True
        return (await conn.execute(self._insert_new, row)).rowcount == 1
