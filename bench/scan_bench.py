"""Benchmark: the daily contact scan over 10,000, 100,000 and 1,000,000 members.

    .venv/bin/python bench/scan_bench.py                       # all three sizes
    .venv/bin/python bench/scan_bench.py --sizes 10000 --keep /tmp/scan-bench

Each database is built with bulk SQL (a recursive CTE, not the per-row repositories) with a spread of
last-contact dates (default "register": 85 % within a month, 10 % one to six months, 4 % six months to
five years, 1 % none on record; "--spread stress": 70 / 12 / 13 / 5 %), 3 % flow members with an officer, one secretary per branch of 500, 30 %
of members bound to Telegram (1 % of them blocked), transfers without 回执, open cases with and
without search attempts, and campaign deadlines.

Then, in a fresh process per size (so the peak RSS is the scan's, not the builder's), it times:
  first scan — the backlog: every member past a threshold is flagged at once (cases opened,
               reminders queued, all audited);
  daily scan — the next day: only that day's crossings.
One line per size and run: members, seconds, peak RSS, flags, messages queued.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import FrozenClock  # noqa: E402
from bot.services.context import Services  # noqa: E402
from bot.services.scan.run import run_scan  # noqa: E402
from bot.storage import Database  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
KEY = b"bench-audit-key-not-secret"
BRANCH_SIZE = 500
# Per mille thresholds of the member's profile r (0..999): r < a: last contact within a month;
# a..b: one to six months; b..c: six months to five years; c..d: none on record, entered two years ago
# (counts as 失联 at once); d..999: none on record, entered ten days ago (not flagged yet).
SPREADS = {
    # A branch that holds its monthly 组织生活 and collects dues monthly: most members within a month,
    # one in ten drifting, a few percent lost or never recorded.
    "register": (850, 950, 990, 995),
    # A stress case: 12 % drifting and 15.5 % lost at once (a register imported after years of neglect).
    "stress": (700, 820, 950, 975),
}


def build(path: Path, n: int, spread: str = "register") -> None:
    """A database of n members, built in SQL."""
    if path.exists():
        path.unlink()

    async def migrate() -> None:
        db = Database(path, KEY, FrozenClock(NOW))
        await db.open()
        await db.close()

    asyncio.run(migrate())
    today = NOW.date()
    branches = max(1, n // BRANCH_SIZE)
    created_old = (NOW - timedelta(days=730)).astimezone(ZoneInfo("UTC")).isoformat()
    created_new = (NOW - timedelta(days=10)).astimezone(ZoneInfo("UTC")).isoformat()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    con.execute("INSERT INTO orgs (id, name, level, category, parent_id) VALUES (1, '街道党工委', 'primary_committee',"
                " 'community', NULL)")
    con.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)"
        " INSERT INTO orgs (id, name, level, category, parent_id) SELECT i + 1, '第' || i || '党支部', 'branch',"
        " 'community', 1 FROM s", (branches,))
    # r: the member's "profile" in 0..999 (a multiplicative hash of the id: reproducible) decides the
    # spread of last-contact dates; f < 3 makes a flow member.
    con.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n),"
        " p AS MATERIALIZED (SELECT i, ((i * 2654435761) % 4294967296) % 1000 AS r,"
        "  ((i * 40503) % 65521) % 100 AS f FROM s)"
        " INSERT INTO members (id, branch_id, name, member_type, record, is_flow, officer_id, last_contact_on,"
        "  last_meeting_on, created_at, updated_at)"
        " SELECT i, 2 + (i - 1) / :size, '党员' || i, 'full',"
        "  json_object('branch_id', 2 + (i - 1) / :size, 'name', '党员' || i, 'special_statuses', json('[]')),"
        "  CASE WHEN f < 3 THEN 1 ELSE 0 END,"
        "  CASE WHEN f < 3 THEN ((i - 1) / :size) * :size + 1 END,"
        "  CASE WHEN r < :a THEN date(:today, '-' || (r % 32) || ' days')"
        "       WHEN r < :b THEN date(:today, '-' || (32 + r % 152) || ' days')"
        "       WHEN r < :c THEN date(:today, '-' || (190 + (r * 37) % 1600) || ' days') END,"
        "  CASE WHEN r < :c THEN date(:today, '-' || (r % 28) || ' days') END,"
        "  CASE WHEN r >= :d THEN :new ELSE :old END, :old FROM p",
        {"n": n, "size": BRANCH_SIZE, "today": today.isoformat(), "old": created_old, "new": created_new,
         **dict(zip("abcd", SPREADS[spread]))})
    # Telegram users: a secretary per branch (its first member), a committee user, 30 % of members bound.
    con.execute("INSERT INTO users (tg_id, member_id, lang_code, created_at)"
                " SELECT 10000000 + id, (id - 2) * :size + 1, 'zh-hans', :old FROM orgs WHERE level = 'branch'",
                {"size": BRANCH_SIZE, "old": created_old})
    con.execute("INSERT INTO roles (tg_id, role, org_id) SELECT 10000000 + id, 'secretary', id FROM orgs"
                " WHERE level = 'branch'")
    con.execute("INSERT INTO users (tg_id, created_at) VALUES (9000001, ?)", (created_old,))
    con.execute("INSERT INTO roles (tg_id, role, org_id) VALUES (9000001, 'committee', 1)")
    con.execute("INSERT INTO users (tg_id, member_id, lang_code, blocked_at, created_at)"
                " SELECT 100000000 + id, id, CASE WHEN id % 7 = 0 THEN 'en' ELSE 'zh-hans' END,"
                " CASE WHEN id % 100 = 3 THEN :old END, :old FROM members"
                " WHERE id % 10 IN (2, 5, 8) AND (id - 1) % :size != 0", {"size": BRANCH_SIZE, "old": created_old})
    # 0.2 % transfers out, half without 回执; 1 % open cases (half with a search attempt); deadlines.
    con.execute("INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name, backup_phone,"
                " sent_on, receipt_on, created_at) SELECT id, 'permanent', '深圳市某街道党工委', '深圳',"
                " '13900000000', '王XX', '13900000001', date(:today, '-' || (10 + id % 80) || ' days'),"
                " CASE WHEN id % 2 = 0 THEN :today END, :old FROM members WHERE id % 500 = 77",
                {"today": today.isoformat(), "old": created_old})
    con.execute("INSERT INTO cases (member_id, opened_on, state, created_at) SELECT id,"
                " date(:today, '-' || (5 + id % 200) || ' days'), 'searching', :old FROM members"
                " WHERE id % 100 = 41", {"today": today.isoformat(), "old": created_old})
    con.execute("INSERT INTO search_attempts (case_id, member_id, on_date, method, contacted, narrative, result,"
                " recorded_by, created_at) SELECT id, member_id, date(:today, '-' || (id % 30) || ' days'), 'phone',"
                " '办事员陈XX', '电话联系原工作单位', 'not_reached', 'bench', :old FROM cases WHERE id % 2 = 0",
                {"today": today.isoformat(), "old": created_old})
    for i, stage in enumerate(("study_deploy", "central_check", "dispose", "summarize")):
        con.execute("INSERT INTO campaign_deadlines (org_id, stage, title, due_on) VALUES (1, ?, ?, ?)",
                    (stage, f"阶段{i + 1}", (today + timedelta(days=1 + 30 * i)).isoformat()))
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def time_scans(path: Path) -> list[dict]:
    """In this (fresh) process: the first scan, then the next day's."""
    clock = FrozenClock(NOW)
    db = Database(path, KEY, clock)
    await db.open()
    out = []
    try:
        for label in ("first scan", "daily scan"):
            t0 = time.perf_counter()
            report = await run_scan(Services(db, clock))
            seconds = time.perf_counter() - t0
            out.append({"run": label, "seconds": seconds, "rss_mb": peak_rss_mb(),
                        "flags": sum(report.counts.values()), "messages": report.messages,
                        "counts": report.counts})
            clock.advance(days=1)
    finally:
        await db.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--keep", help="build the databases in this folder and keep them")
    parser.add_argument("--spread", choices=sorted(SPREADS), default="register",
                        help="how last-contact dates are spread (default: register; stress: a neglected register)")
    parser.add_argument("--scan-only", help=argparse.SUPPRESS)   # the child process: time one database
    args = parser.parse_args()
    if args.scan_only:
        print(json.dumps(asyncio.run(time_scans(Path(args.scan_only)))))
        return 0
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="scan-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"scan benchmark ({args.spread} spread) on {os.cpu_count()} CPU(s), SQLite {sqlite3.sqlite_version};"
          " limit: 1,000,000 in ≤ 5 s")
    for n in (int(s) for s in args.sizes.split(",")):
        path = folder / f"scan-{n}.db"
        t0 = time.perf_counter()
        build(path, n, args.spread)
        built = time.perf_counter() - t0
        child = subprocess.run([sys.executable, __file__, "--scan-only", str(path)], capture_output=True, text=True,
                               check=False)
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return child.returncode
        for r in json.loads(child.stdout.strip().splitlines()[-1]):
            print(f"{n:>9,} members  {r['run']:<10}  {r['seconds']:6.2f} s  peak RSS {r['rss_mb']:6.1f} MB"
                  f"  flags {r['flags']:>7,}  messages {r['messages']:>6,}  (built in {built:.1f} s)")
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
