"""Transfers out of the organizational relationship (四个清楚) and their 回执."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from bot.domain.codes import TransferKind
from bot.domain.events import Transfer
from bot.domain.phone import mask_mobile
from bot.storage.db import Database, Tx


def _transfer(row: Any) -> Transfer:
    return Transfer(id=row["id"], member_id=row["member_id"], kind=TransferKind(row["kind"]), to_org=row["to_org"],
                    destination=row["destination"], phone=row["phone"], wechat=row["wechat"],
                    backup_name=row["backup_name"], backup_phone=row["backup_phone"],
                    sent_on=date.fromisoformat(row["sent_on"]),
                    receipt_on=date.fromisoformat(row["receipt_on"]) if row["receipt_on"] else None,
                    receipt_note=row["receipt_note"])


def audit_view(t: Transfer) -> dict[str, Any]:
    """References and masked phones only."""
    return {"member_id": t.member_id, "kind": t.kind.value, "to_org": t.to_org, "sent_on": t.sent_on.isoformat(),
            "phone": mask_mobile(t.phone), "backup_phone": mask_mobile(t.backup_phone),
            "receipt_on": t.receipt_on.isoformat() if t.receipt_on else None}


async def insert(tx: Tx, t: Transfer) -> int:
    transfer_id = await tx.insert(
        "INSERT INTO transfers (member_id, kind, to_org, destination, phone, wechat, backup_name, backup_phone,"
        " sent_on, receipt_on, receipt_note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (t.member_id, t.kind.value, t.to_org, t.destination, t.phone, t.wechat, t.backup_name, t.backup_phone,
         t.sent_on.isoformat(), t.receipt_on.isoformat() if t.receipt_on else None, t.receipt_note, tx.now_iso))
    await tx.audit("transfer", transfer_id, "create", None, audit_view(t))
    return transfer_id


async def get(db: Database | Tx, transfer_id: int) -> Transfer | None:
    row = await db.fetchone("SELECT * FROM transfers WHERE id = ?", (transfer_id,))
    return _transfer(row) if row else None


async def record_receipt(tx: Tx, transfer_id: int, on: date, note: str | None = None) -> Transfer:
    before = await get(tx, transfer_id)
    assert before is not None, transfer_id
    await tx.execute("UPDATE transfers SET receipt_on = ?, receipt_note = ? WHERE id = ?",
                     (on.isoformat(), note, transfer_id))
    after = await get(tx, transfer_id)
    assert after is not None
    await tx.audit("transfer", transfer_id, "receipt", audit_view(before), audit_view(after))
    return after


async def for_member(db: Database | Tx, member_id: int) -> list[Transfer]:
    rows = await db.fetchall("SELECT * FROM transfers WHERE member_id = ? ORDER BY sent_on DESC, id DESC",
                             (member_id,))
    return [_transfer(r) for r in rows]


async def without_receipt(db: Database | Tx, branch_ids: Iterable[int], offset: int = 0,
                          limit: int = 20) -> tuple[list[tuple[Transfer, str, int]], int]:
    """Transfers out still waiting for their 回执 (口袋党员 risk), oldest first:
    a page of (transfer, member name, branch id) and the total."""
    ids = list(branch_ids)
    if not ids:
        return [], 0
    marks = ",".join("?" * len(ids))
    where = f"t.receipt_on IS NULL AND m.branch_id IN ({marks})"
    total = (await db.fetchone(f"SELECT COUNT(*) FROM transfers t JOIN members m ON m.id = t.member_id"
                               f" WHERE {where}", ids))[0]
    rows = await db.fetchall(
        f"SELECT t.*, m.name AS member_name, m.branch_id AS member_branch FROM transfers t"
        f" JOIN members m ON m.id = t.member_id WHERE {where} ORDER BY t.sent_on, t.id LIMIT ? OFFSET ?",
        (*ids, limit, offset))
    return [(_transfer(r), r["member_name"], r["member_branch"]) for r in rows], total


async def mark_landed(tx: Tx, member_id: int) -> None:
    """A permanent transfer has landed: the member leaves this branch's active register."""
    await tx.execute("UPDATE members SET active = 0, updated_at = ? WHERE id = ?", (tx.now_iso, member_id))
    await tx.audit("member", member_id, "transferred_out", {"active": 1}, {"active": 0})
