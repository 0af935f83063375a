"""Incidents and their timelines in the database (both engines).

Every change writes the incident row and its timeline entry in one transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, select, update
from sqlalchemy.exc import IntegrityError

from teams_bot.features.incidents.tables import incident_events, incidents
from teams_bot.storage.db import Database

# No 0/O, 1/I: ids are read aloud and typed (like approvals' ids).
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ID_LENGTH = 6


def new_incident_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def normalise_id(incident_id: str) -> str:
    return incident_id.strip().upper()


@dataclass(frozen=True)
class Incident:
    id: str
    tenant_id: str
    title: str
    severity: int
    state: str
    commander_name: str
    commander_id: str
    opened_by_id: str
    opened_by_name: str
    conversation_id: str
    message_id: str
    summary: str
    opened_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    at: datetime
    who_id: str
    who_name: str
    what: str


def _incident(row: RowMapping) -> Incident:
    return Incident(**dict(row))


class IncidentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, incident: Incident, event: Event) -> Incident:
        """Store a new incident and its first timeline entry; a new id if its id is taken."""
        for _ in range(4):
            try:
                async with self._db.engine.begin() as conn:
                    await conn.execute(incidents.insert().values(**vars(incident)))
                    row = {"incident_id": incident.id, **vars(event)}
                    await conn.execute(incident_events.insert().values(**row))
                return incident
            except IntegrityError:
                incident = replace(incident, id=new_incident_id())
        raise RuntimeError("no free incident id after four tries")

    async def get(self, tenant_id: str, incident_id: str) -> Incident | None:
        query = select(incidents).where(
            and_(incidents.c.id == normalise_id(incident_id), incidents.c.tenant_id == tenant_id)
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return _incident(row) if row else None

    async def open_ones(self, tenant_id: str) -> list[Incident]:
        """Incidents not resolved yet, the most severe and then the oldest first."""
        query = (
            select(incidents)
            .where(and_(incidents.c.tenant_id == tenant_id, incidents.c.state != "resolved"))
            .order_by(incidents.c.severity, incidents.c.opened_at)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_incident(r) for r in rows]

    async def set_message_id(self, incident_id: str, message_id: str) -> None:
        query = update(incidents).where(incidents.c.id == incident_id)
        async with self._db.engine.begin() as conn:
            await conn.execute(query.values(message_id=message_id))

    async def change(
        self, incident_id: str, event: Event, states: tuple[str, ...] = (), **values: Any
    ) -> bool:
        """Apply `values` to the incident and append `event` to its timeline, atomically.

        With `states`, only while the incident is in one of them (two replicas resolving at
        once: one wins); False when it was not.
        """
        async with self._db.engine.begin() as conn:
            if values:
                query = update(incidents).where(incidents.c.id == incident_id)
                if states:
                    query = query.where(incidents.c.state.in_(states))
                if (await conn.execute(query.values(**values))).rowcount != 1:
                    return False
            row = {"incident_id": incident_id, **vars(event)}
            await conn.execute(incident_events.insert().values(**row))
        return True

    async def timeline(self, incident_id: str) -> list[Event]:
        query = (
            select(incident_events)
            .where(incident_events.c.incident_id == incident_id)
            .order_by(incident_events.c.seq)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [Event(r["at"], r["who_id"], r["who_name"], r["what"]) for r in rows]
