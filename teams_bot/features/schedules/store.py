"""Claim a schedule tick once across replicas (INSERT ... ON CONFLICT DO NOTHING) and record
how its run went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from teams_bot.features.schedules.tables import schedule_runs
from teams_bot.storage.db import Database
from teams_bot.storage.upsert import insert_for


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, schedule: str, tick_at: datetime, now: datetime, ref: str) -> bool:
        """True for exactly one caller per (schedule, tick), whichever replica asks first."""
        stmt = (
            insert_for(self.db.dialect, schedule_runs)
            .values(
                schedule=schedule,
                tick_at=tick_at,
                claimed_at=now,
                outcome="running",
                detail="",
                correlation_id=ref,
            )
            .on_conflict_do_nothing(index_elements=["schedule", "tick_at"])
        )
        async with self.db.engine.begin() as conn:
            result = await conn.execute(stmt)
        return bool(result.rowcount == 1)

    async def finish(self, schedule: str, tick_at: datetime, outcome: str, detail: str) -> None:
        stmt = (
            update(schedule_runs)
            .where(schedule_runs.c.schedule == schedule, schedule_runs.c.tick_at == tick_at)
            .values(outcome=outcome, detail=detail[:500])
        )
        async with self.db.engine.begin() as conn:
            await conn.execute(stmt)

    async def last_runs(self) -> dict[str, tuple[datetime, str]]:
        """Schedule name -> (its latest claimed tick, that run's outcome)."""
        latest = (
            select(schedule_runs.c.schedule, func.max(schedule_runs.c.tick_at).label("tick_at"))
            .group_by(schedule_runs.c.schedule)
            .subquery()
        )
        stmt = select(
            schedule_runs.c.schedule, schedule_runs.c.tick_at, schedule_runs.c.outcome
        ).join(
            latest,
            (latest.c.schedule == schedule_runs.c.schedule)
            & (latest.c.tick_at == schedule_runs.c.tick_at),
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {row.schedule: (row.tick_at, row.outcome) for row in rows}

    async def count(self, schedule: str) -> int:
        stmt = select(func.count()).where(schedule_runs.c.schedule == schedule)
        async with self.db.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())
