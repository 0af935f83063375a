"""The ops-log channel: every audited event also appears, as one compact line, in a channel.

`[opslog] conversation = "19:...@thread.tacv2"` in the config file. The audit log is the source:
a scan renders each block of BATCH consecutive audit ids as one message and hands it to the
outbox, keyed by its block, so a block's message is posted once and then updated in place as
the block fills. The content depends only on the audit records, so replicas scanning at once
enqueue the same message (no duplicates), the action itself never waits, and nothing is lost.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from cards.text import escape_markdown, one_line
from teams_bot.automation.errors import ConfigError
from teams_bot.kit import Feature
from teams_bot.outbox import NewDelivery, OutboxStore
from teams_bot.outbox.tables import outbox
from teams_bot.storage.schema import audit_log

if TYPE_CHECKING:
    from pathlib import Path

    from teams_bot.services import Services

BATCH = 20
ORIGIN = "opslog"
_KINDS = ("command", "action", "approval")


def conversation_of(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("opslog", {})
    if not isinstance(table, dict) or set(table) - {"conversation"}:
        raise ConfigError(path, "opslog", "a table with one key: conversation")
    value = table.get("conversation", "")
    if not isinstance(value, str):
        raise ConfigError(path, "opslog.conversation", "must be a conversation id")
    return value


async def post_new_events(services: Services) -> Sequence[object]:
    conversation = conversation_of(services.settings.config_file)
    if not conversation:
        return []
    stored = await services.conversations.get(conversation)
    if stored is None:
        return []  # the bot was never spoken to there: it cannot post yet
    first = await _first_open_block(services, conversation)
    query = (
        select(audit_log)
        .where(audit_log.c.id > first * BATCH, audit_log.c.kind.in_(_KINDS))
        .order_by(audit_log.c.id)
        .limit(BATCH * 10)
    )
    async with services.db.engine.connect() as conn:
        rows = list((await conn.execute(query)).mappings())
    blocks: dict[int, list[str]] = {}
    for row in rows:
        blocks.setdefault((int(row["id"]) - 1) // BATCH, []).append(line(dict(row)))
    store, now = OutboxStore(services.db), datetime.now(UTC)
    for block, lines in sorted(blocks.items()):
        text = "\n".join(lines)
        await store.enqueue(
            NewDelivery(
                conversation,
                stored.tenant_id,
                {"text": text},
                kind="update",
                coalesce_key=f"{ORIGIN}:{block}",
                origin=ORIGIN,
            ),
            now,
        )
    return list(blocks)


async def _first_open_block(services: Services, conversation: str) -> int:
    """The newest block already handed to the outbox (it may still be filling)."""
    query = (
        select(outbox.c.coalesce_key)
        .where(outbox.c.conversation_id == conversation, outbox.c.origin == ORIGIN)
        .order_by(outbox.c.id.desc())
        .limit(1)
    )
    async with services.db.engine.connect() as conn:
        key = (await conn.execute(query)).scalar()
    return int(str(key).split(":")[1]) if key else 0


def line(row: Mapping[str, Any]) -> str:
    """`09:14:03` **Ada Lovelace** command nodes reboot → ok (user text escaped)."""
    who = escape_markdown(one_line(str(row["display_name"] or row["aad_object_id"] or "?")))
    at = row["at"].strftime("%H:%M:%S")
    command = escape_markdown(one_line(str(row["command"])))
    detail = ""
    if row["detail"] and row["outcome"] != "ok":
        detail = " — " + escape_markdown(one_line(str(row["detail"])))[:120]
    return f"{at} **{who}** {row['kind']} {command} → {row['outcome']}{detail}"


feature = Feature(name="opslog", scans=[post_new_events])
