"""Group commit for SQLite inserts on the hot path (the audit log).

aiosqlite hops to its thread several times per statement; with the SQLAlchemy async layer
on top an insert-and-commit costs about 1 ms of CPU. Here one dedicated thread owns a plain
(sync) connection: callers queue rows, the thread inserts whatever is queued in a single
transaction, commits, and only then resolves each caller's future, so nothing is
acknowledged before it is committed.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Executable

MAX_BATCH = 500


@dataclass
class _Pending:
    stmt: Executable
    row: dict[str, Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; the row is written anyway
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class GroupCommitWriter:
    """Inserts rows from one background thread, committing queued rows together."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    async def insert(self, stmt: Executable, row: dict[str, Any]) -> None:
        """Insert `row` with `stmt`; returns once the row's batch has committed."""
        if self._closed:
            raise RuntimeError("GroupCommitWriter is closed")
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(stmt, row, loop, future))
        await future

    async def close(self) -> None:
        """Flush what is queued, then stop the thread."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-group-commit")
                self._thread.daemon = True
                self._thread.start()

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            if batch:
                self._commit(batch)

    def _next_batch(self) -> list[_Pending] | None:
        """Block for one item, then take whatever else is already queued; None = stop."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(item)
        return batch

    def _commit(self, batch: list[_Pending]) -> None:
        error = self._attempt(batch)
        if error is None or len(batch) == 1:
            _notify(batch, error)
            return
        for item in batch:  # retry one by one so a bad row fails only its own caller
            _notify([item], self._attempt([item]))

    def _attempt(self, batch: list[_Pending]) -> BaseException | None:
        try:
            self._write(batch)
        except Exception as error:
            return error
        return None

    def _write(self, batch: list[_Pending]) -> None:
        with self._engine.begin() as conn:
            for stmt, rows in _group_by_statement(batch):
                conn.execute(stmt, rows)


def _group_by_statement(batch: list[_Pending]) -> list[tuple[Executable, list[dict[str, Any]]]]:
    groups: dict[int, tuple[Executable, list[dict[str, Any]]]] = {}
    for item in batch:
        groups.setdefault(id(item.stmt), (item.stmt, []))[1].append(item.row)
    return list(groups.values())


def _notify(batch: list[_Pending], error: BaseException | None) -> None:
    for item in batch:
        try:
            item.loop.call_soon_threadsafe(_settle, item.future, error)
        except RuntimeError:  # the caller's loop has closed: nobody is waiting any more
            pass
