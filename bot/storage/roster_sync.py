"""The queries a roster re-import needs: who is already registered, and applying changes field by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from bot.domain.codes import LostContactReason
from bot.domain.member import Member
from bot.storage.db import Database, Tx

__all__ = ["Registered", "Tx", "apply_update", "branch_members", "by_id_numbers", "max_member_id", "new_ids_after",
           "set_case_reason"]
from bot.storage.members import _row_values, member_from_row


@dataclass(frozen=True)
class Registered:
    """A member already in the register, as a re-import compares it."""

    member: Member
    last_meeting_on: date | None
    last_dues_on: date | None
    active: bool
    open_case_id: int | None
    open_case_reason: LostContactReason | None


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


_SELECT = ("SELECT m.id, m.branch_id, m.record, m.active, m.last_meeting_on, m.last_dues_on,"
           " (SELECT c.id FROM cases c WHERE c.member_id = m.id AND c.closed_on IS NULL"
           "  AND c.state NOT IN ('regained', 'closed') ORDER BY c.id DESC LIMIT 1) AS case_id,"
           " (SELECT c.reason FROM cases c WHERE c.member_id = m.id AND c.closed_on IS NULL"
           "  AND c.state NOT IN ('regained', 'closed') ORDER BY c.id DESC LIMIT 1) AS case_reason"
           " FROM members m")


def _registered(row: Any) -> Registered:
    return Registered(member_from_row(row), _d(row["last_meeting_on"]), _d(row["last_dues_on"]), bool(row["active"]),
                      row["case_id"], LostContactReason(row["case_reason"]) if row["case_reason"] else None)


async def branch_members(db: Database | Tx, branch_id: int) -> list[Registered]:
    """Every member of the branch, active or not, with their open lost-contact case if any."""
    rows = await db.fetchall(f"{_SELECT} WHERE m.branch_id = ? ORDER BY m.id", (branch_id,))
    return [_registered(r) for r in rows]


async def by_id_numbers(db: Database | Tx, numbers: Iterable[str]) -> dict[str, Registered]:
    """Members of any branch holding these ID numbers, by ID number."""
    nums = list(numbers)
    found: dict[str, Registered] = {}
    for i in range(0, len(nums), 500):
        chunk = nums[i:i + 500]
        rows = await db.fetchall(f"{_SELECT} WHERE m.id_number IN ({','.join('?' * len(chunk))})", chunk)
        for r in rows:
            reg = _registered(r)
            found[reg.member.id_number or ""] = reg
    return found


async def new_ids_after(tx: Tx, last_id: int) -> list[int]:
    """Ids inserted after `last_id`, in order (`members.insert_many` numbers its rows in the order given)."""
    rows = await tx.fetchall("SELECT id FROM members WHERE id > ? ORDER BY id", (last_id,))
    return [r[0] for r in rows]


async def max_member_id(tx: Tx) -> int:
    row = await tx.fetchone("SELECT COALESCE(MAX(id), 0) FROM members")
    return int(row[0])


async def apply_update(tx: Tx, member: Member, changes: list[tuple[str, Any, Any]], meeting: date | None,
                       dues: date | None) -> None:
    """Store the updated member, one audit row per changed field ((field, before, after), already masked).

    The last 组织生活 / 党费 dates only move forward, like `members.record_contact`.
    """
    assert member.id is not None
    await tx.execute(
        "UPDATE members SET branch_id=?, name=?, id_number=?, mobile=?, member_type=?, birth_date=?, record=?,"
        " is_flow=?, officer_id=?, updated_at=? WHERE id=?", (*_row_values(member), tx.now_iso, member.id))
    for d, column in ((meeting, "last_meeting_on"), (dues, "last_dues_on")):
        if d is not None:
            iso = d.isoformat()
            await tx.execute(
                f"UPDATE members SET {column} = MAX(COALESCE({column}, ''), :d),"
                " last_contact_on = MAX(COALESCE(last_contact_on, ''), :d) WHERE id = :id",
                {"d": iso, "id": member.id})
    await tx.audit_many([("member", member.id, "import_update", {name: before}, {name: after})
                         for name, before, after in changes])


async def set_case_reason(tx: Tx, case_id: int, reason: LostContactReason, before: LostContactReason | None) -> None:
    """The 失去联系情形 of an open case, as a re-imported 失联 register states it."""
    await tx.execute("UPDATE cases SET reason = ? WHERE id = ?", (reason.value, case_id))
    await tx.audit("case", case_id, "reason", {"reason": before.value if before else None}, {"reason": reason.value})
