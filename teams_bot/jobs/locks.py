"""One running job per target (a node, a release, a service in an environment), across replicas.

A lock is a row keyed by the target. Taking it is an INSERT; a lock whose lease ran out (its
process is gone) is taken over with a conditional UPDATE. Both are atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from teams_bot.jobs.tables import job_locks
from teams_bot.leases import lease_from
from teams_bot.storage.db import Database


@dataclass(frozen=True)
class Holder:
    """Who holds a target's lock: "already being done by NAME since TIME"."""

    target: str
    holder: str
    name: str
    since: datetime


class TargetLocks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(
        self, targets: Sequence[str], holder: str, name: str, now: datetime
    ) -> list[Holder]:
        """Take every free target for `holder`; returns the targets others hold (not taken)."""
        busy: list[Holder] = []
        for target in targets:
            other = await self._take(target, holder, name, now)
            if other is not None:
                busy.append(other)
        return busy

    async def release(self, holder: str, targets: Sequence[str] | None = None) -> None:
        """Free what `holder` holds: everything, or just `targets`."""
        query = delete(job_locks).where(job_locks.c.holder == holder)
        if targets is not None:
            query = query.where(job_locks.c.target.in_(list(targets)))
        async with self._db.engine.begin() as conn:
            await conn.execute(query)

    async def renew(self, holder: str, until: datetime) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(job_locks).where(job_locks.c.holder == holder).values(lease_until=until)
            )

    async def _take(self, target: str, holder: str, name: str, now: datetime) -> Holder | None:
        values = {
            "holder": holder,
            "holder_name": name,
            "since": now,
            "lease_until": lease_from(now),
        }
        try:
            async with self._db.engine.begin() as conn:
                await conn.execute(job_locks.insert().values(target=target, **values))
            return None
        except IntegrityError:
            pass
        async with self._db.engine.begin() as conn:
            taken = await conn.execute(
                update(job_locks)
                .where(
                    job_locks.c.target == target,
                    (job_locks.c.lease_until < now) | (job_locks.c.holder == holder),
                )
                .values(**values)
            )
            if taken.rowcount == 1:
                return None
            row = (
                (await conn.execute(select(job_locks).where(job_locks.c.target == target)))
                .mappings()
                .first()
            )
        if row is None:  # released in between: try once more
            return await self._take(target, holder, name, now)
        return Holder(target, row["holder"], row["holder_name"], row["since"])
