"""The SQL of the daily scan: crossings of the contact thresholds, the narrow level table, bulk flags,
reminder marks and job runs.

The level the scan last flagged is kept in contact_levels (member, level, since), not in members:
flagging is an insert of narrow rows in member order, not a rewrite of the wide table. Crossings are
read inside the write transaction that flags them (so a contact recorded in between is never flagged),
from the partial indexes of migration 0012: the first scan branch by branch from members_scan_branch,
the daily scan from the window on members_scan_contact / members_scan_new.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any, Iterable, NamedTuple, Sequence

from bot.clock import utc_iso
from bot.storage.db import Database, Tx, fetch_one, fetch_packed

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
# Positions in candidate rows (the scan reads hundreds of thousands of rows: by index, not by name).
ID, BRANCH, NAME, LAST, CREATED, OFFICER, M_TG, M_LANG, O_TG, O_LANG = range(10)


ROW_COLUMNS = ("id", "branch_id", "name", "last_contact_on", "created_at", "officer_id",
               "m_tg", "m_lang", "o_tg", "o_lang", "target")


async def fetch_crossings(tx: Tx | Database, sql: str, params: Any) -> list[list]:
    """Crossing rows (ROW_COLUMNS, by position) in one aggregate value (db.fetch_packed: the scan reads
    the next chunk while it writes this one, and composes messages meanwhile)."""
    conn = await tx.ready() if isinstance(tx, Tx) else tx.reader
    return await fetch_packed(conn, sql, params, ROW_COLUMNS)


def scannable(alias: str = "m") -> str:
    """The members the contact scan looks at. Every crossing query goes through here, so a rule that
    takes members out of the scan (removed, transferred and landed…) is one condition added here."""
    # status_hold: a decided 保留组织关系 / 停止党籍 (issue 10) takes the member off the scan.
    # The scan's partial indexes (migration 0012) hold exactly these members: a condition added here
    # narrows them further and still uses them; one taken away needs new indexes.
    return f"{alias}.active = 1 AND {alias}.status_hold IS NULL"


class Window(NamedTuple):
    """Where the last run of the daily scan stopped for one node: per contact level (code), that run's
    cutoff (date, and the instant for members with no contact on record), and when it ran (members
    whose record changed since then are rechecked in full)."""
    cuts: dict[int, tuple[str, str]]
    ran_at: str


class Cut(NamedTuple):
    """A threshold on the scan's day: last contact before `date`, or none and entered before `instant`."""
    level: int
    date: str
    instant: str


_CROSSED = "(m.last_contact_on < :d{0} OR (m.last_contact_on IS NULL AND m.created_at < :i{0}))"
# The crossing rows: the candidate columns (created_at only where no contact is on record: the rest
# come from the scan's indexes), then the target level. 150,000 rows: every column costs.
_MEMBER_PART = ("m.id AS id, m.branch_id AS branch_id, m.name AS name, m.last_contact_on AS last_contact_on,"
                " CASE WHEN m.last_contact_on IS NULL THEN m.created_at END AS created_at, m.officer_id AS officer_id")
_USER_PART = _CANDIDATE_COLUMNS[_CANDIDATE_COLUMNS.index(" CASE WHEN mu."):]
_CROSSING_COLUMNS = f"{_MEMBER_PART},{_USER_PART}"
TARGET = 10


def _target(cuts: Sequence[Cut]) -> str:
    """The highest threshold a member has crossed (a member past both is told 失联 only), 0 for none."""
    ordered = sorted(cuts, key=lambda c: -c.level)
    return "CASE " + " ".join(f"WHEN {_CROSSED.format(c.level)} THEN {c.level}" for c in ordered) + " ELSE 0 END"


def _params(cuts: Sequence[Cut], branch_ids: Sequence[int] | None) -> tuple[str, dict[str, Any]]:
    scope, sp = scope_sql("m.branch_id", branch_ids)
    params: dict[str, Any] = {f"d{c.level}": c.date for c in cuts} | {f"i{c.level}": c.instant for c in cuts}
    params |= {f"s{i}": v for i, v in enumerate(sp)}
    scope = scope.replace("?", "{}").format(*(f":s{i}" for i in range(len(sp)))) if sp else scope
    return scope, params


class Crossings(NamedTuple):
    """Crossing rows split by the level they reach, with each part's member ids as JSON text, in the
    rows' order: flag_levels and the audit rows take the ids as they are. In the first scan
    SQLite builds all four, so the scan's Python neither splits the rows nor lists and encodes the ids
    of hundreds of thousands of members (the GIL the writes waited for)."""
    lost: list[list]              # ID, BRANCH, NAME, LAST, CREATED (at least)
    out_of_control: list[list]    # ROW_COLUMNS
    lost_ids: str
    out_of_control_ids: str


def crossings_of(rows: list[list], lost_level: int) -> Crossings:
    """Crossings of rows read in Python (the daily scan's window: a day's worth)."""
    lost = [r for r in rows if r[TARGET] == lost_level]
    out = [r for r in rows if r[TARGET] != lost_level] if lost else rows
    return Crossings(lost, out, ids_json(r[ID] for r in lost), ids_json(r[ID] for r in out))


def ids_json(ids: Iterable[int]) -> str:
    """Ids as the JSON text the scan's writes take (compact, as SQLite's json_group_array writes it)."""
    return json.dumps(list(ids), separators=(",", ":"))


_LOST_ROW = "id, branch_id, name, last_contact_on, created_at"    # a 失联 line names no account


async def backlog_chunk(tx: Tx | Database, cuts: Sequence[Cut], branch_ids: Sequence[int] | None,
                        after: tuple[int, int], limit: int, lost_level: int) -> tuple[Crossings, bool]:
    """The first scan's next `limit` members (after `after` = (branch_id, member_id), in that order) who
    crossed a threshold above the level they are flagged at, as Crossings of whole branches, and
    whether more may follow (the limit was reached).

    One pass over members_scan_branch, which holds the scanned members in branch and member order with
    their last contact: the index says who crossed, and only those rows are read from the table. When
    the limit cut the rows inside a branch, that branch is left to the next chunk (unless it is the only
    one: a branch larger than the limit is split). Read in the chunk's write transaction (or ahead, see
    bot.services.scan.run._backlog), so what it flags is what the register says at that moment."""
    scope, params = _params(cuts, branch_ids)
    latest = max(cuts, key=lambda c: c.date).level      # the shortest threshold reaches the latest date
    target = _target(cuts)
    params |= {"ab": after[0], "ai": after[1], "n": limit, "lost": lost_level}
    # The accounts are looked up for the 失控 rows only (the lowest level): a 失联 row's list line goes to
    # the branch and names no account (in the stress spread, half of 300,000 rows: a tenth of the read).
    first = min(c.level for c in cuts)
    users = (f" LEFT JOIN users mu ON mu.member_id = m.id AND {target} = {first}"
             f" LEFT JOIN users ou ON ou.member_id = m.officer_id AND {target} = {first}")
    rows = (f"SELECT {_CROSSING_COLUMNS}, {target} AS target"
            f" FROM members m INDEXED BY members_scan_branch LEFT JOIN contact_levels l ON l.member_id = m.id{users}"
            f" WHERE {scannable()}{scope} AND (m.branch_id, m.id) > (:ab, :ai) AND {_CROSSED.format(latest)}"
            f" AND {target} > COALESCE(l.level, 0) ORDER BY m.branch_id, m.id LIMIT :n")
    # One aggregate pass over the rows in their order (as db.fetch_packed): the rows of each level and
    # their ids, in branch and member order.
    lost, out = "FILTER (WHERE target = :lost)", "FILTER (WHERE target != :lost)"
    sql = (f"SELECT count(*), json_group_array(json_array({_LOST_ROW})) {lost},"
           f" json_group_array(json_array({', '.join(ROW_COLUMNS[:-1])})) {out},"
           f" json_group_array(id) {lost}, json_group_array(id) {out} FROM ({rows})")
    conn = await tx.ready() if isinstance(tx, Tx) else tx.reader
    read, lost_text, out_text, lost_ids, out_ids = await fetch_one(conn, sql, params)
    crossed = Crossings(json.loads(lost_text), json.loads(out_text), lost_ids, out_ids)
    more = read == limit
    return (_without_last_branch(crossed) if more else crossed), more


def _without_last_branch(c: Crossings) -> Crossings:
    """The crossings without the rows of their last branch (the limit cut it: the next chunk reads it
    whole), unless every row is of that branch."""
    last = max(part[-1][BRANCH] for part in (c.lost, c.out_of_control) if part)
    if all(part[0][BRANCH] == last for part in (c.lost, c.out_of_control) if part):
        return c
    dropped = []
    for part in (c.lost, c.out_of_control):
        n = 0
        while n < len(part) and part[-1 - n][BRANCH] == last:
            n += 1
        dropped.append(n)
        del part[len(part) - n:]
    return Crossings(c.lost, c.out_of_control, _drop_last(c.lost_ids, dropped[0]),
                     _drop_last(c.out_of_control_ids, dropped[1]))


def _drop_last(ids: str, n: int) -> str:
    """A JSON array of integers (as json_group_array writes it: "[1,2,3]") without its last n items."""
    if n == 0:
        return ids
    kept = ids[1:-1].rsplit(",", n)[0] if ids.count(",") >= n else ""
    return f"[{kept}]"


async def window_rows(tx: Tx | Database, cuts: Sequence[Cut], branch_ids: Sequence[int] | None,
                      window: Window, branches: tuple[int | None, int | None] = (None, None)) -> list[list]:
    """The daily scan's crossings, rows as the backlog's (branch and member order, the target last), read from the
    window of the node's last run: the members whose last contact (or entry) falls between that run's
    cutoff and today's, for each level, plus the members whose record changed since that run (a contact
    entered with a past date, an import, a move), whatever their dates. Each is tested in full, so the
    window only chooses what is read: the result is what a full read gives (tests/test_scan_window.py),
    from a day's worth of members instead of the register. `branches`: only branch ids in [lo, hi)
    (None: unbounded), to read the window in parts."""
    scope, params = _params(cuts, branch_ids)
    lo, hi = branches
    if lo is not None:
        scope, params["blo"] = scope + " AND m.branch_id >= :blo", lo
    if hi is not None:
        scope, params["bhi"] = scope + " AND m.branch_id < :bhi", hi
    target = _target(cuts)
    # The ranges on last_contact_on are read from members_scan_contact alone (it holds the name and the
    # officer); UNION drops a member found twice (in a range and changed since the last run).
    select = (f"SELECT {_MEMBER_PART}, {target} AS target, COALESCE(l.level, 0) AS level"
              f" FROM members m LEFT JOIN contact_levels l ON l.member_id = m.id WHERE {scannable()}")
    parts = []
    for c in cuts:
        params[f"lo_d{c.level}"], params[f"lo_i{c.level}"] = window.cuts.get(c.level, ("", ""))
        parts.append(f"{select} AND m.last_contact_on >= :lo_d{c.level} AND m.last_contact_on < :d{c.level}{scope}")
        parts.append(f"{select} AND m.last_contact_on IS NULL AND m.created_at >= :lo_i{c.level}"
                     f" AND m.created_at < :i{c.level}{scope}")
    # INDEXED BY: inside the UNION the planner would otherwise walk a whole index to save a sort.
    parts.append(select.replace("FROM members m", "FROM members m INDEXED BY members_updated")
                 + f" AND m.updated_at >= :ran{scope}")
    params["ran"] = window.ran_at
    return await fetch_crossings(
        tx, f"SELECT c.id AS id, c.branch_id AS branch_id, c.name AS name, c.last_contact_on AS last_contact_on,"
        f" c.created_at AS created_at, c.officer_id AS officer_id,{_USER_PART}, c.target AS target"
        f" FROM ({' UNION '.join(parts)}) c LEFT JOIN users mu ON mu.member_id = c.id"
        f" LEFT JOIN users ou ON ou.member_id = c.officer_id WHERE c.target > c.level ORDER BY c.branch_id, c.id",
        params)


_SET_LEVELS = ("INSERT INTO contact_levels (member_id, level, since) SELECT value, ?, ? FROM json_each(?)"
               " WHERE true ON CONFLICT(member_id) DO UPDATE SET level = excluded.level, since = excluded.since")


async def flag_levels(tx: Tx, lost_ids: str, out_of_control_ids: str, lost: int, out_of_control: int,
                      since: date, state: str) -> str:
    """The levels the scan flagged, one narrow row per member (the ids: JSON arrays, in branch and member
    order as the scan reads them), inserted or raised, and a case opened for each 失联 member as
    _open_cases_in_thread does; returns the cases opened (as it does). One hop to the writer's thread for all
    their statements: a chunk's hops wait for the GIL while a worker thread composes its messages."""
    return await tx.in_thread(_flag_levels_in_thread, lost_ids, out_of_control_ids, lost, out_of_control,
                              since.isoformat(), state, tx.now_iso)


def _flag_levels_in_thread(conn: Any, lost_ids: str, out_of_control_ids: str, lost: int, out_of_control: int,
                           since: str, state: str, now_iso: str) -> str:
    opened = "[]"
    if lost_ids != "[]":
        conn.execute(_SET_LEVELS, (lost, since, lost_ids)).close()
        opened = _open_cases_in_thread(conn, since, state, now_iso, lost_ids)
    if out_of_control_ids != "[]":
        conn.execute(_SET_LEVELS, (out_of_control, since, out_of_control_ids)).close()
    return opened


def _open_cases_in_thread(conn: Any, opened_on: str, state: str, now_iso: str, ids: str) -> str:
    """A lost-contact case for each member (`ids`: a JSON array) without a case in progress (as
    bot.storage.cases.open_case_of: not closed, not regained); returns the cases opened as JSON text,
    [[case_id, member_id], …] in case id order (the audit row lists them as they are). Straight from
    the id list (the members were just read by the scan; the foreign key still checks)."""
    # Not INSERT … RETURNING: that hands back one row per step, and each step takes Python's GIL again
    # while the scan composes messages in another thread. A new case's id is above every id before it
    # (INTEGER PRIMARY KEY, and the write lock is ours): the new ones are read back as one JSON value.
    before = conn.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()[0]
    # The members with a case in progress first (a chunk of 10,000 ids usually has a few dozen), looked
    # up by cases_member; then the INSERT reads only the id lists. An INSERT … SELECT that reads cases
    # itself is first copied whole into a temporary table (SQLite must not read the rows it inserts):
    # 0.25 s for 100,000 cases against 0.21 s this way.
    busy = conn.execute(
        "SELECT json_group_array(c.member_id) FROM json_each(?) j JOIN cases c ON c.member_id = j.value"
        " WHERE c.closed_on IS NULL AND c.state NOT IN ('regained', 'closed')", (ids,)).fetchone()[0]
    conn.execute(
        "INSERT INTO cases (member_id, opened_on, state, created_at) SELECT j.value, ?1, ?2, ?3 FROM json_each(?4) j"
        " WHERE j.value NOT IN (SELECT value FROM json_each(?5))",
        (opened_on, state, now_iso, ids, busy)).close()
    return conn.execute("SELECT json_group_array(json_array(id, member_id)) FROM"
                        " (SELECT id, member_id FROM cases WHERE id > ? ORDER BY id)", (before,)).fetchone()[0]


async def level_changes(db: Database, member_id: int) -> list[Any]:
    """Who flagged the member's level when (the scan audits one row per chunk naming every member):
    [(at, actor, action, level)] oldest first."""
    return await db.fetchall(
        "SELECT a.at, a.actor, a.action, json_extract(a.after, '$.level') FROM audit_log a WHERE a.entity = 'scan'"
        " AND EXISTS (SELECT 1 FROM json_each(a.after, '$.members') WHERE value = ?) ORDER BY a.id", (member_id,))


async def window_states(db: Database | Tx, job: str) -> dict[str, tuple[str, str]]:
    """Per scope, the last run of `job` and the state it left (JSON text, parsed by the caller: nodes
    scanned together share one), where it left one."""
    rows = await db.fetchall("SELECT scope, last_run, state FROM job_runs WHERE job = ? AND state IS NOT NULL", (job,))
    return {r[0]: (r[1], r[2]) for r in rows}


def states_statement(job: str, states: Iterable[tuple[Sequence[str], dict[str, Any]]], at: datetime) -> tuple[str, tuple]:
    """The statement writing one state for each group of scopes (its JSON built once per group, not
    once per node), every node in one statement: [[scopes, state], …] as one JSON value."""
    groups = json.dumps([[list(scopes), json.dumps(state, sort_keys=True)] for scopes, state in states])
    return ("INSERT INTO job_runs (job, scope, last_run, state) SELECT ?1, s.value, ?2, json_extract(g.value, '$[1]')"
            " FROM json_each(?3) g, json_each(g.value, '$[0]') s WHERE true ON CONFLICT(job, scope)"
            " DO UPDATE SET last_run = excluded.last_run, state = excluded.state", (job, utc_iso(at), groups))


async def record_states(tx: Tx, job: str, states: Iterable[tuple[Sequence[str], dict[str, Any]]], at: datetime) -> None:
    await tx.execute_all([states_statement(job, states, at)])


async def transfers_due(tx: Tx, cut: date, branch_ids: Sequence[int] | None, limit: int) -> list[Any]:
    """Transfers out sent on or before `cut` with no 回执 and not flagged yet."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    return await tx.fetchall(
        "SELECT t.id, t.member_id, t.to_org, t.sent_on, m.branch_id, m.name FROM transfers t"
        " JOIN members m ON m.id = t.member_id WHERE t.receipt_on IS NULL AND t.sent_on <= ?"
        f" AND t.flagged_on IS NULL AND m.active = 1{scope} ORDER BY t.id LIMIT ?",
        (cut.isoformat(), *params, limit))


async def flag_transfers(tx: Tx, transfer_ids: Iterable[int], on: date) -> None:
    # One statement over a JSON array, not executemany: that takes Python's GIL back for every row.
    await tx.execute("UPDATE transfers SET flagged_on = ? WHERE id IN (SELECT value FROM json_each(?))",
                     (on.isoformat(), json.dumps(list(transfer_ids))))


async def idle_cases(tx: Tx, today: date, idle_days: int, branch_ids: Sequence[int] | None,
                     limit: int) -> list[Any]:
    """Searching cases whose last search attempt (or opening) is `idle_days` or more ago, with the due
    date of the current idle period, left out when that period was already reminded (all in SQL)."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    t, n = today.isoformat(), idle_days
    # A case opened less than idle_days ago cannot be idle (its base is never before its opening): the
    # cases the scan has just opened are left out before their attempts and marks are looked up.
    latest_open = (today - timedelta(days=idle_days)).isoformat()
    return await tx.fetchall(
        "WITH c AS (SELECT c.id, c.member_id, c.opened_on, m.branch_id, m.name,"
        "  (SELECT MAX(s.on_date) FROM search_attempts s WHERE s.case_id = c.id) AS last_attempt"
        "  FROM cases c JOIN members m ON m.id = c.member_id"
        f"  WHERE c.state = 'searching' AND c.opened_on <= ? AND c.closed_on IS NULL AND c.regained_on IS NULL"
        f"  AND m.active = 1{scope}),"
        " b AS (SELECT *, MAX(opened_on, COALESCE(last_attempt, '')) AS base FROM c),"
        " k AS (SELECT *, CAST((julianday(?) - julianday(base)) / ? AS INTEGER) AS periods FROM b),"
        " d AS (SELECT *, date(base, '+' || (periods * ?) || ' days') AS due FROM k WHERE periods >= 1)"
        " SELECT id, member_id, opened_on, branch_id, name, last_attempt, due FROM d"
        " WHERE NOT EXISTS (SELECT 1 FROM reminder_marks r WHERE r.key = 'case_idle:' || d.id || ':' || d.due)"
        " ORDER BY id LIMIT ?", (latest_open, *params, t, n, n, limit))


async def flow_due(tx: Tx, month_start: date, month: str, branch_ids: Sequence[int] | None, limit: int) -> list[Any]:
    """Flow members (not lost) with no contact since the month began and no reminder this month."""
    scope, params = scope_sql("m.branch_id", branch_ids)
    return await tx.fetchall(
        f"SELECT {_CANDIDATE_COLUMNS}{_CANDIDATE_FROM.replace('members m', 'members m INDEXED BY members_flow_contact')}"
        " WHERE m.is_flow = 1 AND m.active = 1 AND (m.last_contact_on IS NULL OR m.last_contact_on < ?)"
        # The month's mark first: on every day after the first reminder most flow members have one, and
        # SQLite tests the terms in this order (the register's day: 0.026 s -> 0.016 s).
        f"{scope} AND NOT EXISTS (SELECT 1 FROM reminder_marks r WHERE r.key = 'flow:' || m.id || ':' || ?)"
        " AND NOT EXISTS (SELECT 1 FROM contact_levels l WHERE l.member_id = m.id AND l.level >= 2)"
        " ORDER BY m.id LIMIT ?", (month_start.isoformat(), *params, month, limit))


async def mark_pocket(tx: Tx, member_ids: Sequence[int], status: str) -> list[int]:
    """Add the 口袋党员 special status to each member's record JSON (where it is not there yet); returns
    the members marked, in id order.

    Done in SQL (json_insert on the record's special_statuses list) so a backlog of transfers is two
    statements, not a read-modify-write of each Member through Python: the members still without the
    status, read as one JSON value, then one UPDATE of those (not UPDATE … RETURNING, which hands back one
    row per step, each step taking Python's GIL again while the scan composes in another thread)."""
    if not member_ids:
        return []
    lacking = ("SELECT json_group_array(id) FROM (SELECT m.id FROM members m WHERE m.id IN (SELECT value FROM"
               " json_each(?)) AND NOT EXISTS (SELECT 1 FROM json_each(m.record, '$.special_statuses')"
               " WHERE value = ?) ORDER BY m.id)")
    marked = (await tx.fetchone(lacking, (json.dumps(list(member_ids)), status)))[0]
    if marked != "[]":
        await tx.execute("UPDATE members SET record = json_insert(record, '$.special_statuses[#]', ?), updated_at = ?"
                         " WHERE id IN (SELECT value FROM json_each(?))", (status, tx.now_iso, marked))
    return json.loads(marked)


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
    # One statement over a JSON array (as flag_transfers): the scan marks tens of thousands at once.
    await tx.execute("INSERT OR IGNORE INTO reminder_marks (key, created_at) SELECT value, ? FROM json_each(?)",
                     (tx.now_iso, json.dumps(list(keys), ensure_ascii=False)))


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


def runs_statement(job: str, scopes: Iterable[str], at: datetime) -> tuple[str, tuple]:
    """The statement recording a run of `job` for every scope, in one statement (a scan covers a few
    thousand nodes: one row each, stepped by SQLite, not by Python)."""
    return ("INSERT INTO job_runs (job, scope, last_run) SELECT ?1, value, ?2 FROM json_each(?3) WHERE true"
            " ON CONFLICT(job, scope) DO UPDATE SET last_run = excluded.last_run",
            (job, utc_iso(at), json.dumps(list(scopes))))


async def record_runs(tx: Tx, job: str, scopes: Iterable[str], at: datetime) -> None:
    await tx.execute_all([runs_statement(job, scopes, at)])
