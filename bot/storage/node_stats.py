"""The node at a glance (/stats, `branchbot stats`): counts over an organization subtree, one query each.

Dates come in as parameters (computed by the domain); no SQLite date functions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.storage.db import Database

# What the 失联 clock runs from, as the scan and the registers read it: the last contact, else the day the
# member was entered (bot.domain.registers.ContactHistory.baseline).
BASELINE = "COALESCE(m.last_contact_on, substr(m.created_at, 1, 10))"

_SUB = ("WITH RECURSIVE sub(id) AS (SELECT CAST(:org AS INTEGER) UNION ALL"
        " SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)")


async def contact_counts(db: Database, org_id: int, lost_before: date, out_of_control_before: date) -> dict[str, int]:
    """Active members of the subtree: total, flow members, and by contact level.

    A baseline (last contact, else entry) before `lost_before` is 失联, before `out_of_control_before` 失控
    (the bounds come from `bot.domain.rules.contact_level` through `stats.level_bounds`).
    """
    row = await db.fetchone(
        f"{_SUB} SELECT COUNT(*),"
        " SUM(CASE WHEN m.is_flow = 1 THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {BASELINE} < :lost THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {BASELINE} >= :lost AND {BASELINE} < :ooc THEN 1 ELSE 0 END)"
        " FROM members m JOIN sub ON sub.id = m.branch_id WHERE m.active = 1",
        {"org": org_id, "lost": lost_before.isoformat(), "ooc": out_of_control_before.isoformat()})
    total, flow, lost, ooc = (int(v or 0) for v in row)
    return {"members": total, "flow": flow, "lost": lost, "out_of_control": ooc,
            "in_contact": total - lost - ooc}


async def open_transfers(db: Database, org_id: int, at: date) -> int:
    """Transfers out sent on or before `at` with no 回执 recorded."""
    row = await db.fetchone(
        f"{_SUB} SELECT COUNT(*) FROM transfers t JOIN members m ON m.id = t.member_id"
        " JOIN sub ON sub.id = m.branch_id WHERE t.receipt_on IS NULL AND t.sent_on <= :at",
        {"org": org_id, "at": at.isoformat()})
    return int(row[0] or 0)


async def open_cases_by_state(db: Database, org_id: int) -> dict[str, int]:
    """Cases not finished (not decided, not closed), counted by their state (the step they wait at)."""
    rows = await db.fetchall(
        f"{_SUB} SELECT c.state, COUNT(*) FROM cases c JOIN members m ON m.id = c.member_id"
        " JOIN sub ON sub.id = m.branch_id WHERE c.closed_on IS NULL AND c.state NOT IN ('decided', 'closed')"
        " GROUP BY c.state ORDER BY c.state", {"org": org_id})
    return {r[0]: int(r[1]) for r in rows}


async def attempts_between(db: Database, org_id: int, first: date, last: date) -> int:
    """Search attempts logged for members of the subtree with a date in [first, last]."""
    row = await db.fetchone(
        f"{_SUB} SELECT COUNT(*) FROM search_attempts s JOIN members m ON m.id = s.member_id"
        " JOIN sub ON sub.id = m.branch_id WHERE s.on_date >= :first AND s.on_date <= :last",
        {"org": org_id, "first": first.isoformat(), "last": last.isoformat()})
    return int(row[0] or 0)


async def branches_by_neglect(db: Database, org_id: int, lost_before: date, attempts_since: date,
                              offset: int = 0, limit: int = 10) -> tuple[list[Any], int]:
    """Branches of the subtree ranked by 失联 members with no search attempt since `attempts_since`.

    Rows: branch id, name, lost members, of them with no recent attempt. Returns (page, number of branches).
    """
    params = {"org": org_id, "lost": lost_before.isoformat(), "since": attempts_since.isoformat(),
              "limit": limit, "offset": offset}
    total = await db.fetchone(f"{_SUB} SELECT COUNT(*) FROM orgs o JOIN sub ON sub.id = o.id"
                              " WHERE o.level = 'branch'", params)
    rows = await db.fetchall(
        f"{_SUB}, lost AS (SELECT m.id, m.branch_id FROM members m JOIN sub ON sub.id = m.branch_id"
        f" WHERE m.active = 1 AND {BASELINE} < :lost)"
        " SELECT o.id AS branch_id, o.name AS name, COUNT(lost.id) AS lost,"
        " SUM(CASE WHEN lost.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM search_attempts s"
        "   WHERE s.member_id = lost.id AND s.on_date >= :since) THEN 1 ELSE 0 END) AS unsearched"
        " FROM orgs o JOIN sub ON sub.id = o.id LEFT JOIN lost ON lost.branch_id = o.id"
        " WHERE o.level = 'branch' GROUP BY o.id, o.name"
        " ORDER BY unsearched DESC, lost DESC, o.name, o.id LIMIT :limit OFFSET :offset", params)
    return rows, int(total[0] or 0)


async def lost_members(db: Database, branch_id: int, lost_before: date, offset: int = 0,
                       limit: int = 10) -> tuple[list[Any], int]:
    """Active 失联 members of one branch, longest without contact first: a page, and how many there are."""
    params = {"branch": branch_id, "lost": lost_before.isoformat(), "limit": limit, "offset": offset}
    where = f"m.branch_id = :branch AND m.active = 1 AND {BASELINE} < :lost"
    total = await db.fetchone(f"SELECT COUNT(*) FROM members m WHERE {where}", params)
    rows = await db.fetchall(f"SELECT m.id, m.name, m.last_contact_on FROM members m WHERE {where}"
                             f" ORDER BY {BASELINE}, m.name, m.id LIMIT :limit OFFSET :offset", params)
    return rows, int(total[0] or 0)
