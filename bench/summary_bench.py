"""Benchmark: lost-summary (附件6) over a whole organization tree of 1,000,000 fictional members.

    .venv/bin/python bench/summary_bench.py [--members 1000000] [--lost 0.05] [--keep FILE]

Builds (once, or reuses --keep FILE) a tree 组织部门 → 10 基层党委 → 1,000 branches with about 5 % of the
members out of contact for six months or more, most of them with a case (outcomes of every kind). Then,
in this process, times:
  - lost-summary for the whole tree: the query, the sums per row and per branch, every identity check
    (bot.forms.summary.build), and the whole export (the engine's build + the xlsx, four sheets);
  - a bare SQL aggregate of the same counts (one hand-written GROUP BY over members ⋈ latest case, with the
    dates pasted as literals), run on a plain sqlite3 connection, and the builder's own SQL run raw there;
and prints the times and their ratio. Goal (issue 11): ≤ 2 s and ≤ 2× the bare query (floor 10 s).
A benchmark, not a test: nothing here asserts a time. All data is made up.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FrozenClock  # noqa: E402
from bot.domain.summary_rules import BucketEdges  # noqa: E402
from bot.storage import Database  # noqa: E402

AS_OF = date(2026, 11, 23)
OCCUPATIONS = ("soe_laid_off", "private_left", "rural_migrant", "retired_public", "graduate",
               "separated_household", "talent_centre", "other", None)
EDUCATION = ("primary", "junior", "senior", "vocational", "college", "bachelor", "postgraduate", None)
POSTS = (None,) * 20 + ("secretary", "deputy_secretary", "committee")
REASONS = ("migrant_work", "unit_restructured", "graduate_unknown", "work_unit_changed", "abroad",
           "residence_changed", "other", None)
LOST_OUTCOMES = (("decided", "removed_lapsed"), ("decided", "suspended_unreachable"), ("decided", "expelled"),
                 ("searching", None), ("proposed", "removed_lapsed"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


def _record(rng: random.Random, branch: int, i: int, born: date, probationary: bool, confirmed: date | None) -> str:
    return json.dumps({
        "branch_id": branch, "name": rng.choice(SURNAMES) + "X" + str(i % 97), "gender": rng.choice(("male", "female")),
        "ethnicity": "汉族" if rng.random() < 0.92 else "回族", "native_place": "浙江杭州", "birth_date": born.isoformat(),
        "id_number": None, "mobile": None, "other_contacts": None, "household_register": "浙江省杭州市某区某街道",
        "residence": "浙江省杭州市某区某路1号", "marital_status": "married", "graduated_from": "某大学",
        "education": rng.choice(EDUCATION), "degree": None, "work_started_on": None, "work_unit": "创意园某公司",
        "unit_category": "private", "occupation": rng.choice(OCCUPATIONS), "joined_on": None, "joined_at_org": None,
        "confirmed_on": confirmed.isoformat() if confirmed else None, "entered_branch_on": None,
        "party_post": rng.choice(POSTS), "monthly_dues": "10.00",
        "member_type": "probationary" if probationary else "full", "hardship": False, "retired": False,
        "reported_community": None, "special_statuses": [], "flow": None, "remarks": None,
    }, ensure_ascii=False)


def populate(path: Path, members: int, lost_share: float, seed: int = 2016) -> None:
    """Write the fictional tree with the real migrations (Database.open), then bulk rows with sqlite3."""
    async def init() -> None:
        db = Database(path, b"bench-key", FrozenClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
        await db.open()
        await db.close()
    asyncio.run(init())
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("INSERT INTO orgs (id, name, level, category) VALUES (1, '某市委组织部', 'org_department', 'other')")
    committees = [(c, f"第{c}基层党委", "primary_committee", "other", 1) for c in range(2, 12)]
    branches = [(b, f"第{b}党支部", "branch", "other", 2 + (b - 12) % 10) for b in range(12, 1012)]
    conn.executemany("INSERT INTO orgs (id, name, level, category, parent_id) VALUES (?,?,?,?,?)",
                     committees + branches)
    now = "2026-11-23T02:00:00Z"
    rows, cases = [], []
    for i in range(1, members + 1):
        branch = 12 + (i - 1) % 1000
        born = date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 58))
        probationary = rng.random() < 0.04
        confirmed = None if probationary else born + timedelta(days=365 * 20 + rng.randrange(365 * 18))
        confirmed = min(confirmed, AS_OF - timedelta(days=30)) if confirmed else None
        lost = rng.random() < lost_share
        last = AS_OF - timedelta(days=rng.randrange(190, 365 * 14) if lost else rng.randrange(0, 150))
        rows.append((i, branch, f"X{i}", None, None, "probationary" if probationary else "full",
                     born.isoformat(), _record(rng, branch, i, born, probationary, confirmed), 1, 0, None,
                     last.isoformat(), last.isoformat(), last.isoformat(), now, now))
        if lost and rng.random() < 0.7:
            state, outcome = rng.choice(LOST_OUTCOMES)
            cases.append((i, "2026-06-01", rng.choice(REASONS), state, outcome,
                          "2026-10-01" if state == "decided" else None, now))
        if len(rows) >= 50_000:
            _flush(conn, rows)
    _flush(conn, rows)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(cases)")}
    for name in ("decided_on", "outcome_variant", "findings"):  # issue 10's migration 0004 until it is merged
        if name not in cols:
            conn.execute(f"ALTER TABLE cases ADD COLUMN {name} TEXT")
    conn.executemany("INSERT INTO cases (member_id, opened_on, reason, state, outcome, decided_on, created_at)"
                     " VALUES (?,?,?,?,?,?,?)", cases)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _flush(conn: sqlite3.Connection, rows: list) -> None:
    conn.executemany(
        "INSERT INTO members (id, branch_id, name, id_number, mobile, member_type, birth_date, record, active, is_flow,"
        " officer_id, last_contact_on, last_meeting_on, last_dues_on, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    rows.clear()


def bare_query(edges: BucketEdges) -> str:
    """The same counts, written by hand: no subtree CTE (every member is in the tree), literals for dates."""
    p = {k: f"'{v}'" for k, v in edges.params().items()}
    lost = f"COALESCE(m.last_contact_on, substr(m.created_at, 1, 10)) < {p['lost_cutoff']}"
    return f"""
    SELECT COALESCE(m.rec_occupation, 'other'), COUNT(*), SUM(m.member_type = 'probationary'),
      SUM({lost}), SUM({lost} AND m.member_type = 'probationary'), SUM({lost} AND m.rec_gender = 'female'),
      SUM({lost} AND m.rec_ethnicity NOT IN ('汉族', '汉')),
      SUM({lost} AND m.birth_date > {p['y36']}), SUM({lost} AND m.birth_date <= {p['y36']} AND m.birth_date > {p['y46']}),
      SUM({lost} AND m.birth_date <= {p['y46']} AND m.birth_date > {p['y61']}), SUM({lost} AND m.birth_date <= {p['y61']}),
      SUM({lost} AND (m.member_type = 'probationary' OR m.rec_confirmed_on > {p['y1']})),
      SUM({lost} AND m.rec_confirmed_on <= {p['y1']} AND m.rec_confirmed_on > {p['y6']}),
      SUM({lost} AND m.rec_confirmed_on <= {p['y6']} AND m.rec_confirmed_on > {p['y11']}),
      SUM({lost} AND m.rec_confirmed_on <= {p['y11']} AND m.rec_confirmed_on > {p['y21']}),
      SUM({lost} AND m.rec_confirmed_on <= {p['y21']}),
      SUM({lost} AND m.rec_education IN ('primary', 'junior')), SUM({lost} AND m.rec_education IN ('senior', 'vocational')),
      SUM({lost} AND m.rec_education IN ('college', 'bachelor', 'postgraduate')),
      SUM({lost} AND m.rec_party_post = 'secretary'),
      SUM({lost} AND m.rec_party_post IN ('deputy_secretary', 'standing', 'committee', 'alternate')),
      SUM({lost} AND m.last_meeting_on > {p['y1']}), SUM({lost} AND m.last_meeting_on <= {p['y1']} AND m.last_meeting_on > {p['y6']}),
      SUM({lost} AND m.last_meeting_on <= {p['y6']} AND m.last_meeting_on > {p['y11']}), SUM({lost} AND m.last_meeting_on <= {p['y11']}),
      SUM({lost} AND c.reason = 'migrant_work'), SUM({lost} AND c.reason = 'unit_restructured'),
      SUM({lost} AND c.reason = 'graduate_unknown'), SUM({lost} AND c.reason = 'work_unit_changed'),
      SUM({lost} AND c.reason = 'abroad'), SUM({lost} AND c.reason = 'residence_changed'),
      SUM({lost} AND (c.reason IS NULL OR c.reason = 'other'))
    FROM members m LEFT JOIN cases c ON c.id = (SELECT MAX(id) FROM cases WHERE member_id = m.id)
    GROUP BY 1"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--lost", type=float, default=0.05)
    ap.add_argument("--keep", help="database file to build once and reuse")
    args = ap.parse_args()
    path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "summary_bench.db"
    if not path.exists():
        t0 = time.perf_counter()
        populate(path, args.members, args.lost)
        print(f"built {args.members} members in {time.perf_counter() - t0:.1f} s ({path})")

    from bot.forms import queries, registry
    from bot.forms.output import write_form
    from bot.forms.registry import FormRequest
    from bot.forms.summary.build import build

    async def run() -> tuple[float, float, int, int]:
        db = Database(path, b"bench-key", FrozenClock(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
        await db.open()
        try:
            t0 = time.perf_counter()
            with queries.Reader(path) as reader:
                table = build(reader, "lost-summary", 1, AS_OF)
            t1 = time.perf_counter()
            with queries.Reader(path) as reader:     # what `export lost-summary` does: build again, and write
                req = FormRequest(form="lost-summary", org_id=1, as_of=AS_OF)
                doc = registry.get("lost-summary").build(reader, req, queries.scope(reader, 1))
                write_form(doc, "xlsx", io.BytesIO())
            t2 = time.perf_counter()
            return t1 - t0, t2 - t0, table.total["人数"], table.total["排查前在册党员人数"]  # export = t2 - t1
        finally:
            await db.close()

    build_s, export_s, lost, registered = asyncio.run(run())
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    bare = conn.execute(bare_query(BucketEdges.on(AS_OF))).fetchall()
    bare_s = time.perf_counter() - t0
    # The builder's own two statements (counts and notes) on a plain connection: what the Python around
    # them (aiosqlite, sums per row and branch, checks) adds.
    from bot.forms.summary import lost_summary
    form, params = lost_summary.form()
    params.update(BucketEdges.on(AS_OF).params(), org=1)
    t0 = time.perf_counter()
    conn.execute(lost_summary.query(form), params).fetchall()
    conn.execute(lost_summary.notes_query(), params).fetchall()
    raw_s = time.perf_counter() - t0
    conn.close()
    bare_lost, bare_registered = sum(r[3] for r in bare), sum(r[1] for r in bare)
    same = "same counts" if (bare_lost, bare_registered) == (lost, registered) else \
        f"COUNTS DIFFER: bare {bare_registered}/{bare_lost}"
    print(f"lost-summary, whole tree of {registered} members ({lost} unreachable), {os.cpu_count()} cpus:")
    print(f"  build + checks:          {build_s:6.2f} s")
    print(f"  export (build + xlsx):   {export_s - build_s:6.2f} s")
    print(f"  bare SQL aggregate:      {bare_s:6.2f} s   ({same})")
    print(f"  the builder's SQL, raw:  {raw_s:6.2f} s")
    print(f"  ratio (build / bare):    {build_s / bare_s:6.2f}×   (export / bare: {(export_s - build_s) / bare_s:.2f}×,"
          f" build / its raw SQL: {build_s / raw_s:.2f}×)")


if __name__ == "__main__":
    main()
