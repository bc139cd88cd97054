"""The SQL the forms read with, on a read-only connection of their own.

An export runs in a worker thread (a 100,000-member 名册 takes seconds; the bot's event loop must not
wait for it), on its own read-only SQLite connection, inside one read transaction: every sheet of a
file sees the same snapshot of the register (WAL readers do not block the writer).

- `scope`: the node and its whole subtree in one recursive query (never a query per branch).
- `members`: the members of a subtree, in register order, from one sorted query read a page at a time,
  so a big register never sits in memory at once.

Dates are passed in as parameters (no SQLite date functions), so the same SQL runs on PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Sequence

from bot.domain.errors import NotFound
from bot.forms.registry import Scope
from bot.i18n import N_

# Named parameters throughout (:org, :on …), so the member queries can add their own.
SUBTREE = "WITH RECURSIVE sub(id) AS (SELECT :org UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
PAGE = 2000

MEMBER_COLUMNS = ("m.id, m.branch_id, m.name, m.record, m.active, m.is_flow, m.last_contact_on, m.last_meeting_on,"
                  " m.last_dues_on, m.created_at,"
                  " COALESCE((SELECT l.level FROM contact_levels l WHERE l.member_id = m.id), 0) AS contact_level")


class Reader:
    """A read-only connection with one snapshot for the whole export."""

    def __init__(self, path: str | Path):
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=10.0, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("BEGIN")

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def close(self) -> None:
        try:
            self.conn.execute("COMMIT")
        finally:
            self.conn.close()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def scope(db: Reader, org_id: int) -> Scope:
    """The node and its subtree in one recursive query, with names, categories and the province (the node's
    own setting or the nearest one above it)."""
    rows = db.all(f"{SUBTREE} SELECT o.id, o.name, o.level, o.category, o.settings FROM orgs o"
                  " JOIN sub ON sub.id = o.id", {"org": org_id})
    top = next((r for r in rows if r["id"] == org_id), None)
    if top is None:
        raise NotFound(N_("No organization with id {id}"), field="org", id=org_id)
    up = db.all("WITH RECURSIVE up(id, parent_id, settings, depth) AS (SELECT id, parent_id, settings, 0 FROM orgs"
                " WHERE id = :org UNION ALL SELECT o.id, o.parent_id, o.settings, up.depth + 1 FROM orgs o"
                " JOIN up ON o.id = up.parent_id) SELECT id, settings FROM up ORDER BY depth", {"org": org_id})
    province = next((p for p in (json.loads(r["settings"] or "{}").get("province") for r in up) if p), None)
    parent = db.one("SELECT p.name FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE o.id = ?", (org_id,))
    return Scope(org_id=org_id, name=top["name"], level=top["level"], category=top["category"],
                 org_ids=tuple(r["id"] for r in rows), names={r["id"]: r["name"] for r in rows},
                 categories={r["id"]: r["category"] for r in rows}, province=province,
                 parent_name=parent["name"] if parent else None)


def members(db: Reader, org_id: int, where: str = "m.active = 1", params: dict[str, Any] | None = None,
            extra: str = "", page: int = PAGE) -> Iterator[sqlite3.Row]:
    """Members of the subtree matching `where` (named parameters), ordered by branch, name, id; `extra` adds
    computed columns (", expr AS alias").

    One query, read `page` rows at a time from its cursor: SQLite's sorter keeps a bounded amount in memory
    (it spills to a temporary file), so a 100,000-member register never sits in Python's memory at once.
    (Keyset pages re-sorted the subtree for every page; reading ids first, then rows by id, took twice as
    long as this one sorted pass.)
    """
    cur = db.conn.execute(f"{SUBTREE} SELECT {MEMBER_COLUMNS}{extra} FROM members m JOIN sub ON sub.id = m.branch_id"
                          f" WHERE {where} ORDER BY m.branch_id, m.name, m.id", {"org": org_id, **(params or {})})
    try:
        while True:
            rows = cur.fetchmany(page)
            if not rows:
                return
            yield from rows
    finally:
        cur.close()


def count_members(db: Reader, org_id: int, where: str = "m.active = 1", params: dict[str, Any] | None = None) -> int:
    row = db.one(f"{SUBTREE} SELECT COUNT(*) FROM members m JOIN sub ON sub.id = m.branch_id WHERE {where}",
                 {"org": org_id, **(params or {})})
    return int(row[0])


def member_rows(db: Reader, member_ids: Sequence[int], extra: str = "") -> list[sqlite3.Row]:
    """Chosen members (per-member forms), in the order given."""
    out = []
    for i in range(0, len(member_ids), 500):
        chunk = list(member_ids[i:i + 500])
        marks = ",".join("?" * len(chunk))
        out.extend(db.all(f"SELECT {MEMBER_COLUMNS}{extra} FROM members m WHERE m.id IN ({marks})", chunk))
    order = {mid: i for i, mid in enumerate(member_ids)}
    return sorted(out, key=lambda r: order[r["id"]])


def entered_on(created_at: str | None) -> date | None:
    """The day a member was entered (the scan's baseline when no contact is on record)."""
    return date.fromisoformat(created_at[:10]) if created_at else None
