"""The reads of the scan's later checks, started before the contact crossings are flagged.

Transfers without 回执, idle cases and flow members are read from the register on a connection of
their own while the crossings are written (the writer's thread is busy, the reader's reads the backlog
ahead, and a small server has two CPUs), then written each in its own transaction as before.

A read started inside a write transaction sees the register as that transaction found it (the write
lock is held: nothing else commits). Each check's transaction takes the read only if nothing but this
scan has written since (`Tx.follows`, counting the scan's own transactions), else reads again inside
its transaction. The scan's own writes in between are the crossings (contact levels, cases opened
today, the outbox, the audit): an idle case is one opened `case_idle_days` (≥ 3) ago or more, a
transfer's 回执 is not touched by them, and the flow members raised to 失联 by this run — left out of
the flow reminders when read in the transaction — are left out here by their ids (ScanRun.lost).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from bot.storage.db import fetch_objects

Read = Callable[[Any], Awaitable[list[Any]]]


class _Source:
    """A read-only connection with the `fetchall` the repositories call on a transaction. Its rows come
    as one JSON value (db.fetch_objects): stepping SQLite row by row would take Python's GIL back after
    each row, from the thread composing the crossings' messages meanwhile."""

    def __init__(self, conn: Any):
        self.conn = conn

    async def fetchall(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return await fetch_objects(self.conn, sql, params)


class ReadAhead:
    def __init__(self, run: Any):
        self.run = run
        self._tasks: dict[str, asyncio.Future[list[Any]]] = {}
        self._token: tuple[int, int] | None = None
        self._writes_at_token = 0

    async def start(self, reads: dict[str, Read]) -> None:
        """Open the side connection and start every read inside a write transaction of the run's own."""
        source = _Source(await self.run.db.side_reader())
        async with self.run.tx() as tx:
            for name, read in reads.items():
                self._tasks[name] = asyncio.ensure_future(read(source))
            self._token = await tx.quiet_token()
            self._writes_at_token = self.run.writes

    def ready(self, name: str) -> list[Any] | None:
        """The rows read ahead for `name` if the read has finished (not yet checked against the register:
        take() does that), else None."""
        task = self._tasks.get(name)
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    async def take(self, tx: Any, name: str) -> list[Any] | None:
        """The rows read ahead for `name`, if the register has not changed under them (else None: read
        them in `tx`). Each read is taken once."""
        task = self._tasks.pop(name, None)
        if task is None or self._token is None:
            return None
        between = self.run.writes - self._writes_at_token - 1
        if not await tx.follows(self._token, between):
            await settle(task)
            return None
        return await task

    async def close(self) -> None:
        for task in self._tasks.values():
            await settle(task)
        self._tasks.clear()


async def settle(task: "asyncio.Future[Any]") -> None:
    """Wait for a read that will not be used (its connection stays in order), ignoring its result."""
    try:
        await task
    except Exception:  # noqa: BLE001 (the check reads again in its own transaction)
        pass
