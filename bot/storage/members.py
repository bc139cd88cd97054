"""Members repository: the Member JSON record plus the columns the queries and the scan need."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterable

from bot.domain.codes import ContactKind
from bot.domain.member import Member
from bot.storage.db import Database, Tx

_TABLE_COLUMNS = ("id", "branch_id", "name", "id_number", "mobile", "member_type", "birth_date", "record", "active",
                  "is_flow", "officer_id", "last_contact_on", "last_meeting_on", "last_dues_on")
# The level the scan last flagged lives in contact_levels (no row: in contact); rows keep the names
# contact_level / level_since that readers used when they were columns of members.
_COLUMNS = ", ".join(f"m.{c}" for c in _TABLE_COLUMNS) + \
    ", COALESCE(l.level, 0) AS contact_level, l.since AS level_since"
_FROM = "members m LEFT JOIN contact_levels l ON l.member_id = m.id"


def _row_values(m: Member) -> tuple:
    record = m.model_dump_json(exclude={"id"})
    return (m.branch_id, m.name, m.id_number, m.mobile, m.member_type.value,
            m.birth_date.isoformat() if m.birth_date else None, record, 1 if m.flow else 0,
            m.flow.officer_member_id if m.flow else None)


def audit_view(m: Member) -> dict[str, Any]:
    """What the audit trail keeps of a member: a reference, not the raw ID number or phone."""
    data = m.model_dump(mode="json")
    if data.get("id_number"):
        data["id_number"] = data["id_number"][:4] + "…" + data["id_number"][-2:]
    if data.get("mobile"):
        data["mobile"] = data["mobile"][:3] + "…" + data["mobile"][-2:]
    return data


def member_from_row(row: Any) -> Member:
    data = json.loads(row["record"])
    data["id"] = row["id"]
    return Member.model_validate(data)


async def insert(tx: Tx, m: Member, last_contact_on: date | None = None) -> int:
    now = tx.now_iso
    new_id = await tx.insert(
        "INSERT INTO members (branch_id, name, id_number, mobile, member_type, birth_date, record, is_flow,"
        " officer_id, last_contact_on, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (*_row_values(m), last_contact_on.isoformat() if last_contact_on else None, now, now))
    await tx.audit("member", new_id, "create", None, audit_view(m))
    return new_id


async def insert_many(tx: Tx, members: Iterable[tuple[Member, date | None, date | None]]) -> int:
    """Bulk insert (imports): one executemany for the rows, one for their audit rows.

    Each item is (member, last 组织生活 date, last 党费 date); the last contact is the later of the two.
    """
    now = tx.now_iso
    row = await tx.fetchone("SELECT COALESCE(MAX(id), 0) FROM members")
    next_id = row[0] + 1
    rows, audits = [], []
    for m, meeting, dues in members:
        known = [d for d in (meeting, dues) if d]
        last = max(known).isoformat() if known else None
        rows.append((next_id, *_row_values(m), last, meeting.isoformat() if meeting else None,
                     dues.isoformat() if dues else None, now, now))
        audits.append(("member", next_id, "import", None, audit_view(m)))
        next_id += 1
    await tx.executemany(
        "INSERT INTO members (id, branch_id, name, id_number, mobile, member_type, birth_date, record, is_flow,"
        " officer_id, last_contact_on, last_meeting_on, last_dues_on, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    await tx.audit_many(audits)
    return len(rows)


async def update(tx: Tx, m: Member, action: str = "update") -> None:
    before = await get_in(tx, m.id)
    await tx.execute(
        "UPDATE members SET branch_id=?, name=?, id_number=?, mobile=?, member_type=?, birth_date=?, record=?,"
        " is_flow=?, officer_id=?, updated_at=? WHERE id=?", (*_row_values(m), tx.now_iso, m.id))
    await tx.audit("member", m.id, action, audit_view(before) if before else None, audit_view(m))


async def get_row_in(tx: Tx, member_id: int, bound_to: int | None = None) -> Any:
    """The member's row (as get_row) inside a transaction; with `bound_to` (a Telegram id), also
    `bound`: the member id that account is bound to now — one query where a use case needed three."""
    return await tx.fetchone(*row_statement(member_id, bound_to))


def row_statement(member_id: int, bound_to: int | None = None) -> tuple[str, tuple]:
    """get_row_in's query, for a caller that reads more in the same hop (Tx.fetch_each)."""
    bound = ", (SELECT u.member_id FROM users u WHERE u.tg_id = ?) AS bound" if bound_to is not None else ""
    params = (bound_to, member_id) if bound_to is not None else (member_id,)
    return f"SELECT {_COLUMNS}{bound} FROM {_FROM} WHERE m.id = ?", params


async def get_in(tx: Tx, member_id: int) -> Member | None:
    row = await tx.fetchone(f"SELECT {_COLUMNS} FROM {_FROM} WHERE m.id = ?", (member_id,))
    return member_from_row(row) if row else None


async def get(db: Database, member_id: int) -> Member | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM {_FROM} WHERE m.id = ?", (member_id,))
    return member_from_row(row) if row else None


async def get_row(db: Database, member_id: int) -> Any:
    """The member's row with the contact columns (last_contact_on, contact_level …)."""
    return await db.fetchone(f"SELECT {_COLUMNS} FROM {_FROM} WHERE m.id = ?", (member_id,))


async def get_row_with_branch(db: Database, member_id: int) -> Any:
    """`get_row` plus the branch's name as `branch_name`, in one query (/me runs it on every tap)."""
    return await db.fetchone_now(f"SELECT {_COLUMNS}, o.name AS branch_name FROM {_FROM}"
                                 " LEFT JOIN orgs o ON o.id = m.branch_id WHERE m.id = ?", (member_id,))


async def list_branch(db: Database, branch_ids: Iterable[int], offset: int = 0, limit: int = 20,
                      name_like: str | None = None, active_only: bool = True) -> tuple[list[Any], int]:
    """A page of members of the given branches, ordered by name, and the total count."""
    ids = list(branch_ids)
    if not ids:
        return [], 0
    marks = ",".join("?" * len(ids))
    where = f"branch_id IN ({marks})" + (" AND active = 1" if active_only else "")
    params: list[Any] = list(ids)
    if name_like:
        where += " AND name LIKE ? ESCAPE '\\'"
        params.append("%" + name_like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    total = (await db.fetchone(f"SELECT COUNT(*) FROM members WHERE {where}", params))[0]
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM {_FROM} WHERE {where} ORDER BY m.name, m.id LIMIT ? OFFSET ?",
                             (*params, limit, offset))
    return rows, total


async def existing_id_numbers(db: Database, numbers: Iterable[str]) -> set[str]:
    nums = list(numbers)
    found: set[str] = set()
    for i in range(0, len(nums), 500):
        chunk = nums[i:i + 500]
        rows = await db.fetchall(f"SELECT id_number FROM members WHERE id_number IN ({','.join('?' * len(chunk))})",
                                 chunk)
        found.update(r[0] for r in rows)
    return found


async def record_contact(tx: Tx, member_id: int, kind: ContactKind, on: date, note: str | None = None,
                         amount: str | None = None) -> int:
    """A contact event, and the member's last-contact columns moved forward (never back).

    A contact on or after the last one puts the member back in contact (their contact_levels row goes,
    so the next crossing is told again); an older one changes nothing but the event list. Either way
    updated_at moves: the daily scan rechecks the member (a backdated contact may already be past a
    threshold, outside the scan's window)."""
    event_id, _deleted, _updated = await tx.execute_all(_contact_statements(tx, member_id, kind, on, note, amount))
    await _audit_contact(tx, event_id, member_id, kind, on, amount)
    return event_id


async def insert_with_contact(tx: Tx, insert: tuple[str, Any], audit: tuple[str, str, Any], member_id: int,
                              kind: ContactKind, on: date, note_prefix: str) -> int:
    """`insert` (one INSERT: a status report), then record_contact with the note `note_prefix` + the new
    row's id, in one hop to SQLite's thread; the new row is audited first, as (entity, action, after)
    `audit`. Returns the new row's id."""
    note = ("? || last_insert_rowid()", note_prefix)
    row_id, event_id, _deleted, _updated = await tx.execute_all(
        (insert, *_contact_statements(tx, member_id, kind, on, note, None)))
    entity, action, after = audit
    await tx.audit(entity, row_id, action, None, after)
    await _audit_contact(tx, event_id, member_id, kind, on, None)
    return row_id


def _contact_statements(tx: Tx, member_id: int, kind: ContactKind, on: date, note: str | tuple[str, str] | None,
                        amount: str | None) -> tuple[tuple[str, Any], ...]:
    """record_contact's statements; `note` may be (an SQL expression, its parameter): see insert_with_contact."""
    d = on.isoformat()
    extra = ""
    if kind is ContactKind.MEETING:
        extra = ", last_meeting_on = MAX(COALESCE(last_meeting_on, ''), :d)"
    elif kind is ContactKind.DUES:
        extra = ", last_dues_on = MAX(COALESCE(last_dues_on, ''), :d)"
    note_sql, note_value = note if isinstance(note, tuple) else ("?", note)
    params = {"d": d, "now": tx.now_iso, "id": member_id}
    return (
        ("INSERT INTO contact_events (member_id, kind, on_date, note, amount, recorded_by, created_at)"
         f" VALUES (?,?,?,{note_sql},?,?,?)", (member_id, kind.value, d, note_value, amount, tx.actor, tx.now_iso)),
        ("DELETE FROM contact_levels WHERE member_id = :id AND :d >= COALESCE((SELECT last_contact_on"
         " FROM members WHERE id = :id), '')", params),
        ("UPDATE members SET last_contact_on = MAX(COALESCE(last_contact_on, ''), :d)"
         f"{extra}, updated_at = :now WHERE id = :id", params))


async def _audit_contact(tx: Tx, event_id: int, member_id: int, kind: ContactKind, on: date,
                         amount: str | None) -> None:
    await tx.audit("contact_event", event_id, "create", None,
                   {"member_id": member_id, "kind": kind.value, "on": on.isoformat(), "amount": amount})
