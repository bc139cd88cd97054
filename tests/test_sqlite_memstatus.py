"""SQLite's memory statistics are off once the bot opens its database, and never switched under an
open connection (bot.storage.sqlite_memstatus). Each case runs in a fresh interpreter: the setting is
per process, and this one has opened connections already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="switched on Linux only")


def _run(tmp_path: Path, before: str) -> dict:
    script = textwrap.dedent(f"""
        import asyncio, json, sqlite3
        from bot.clock import FrozenClock
        from bot.storage import Database
        from bot.storage.sqlite_memstatus import memory_used
        from datetime import datetime, timezone

        async def main():
            {before}
            at_start = memory_used()
            db = Database(__import__("pathlib").Path({str(tmp_path / "b.db")!r}), b"k" * 32,
                          FrozenClock(datetime(2026, 11, 23, 2, tzinfo=timezone.utc)))
            await db.open()
            try:
                rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
                used = memory_used()         # three connections open, their caches filled
                earlier = other.execute("SELECT 41 + 1").fetchone()[0] if other else None
            finally:
                await db.close()
            print(json.dumps({{"tables": len(rows), "at_start": at_start, "used": used, "earlier": earlier}}))

        asyncio.run(main())
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_statistics_are_off_once_the_database_is_open(tmp_path):
    got = _run(tmp_path, "other = None")
    assert got["tables"] > 10
    assert got["used"] == 0            # with the statistics on, open connections count their memory


def test_a_connection_opened_before_keeps_the_statistics_on_and_keeps_working(tmp_path):
    got = _run(tmp_path, "other = sqlite3.connect(':memory:'); other.execute('CREATE TABLE t (x)')")
    assert got["tables"] > 10
    # Still counting: the database's three connections added to what the first one holds (switched
    # off, the figure would stay where it was).
    assert got["used"] > got["at_start"] > 0
    assert got["earlier"] == 42
