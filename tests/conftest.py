"""Shared fixtures: a real SQLite file per test, a clock that moves only when told."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.storage import Database

AUDIT_KEY = b"test-audit-key-not-secret"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


@pytest.fixture
async def db(tmp_path, clock):
    database = Database(tmp_path / "branch.db", AUDIT_KEY, clock)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def trips(db, monkeypatch):
    """The functions run on the writer's thread, in order (their names): a write's hops (issue 13)."""
    writer = db._writer   # noqa: SLF001 (what is counted is exactly the hops of this connection)
    seen: list[str] = []
    original = writer._execute                                          # noqa: SLF001

    async def counting(fn, *args, **kwargs):
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(fn, *args, **kwargs)

    monkeypatch.setattr(writer, "_execute", counting)
    return seen
