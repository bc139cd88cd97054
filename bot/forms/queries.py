"""The SQL the forms read with: the scope (one recursive query over the organization tree) and the
members of a scope, streamed page by page (keyset pagination, so a 100,000-member 名册 never sits in
memory at once and each page is an index range scan).

Dates are passed in as parameters (no SQLite date functions), so the same SQL runs on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, AsyncIterator, Sequence

from bot.domain.errors import NotFound
from bot.forms.registry import Scope
from bot.i18n import N_

# Named parameters throughout (:org, :on …), so the member queries can add their own.
SUBTREE = "WITH RECURSIVE sub(id) AS (SELECT :org UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
PAGE = 2000

MEMBER_COLUMNS = ("m.id, m.branch_id, m.name, m.record, m.active, m.is_flow, m.last_contact_on, m.last_meeting_on,"
                  " m.last_dues_on, m.contact_level, m.created_at")


async def scope(db: Any, org_id: int) -> Scope:
    """The node and its subtree in one recursive query, with names, categories and the node's province."""
    rows = await db.fetchall(
        f"{SUBTREE} SELECT o.id, o.name, o.level, o.category, o.settings FROM orgs o JOIN sub ON sub.id = o.id",
        {"org": org_id})
    top = next((r for r in rows if r["id"] == org_id), None)
    if top is None:
        raise NotFound(N_("No organization with id {id}"), field="org", id=org_id)
    settings = json.loads(top["settings"] or "{}")
    return Scope(org_id=org_id, name=top["name"], level=top["level"], category=top["category"],
                 org_ids=tuple(r["id"] for r in rows), names={r["id"]: r["name"] for r in rows},
                 categories={r["id"]: r["category"] for r in rows}, province=settings.get("province"))


async def scope_members(db: Any, org_id: int, where: str = "m.active = 1", params: dict[str, Any] | None = None,
                        extra: str = "", page: int = PAGE) -> AsyncIterator[Any]:
    """Members of the subtree matching `where` (named parameters), ordered by branch, name, id, one page per
    query; `extra` adds computed columns ("…, expr AS alias")."""
    base = {"org": org_id, **(params or {}), "page": page}
    last: dict[str, Any] | None = None
    while True:
        keyset = " AND (m.branch_id, m.name, m.id) > (:k_branch, :k_name, :k_id)" if last else ""
        rows = await db.fetchall(
            f"{SUBTREE} SELECT {MEMBER_COLUMNS}{extra} FROM members m JOIN sub ON sub.id = m.branch_id"
            f" WHERE {where}{keyset} ORDER BY m.branch_id, m.name, m.id LIMIT :page", {**base, **(last or {})})
        for r in rows:
            yield r
        if len(rows) < page:
            return
        tail = rows[-1]
        last = {"k_branch": tail["branch_id"], "k_name": tail["name"], "k_id": tail["id"]}


async def count_members(db: Any, org_id: int, where: str = "m.active = 1",
                        params: dict[str, Any] | None = None) -> int:
    row = await db.fetchone(f"{SUBTREE} SELECT COUNT(*) FROM members m JOIN sub ON sub.id = m.branch_id"
                            f" WHERE {where}", {"org": org_id, **(params or {})})
    return int(row[0])


def contact_on_sql(column: str, kinds: Sequence[str] | None = None) -> str:
    """SQL for a member's last contact on or before :on (a named parameter): the register column when it
    is not later than :on (it is then the latest), else the latest logged event up to :on."""
    kind_filter = f" AND e.kind IN ({', '.join(repr(k) for k in kinds)})" if kinds else ""
    return (f"CASE WHEN {column} <= :on THEN {column} ELSE (SELECT MAX(e.on_date) FROM contact_events e"
            f" WHERE e.member_id = m.id AND e.on_date <= :on{kind_filter}) END")


def entered_on(created_at: str | None) -> date | None:
    """The day a member was entered (the scan's baseline when no contact is on record)."""
    return date.fromisoformat(created_at[:10]) if created_at else None
