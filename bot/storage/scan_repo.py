"""The SQL of the daily scan: index range queries, bulk flag updates, reminder marks and job runs.

Every query asks the database for the few rows that changed state today (a range on
last_contact_on within one contact_level, through members_level_contact), never for every member.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from bot.clock import utc_iso
from bot.storage.db import Database, Tx

MAX_IN = 20000   # SQLite allows 32766 bound parameters; keep well under it


def scope_sql(column: str, ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """`AND column IN (…)` for a subset of organizations, or nothing when the scan covers them all."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 0", []
    if len(ids) > MAX_IN:
        raise ValueError("too many organizations in one scan group")
    return f" AND {column} IN ({','.join('?' * len(ids))})", list(ids)


# A member's and their officer's Telegram account, when bound and not blocked: chat id, and the /lang
# override else Telegram's language code (bot.services.scan.batch.locale_of finishes the choice).
_CANDIDATE_COLUMNS = (
    "m.id, m.branch_id, m.name, m.last_contact_on, m.created_at, m.officer_id,"
    " CASE WHEN mu.blocked_at IS NULL THEN mu.tg_id END AS m_tg, COALESCE(mu.locale, mu.lang_code) AS m_lang,"
    " CASE WHEN ou.blocked_at IS NULL THEN ou.tg_id END AS o_tg, COALESCE(ou.locale, ou.lang_code) AS o_lang")
_CANDIDATE_FROM = (" FROM members m LEFT JOIN users mu ON mu.member_id = m.id"
                   " LEFT JOIN users ou ON ou.member_id = m.officer_id")


async def fetch_tuples(tx: Tx, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Rows as plain tuples (no Row objects): for the scan's bulk reads, read by position."""
    async with tx.conn.execute(sql, params) as cur:
        cur.row_factory = None
        return list(await cur.fetchall())


_LOST_COLUMNS = "m.id, m.branch_id, m.name, m.last_contact_on, m.created_at"
# Positions in candidate rows (the scan reads hundreds of thousands of rows: by index, not by name).
ID, BRANCH, NAME, LAST, CREATED, OFFICER, M_TG, M_LANG, O_TG, O_LANG = range(10)


async def level_candidates(tx: Tx, level: int, cut: date, cut_instant: datetime, branch_ids: Sequence[int] | None,
                           from_branch: int, limit: int, with_users: bool) -> list[tuple]:
    """Active members at `level` whose last contact is before `cut` — or, with none on record, who were
    entered before `cut_instant` — in branch order from `from_branch` on (keyset pagination).

    One range of members_level_contact (active, contact_level, branch_id, last_contact_on): the cutoff is
    tested on the index entries, rows are read only for the members selected. `with_users` adds the
    member's and their officer's Telegram accounts (for the check-in and the officer's reminder)."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    columns, joins = (_CANDIDATE_COLUMNS, _CANDIDATE_FROM) if with_users else (_LOST_COLUMNS, " FROM members m")
    return await fetch_tuples(
        tx, f"SELECT {columns}{joins} WHERE m.active = 1 AND m.status_hold IS NULL AND m.contact_level = ?"
        f" AND m.branch_id >= ?{scope}"
        " AND (m.last_contact_on < ? OR (m.last_contact_on IS NULL AND m.created_at < ?))"
        " ORDER BY m.branch_id LIMIT ?",
        (level, from_branch, *params, cut.isoformat(), utc_iso(cut_instant), limit))


async def set_levels(tx: Tx, member_ids: Sequence[int], level: int, since: date) -> int:
    """The level the scan flagged (not a change of the member's record: updated_at stays).

    One statement for the whole chunk (ids as a JSON array): SQLite runs it without Python in the loop."""
    cur = await tx.execute("UPDATE members SET contact_level = ?, level_since = ?"
                           " WHERE id IN (SELECT value FROM json_each(?))",
                           (level, since.isoformat(), json.dumps(list(member_ids))))
    return cur.rowcount


async def open_cases(tx: Tx, member_ids: Sequence[int], opened_on: date, state: str) -> list[tuple[int, int]]:
    """Open a lost-contact case for each member without a case in progress (as bot.storage.cases.
    open_case_of: not closed, not regained); returns [(case_id, member_id)] of the cases opened."""
    rows = await tx.fetchall(
        "INSERT INTO cases (member_id, opened_on, state, created_at) SELECT m.id, ?, ?, ? FROM members m"
        " WHERE m.id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM cases c"
        " WHERE c.member_id = m.id AND c.closed_on IS NULL AND c.state NOT IN ('regained', 'closed'))"
        " RETURNING id, member_id", (opened_on.isoformat(), state, tx.now_iso, json.dumps(list(member_ids))))
    return sorted((r[0], r[1]) for r in rows)


async def transfers_due(tx: Tx, cut: date, branch_ids: Sequence[int] | None, limit: int) -> list[Any]:
    """Transfers out sent on or before `cut` with no 回执 and not flagged yet."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    return await tx.fetchall(
        "SELECT t.id, t.member_id, t.to_org, t.sent_on, m.branch_id, m.name FROM transfers t"
        " JOIN members m ON m.id = t.member_id WHERE t.receipt_on IS NULL AND t.sent_on <= ?"
        f" AND t.flagged_on IS NULL AND m.active = 1{scope} ORDER BY t.id LIMIT ?",
        (cut.isoformat(), *params, limit))


async def flag_transfers(tx: Tx, transfer_ids: Iterable[int], on: date) -> None:
    await tx.executemany("UPDATE transfers SET flagged_on = ? WHERE id = ?",
                         [(on.isoformat(), tid) for tid in transfer_ids])


async def idle_cases(tx: Tx, today: date, idle_days: int, branch_ids: Sequence[int] | None,
                     limit: int) -> list[Any]:
    """Searching cases whose last search attempt (or opening) is `idle_days` or more ago, with the due
    date of the current idle period, left out when that period was already reminded (all in SQL)."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    t, n = today.isoformat(), idle_days
    return await tx.fetchall(
        "WITH c AS (SELECT c.id, c.member_id, c.opened_on, m.branch_id, m.name,"
        "  (SELECT MAX(s.on_date) FROM search_attempts s WHERE s.case_id = c.id) AS last_attempt"
        "  FROM cases c JOIN members m ON m.id = c.member_id"
        f"  WHERE c.state = 'searching' AND c.closed_on IS NULL AND c.regained_on IS NULL AND m.active = 1{scope}),"
        " b AS (SELECT *, MAX(opened_on, COALESCE(last_attempt, '')) AS base FROM c),"
        " k AS (SELECT *, CAST((julianday(?) - julianday(base)) / ? AS INTEGER) AS periods FROM b),"
        " d AS (SELECT *, date(base, '+' || (periods * ?) || ' days') AS due FROM k WHERE periods >= 1)"
        " SELECT id, member_id, opened_on, branch_id, name, last_attempt, due FROM d"
        " WHERE NOT EXISTS (SELECT 1 FROM reminder_marks r WHERE r.key = 'case_idle:' || d.id || ':' || d.due)"
        " ORDER BY id LIMIT ?", (*params, t, n, n, limit))


async def flow_due(tx: Tx, month_start: date, month: str, branch_ids: Sequence[int] | None, limit: int) -> list[Any]:
    """Flow members (not lost) with no contact since the month began and no reminder this month."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    return await tx.fetchall(
        f"SELECT {_CANDIDATE_COLUMNS}{_CANDIDATE_FROM.replace('members m', 'members m INDEXED BY members_flow_contact')}"
        " WHERE m.is_flow = 1 AND m.active = 1"
        " AND (m.last_contact_on IS NULL OR m.last_contact_on < ?) AND m.contact_level < 2"
        f"{scope} AND NOT EXISTS (SELECT 1 FROM reminder_marks r WHERE r.key = 'flow:' || m.id || ':' || ?)"
        " ORDER BY m.id LIMIT ?", (month_start.isoformat(), *params, month, limit))


async def mark_pocket(tx: Tx, member_ids: Sequence[int], status: str) -> list[int]:
    """Add the 口袋党员 special status to each member's record JSON (where it is not there yet).

    Done in SQL (json_insert on the record's special_statuses list) so a backlog of transfers is one
    statement per chunk, not a read-modify-write of each Member through Python."""
    marked: list[int] = []
    ids = list(member_ids)
    for i in range(0, len(ids), 900):
        part = ids[i:i + 900]
        rows = await tx.fetchall(
            "UPDATE members SET record = json_insert(record, '$.special_statuses[#]', ?), updated_at = ?"
            f" WHERE id IN ({','.join('?' * len(part))}) AND NOT EXISTS (SELECT 1 FROM"
            " json_each(members.record, '$.special_statuses') WHERE value = ?) RETURNING id",
            (status, tx.now_iso, *part, status))
        marked.extend(r[0] for r in rows)
    return sorted(marked)


async def suspended_cases(tx: Tx, branch_ids: Sequence[int] | None) -> list[Any]:
    """Cases of members under 停止党籍 because unreachable, not regained and not yet removed."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    return await tx.fetchall(
        "SELECT c.id, c.member_id, c.suspended_since, m.branch_id, m.name FROM cases c"
        " JOIN members m ON m.id = c.member_id WHERE c.suspended_since IS NOT NULL AND c.regained_on IS NULL"
        f" AND COALESCE(c.outcome, '') != 'removed_lapsed' AND m.active = 1{scope} ORDER BY c.id", params)


async def open_deadlines(tx: Tx, today: date, org_ids: Sequence[int] | None) -> list[Any]:
    scope, params = scope_sql("d.org_id", org_ids)
    return await tx.fetchall(
        "SELECT d.id, d.org_id, d.stage, d.title, d.due_on, d.responsible, u.locale, u.lang_code, u.blocked_at"
        " FROM campaign_deadlines d LEFT JOIN users u ON u.tg_id = d.responsible"
        f" WHERE d.done_on IS NULL AND d.due_on >= ?{scope} ORDER BY d.due_on, d.id", (today.isoformat(), *params))


async def existing_marks(tx: Tx | Database, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    keys = list(keys)
    for i in range(0, len(keys), 900):
        part = keys[i:i + 900]
        rows = await tx.fetchall(f"SELECT key FROM reminder_marks WHERE key IN ({','.join('?' * len(part))})", part)
        found.update(r[0] for r in rows)
    return found


async def add_marks(tx: Tx, keys: Iterable[str]) -> None:
    await tx.executemany("INSERT OR IGNORE INTO reminder_marks (key, created_at) VALUES (?, ?)",
                         [(k, tx.now_iso) for k in keys])


async def contacts_rows(tx: Tx | Database) -> tuple[list[Any], list[Any]]:
    """The organization tree and every role holder with what the messages need (locale, blocked)."""
    orgs = await tx.fetchall("SELECT id, parent_id, name, level FROM orgs")
    roles = await tx.fetchall(
        "SELECT r.org_id, r.role, r.tg_id, u.locale, u.lang_code, u.blocked_at FROM roles r"
        " JOIN users u ON u.tg_id = r.tg_id ORDER BY r.org_id, r.role, r.tg_id")
    return orgs, roles


async def last_runs(db: Database | Tx, job: str) -> dict[str, str]:
    rows = await db.fetchall("SELECT scope, last_run FROM job_runs WHERE job = ?", (job,))
    return {r[0]: r[1] for r in rows}


async def record_runs(tx: Tx, job: str, scopes: Iterable[str], at: datetime) -> None:
    await tx.executemany(
        "INSERT INTO job_runs (job, scope, last_run) VALUES (?, ?, ?)"
        " ON CONFLICT(job, scope) DO UPDATE SET last_run = excluded.last_run",
        [(job, s, utc_iso(at)) for s in scopes])
