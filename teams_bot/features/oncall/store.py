"""Overrides and pages in the database (both engines; an acknowledgement is taken once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import RowMapping, and_, select, update

from teams_bot.features.oncall.config import Person
from teams_bot.features.oncall.tables import oncall_overrides, oncall_pages
from teams_bot.storage.db import Database


@dataclass(frozen=True)
class Override:
    id: str
    tenant_id: str
    team: str
    person: Person
    starts_at: datetime
    ends_at: datetime
    by_name: str
    by_id: str = ""
    conversation_id: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    id: str
    tenant_id: str
    person: Person
    message: str
    by_id: str
    by_name: str
    conversation_id: str
    created_at: datetime
    message_id: str = ""
    acked_by_id: str = ""
    acked_by_name: str = ""
    acked_at: datetime | None = None


def _person(row: RowMapping) -> Person:
    return Person(row["person_name"], row["person_aad"], row["person_teams_id"])


def _override(row: RowMapping) -> Override:
    return Override(
        row["id"],
        row["tenant_id"],
        row["team"],
        _person(row),
        row["starts_at"],
        row["ends_at"],
        row["by_name"],
        row["by_id"],
        row["conversation_id"],
        row["created_at"],
    )


def _page(row: RowMapping) -> Page:
    values = {k: v for k, v in dict(row).items() if not k.startswith("person_")}
    return Page(person=_person(row), **values)


def _person_values(person: Person) -> dict[str, str]:
    return {
        "person_name": person.name,
        "person_aad": person.aad_object_id,
        "person_teams_id": person.teams_id,
    }


class OnCallStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_override(self, override: Override) -> None:
        values = {
            "id": override.id,
            "tenant_id": override.tenant_id,
            "team": override.team,
            "starts_at": override.starts_at,
            "ends_at": override.ends_at,
            "by_id": override.by_id,
            "by_name": override.by_name,
            "conversation_id": override.conversation_id,
            "created_at": override.created_at,
            **_person_values(override.person),
        }
        async with self._db.engine.begin() as conn:
            await conn.execute(oncall_overrides.insert().values(**values))

    async def overrides(self, team: str, after: datetime, tenant_id: str | None) -> list[Override]:
        """Overrides of a team that have not ended at `after`, the newest first."""
        query = select(oncall_overrides).where(
            and_(oncall_overrides.c.team == team, oncall_overrides.c.ends_at > after)
        )
        if tenant_id is not None:
            query = query.where(oncall_overrides.c.tenant_id == tenant_id)
        query = query.order_by(oncall_overrides.c.created_at.desc(), oncall_overrides.c.id)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_override(r) for r in rows]

    async def add_page(self, page: Page) -> None:
        values = {k: v for k, v in vars(page).items() if k != "person"}
        async with self._db.engine.begin() as conn:
            await conn.execute(
                oncall_pages.insert().values(**values, **_person_values(page.person))
            )

    async def page(self, page_id: str) -> Page | None:
        query = select(oncall_pages).where(oncall_pages.c.id == page_id)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return _page(row) if row else None

    async def set_message_id(self, page_id: str, message_id: str) -> None:
        query = update(oncall_pages).where(oncall_pages.c.id == page_id)
        async with self._db.engine.begin() as conn:
            await conn.execute(query.values(message_id=message_id))

    async def acknowledge(self, page_id: str, who_id: str, who: str, at: datetime) -> bool:
        """True when this call acknowledged the page; False when it was acknowledged already."""
        query = (
            update(oncall_pages)
            .where(and_(oncall_pages.c.id == page_id, oncall_pages.c.acked_at.is_(None)))
            .values(acked_by_id=who_id, acked_by_name=who, acked_at=at)
        )
        async with self._db.engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1
