"""Release history and freezes in the database (both engines, safe with several replicas)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, or_, select, update

from teams_bot.features.release.tables import freezes, releases
from teams_bot.storage.db import Database

FINAL = ("succeeded", "failed", "timed_out", "cancelled", "error", "interrupted")


@dataclass(frozen=True)
class Release:
    id: str
    kind: str  # deploy | rollback
    service: str
    environment: str
    version: str
    previous: str
    state: str
    tenant_id: str
    requested_by: str
    requested_by_name: str
    conversation_id: str
    card_id: str
    url: str
    detail: str
    started_at: datetime
    finished_at: datetime | None = None

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Freeze:
    id: str
    tenant_id: str
    environment: str  # "*": every environment
    reason: str
    by_id: str
    by_name: str
    conversation_id: str
    started_at: datetime
    until: datetime | None
    ended_at: datetime | None = None
    ended_by: str = ""

    def holds_for(self, environment: str | None, now: datetime) -> bool:
        if self.ended_at is not None or (self.until is not None and self.until <= now):
            return False
        return self.environment == "*" or (
            environment is not None and self.environment == environment.lower()
        )


def _release(row: RowMapping) -> Release:
    return Release(**dict(row))


def _freeze(row: RowMapping) -> Freeze:
    return Freeze(**dict(row))


class ReleaseStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(self, release: Release) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(releases.insert().values(**vars(release)))

    async def finish(
        self, release_id: str, state: str, url: str, detail: str, at: datetime
    ) -> None:
        """Record the end (only of a release still running: states move forward)."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(releases)
                .where(releases.c.id == release_id, releases.c.state == "running")
                .values(state=state, url=url, detail=detail[:500], finished_at=at)
            )

    async def get(self, release_id: str) -> Release | None:
        return next(iter(await self._select(releases.c.id == release_id)), None)

    async def history(
        self,
        tenant_id: str,
        service: str | None = None,
        environment: str | None = None,
        last: int = 10,
    ) -> list[Release]:
        where = [releases.c.tenant_id == tenant_id]
        if service:
            where.append(releases.c.service == service)
        if environment:
            where.append(releases.c.environment == environment)
        return await self._select(*where, limit=last)

    async def last_good(
        self, tenant_id: str, service: str, environment: str, before: str | None = None
    ) -> Release | None:
        """The newest succeeded release (skipping the ones of version `before`)."""
        where = [
            releases.c.tenant_id == tenant_id,
            releases.c.service == service,
            releases.c.environment == environment,
            releases.c.state == "succeeded",
        ]
        if before:
            where.append(releases.c.version != before)
        return next(iter(await self._select(*where, limit=1)), None)

    async def running(self) -> list[Release]:
        return await self._select(releases.c.state == "running", limit=500)

    async def running_count(self, tenant_id: str) -> int:
        async with self._db.engine.connect() as conn:
            query = select(func.count()).where(
                releases.c.tenant_id == tenant_id, releases.c.state == "running"
            )
            return int((await conn.execute(query)).scalar_one())

    async def mark_interrupted(self, release_id: str, at: datetime) -> None:
        await self.finish(release_id, "interrupted", "", "the bot stopped while this ran", at)

    async def _select(self, *where: Any, limit: int = 50) -> list[Release]:
        query = (
            select(releases)
            .where(and_(*where))
            .order_by(releases.c.started_at.desc(), releases.c.id.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            return [_release(row) for row in (await conn.execute(query)).mappings()]


class FreezeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(self, freeze: Freeze) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(freezes.insert().values(**vars(freeze)))

    async def active(self, tenant_id: str, now: datetime) -> list[Freeze]:
        query = select(freezes).where(
            freezes.c.tenant_id == tenant_id,
            freezes.c.ended_at.is_(None),
            or_(freezes.c.until.is_(None), freezes.c.until > now),
        )
        async with self._db.engine.connect() as conn:
            return [_freeze(row) for row in (await conn.execute(query)).mappings()]

    async def end(
        self, tenant_id: str, environment: str | None, by: str, now: datetime
    ) -> list[Freeze]:
        """End the freezes holding for `environment` (None: all of the tenant's); returns them."""
        ended = [f for f in await self.active(tenant_id, now) if _scope_matches(f, environment)]
        async with self._db.engine.begin() as conn:
            for freeze in ended:
                await conn.execute(
                    update(freezes)
                    .where(freezes.c.id == freeze.id, freezes.c.ended_at.is_(None))
                    .values(ended_at=now, ended_by=by)
                )
        return [replace(f, ended_at=now, ended_by=by) for f in ended]

    async def expire_due(self, now: datetime) -> list[Freeze]:
        """Timed freezes that ran out, each returned to exactly one caller (any replica)."""
        query = select(freezes).where(freezes.c.ended_at.is_(None), freezes.c.until <= now)
        async with self._db.engine.connect() as conn:
            due = [_freeze(row) for row in (await conn.execute(query)).mappings()]
        won: list[Freeze] = []
        for freeze in due:
            async with self._db.engine.begin() as conn:
                result = await conn.execute(
                    update(freezes)
                    .where(freezes.c.id == freeze.id, freezes.c.ended_at.is_(None))
                    .values(ended_at=now, ended_by="(time)")
                )
            if result.rowcount == 1:
                won.append(replace(freeze, ended_at=now, ended_by="(time)"))
        return won


def _scope_matches(freeze: Freeze, environment: str | None) -> bool:
    return environment is None or freeze.environment in ("*", environment.lower())
