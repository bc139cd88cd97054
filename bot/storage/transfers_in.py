"""Transfers IN of the organizational relationship (组织关系转入) and the 回执 sent back for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.storage import orgs as org_repo
from bot.storage.db import Database, Tx


@dataclass(frozen=True)
class TransferIn:
    id: int | None
    member_id: int
    received_on: date                 # the day the relationship arrived here
    from_org: str                     # the organization it came from
    province: str                     # that organization's province
    receipt_sent_on: date | None      # 回执 sent back to it
    note: str | None = None


def audit_view(t: TransferIn) -> dict[str, Any]:
    return {"member_id": t.member_id, "received_on": t.received_on.isoformat(), "from_org": t.from_org,
            "province": t.province, "receipt_sent_on": t.receipt_sent_on.isoformat() if t.receipt_sent_on else None}


def _row(r: Any) -> TransferIn:
    return TransferIn(id=r["id"], member_id=r["member_id"], received_on=date.fromisoformat(r["received_on"]),
                      from_org=r["from_org"], province=r["province"],
                      receipt_sent_on=date.fromisoformat(r["receipt_sent_on"]) if r["receipt_sent_on"] else None,
                      note=r["note"])


async def insert(tx: Tx, t: TransferIn) -> int:
    new_id = await tx.insert(
        "INSERT INTO transfers_in (member_id, received_on, from_org, province, receipt_sent_on, note, recorded_by,"
        " created_at) VALUES (?,?,?,?,?,?,?,?)",
        (t.member_id, t.received_on.isoformat(), t.from_org, t.province,
         t.receipt_sent_on.isoformat() if t.receipt_sent_on else None, t.note, tx.actor, tx.now_iso))
    await tx.audit("transfer_in", new_id, "create", None, audit_view(t))
    return new_id


async def get(db: Database | Tx, transfer_id: int) -> TransferIn | None:
    row = await db.fetchone("SELECT * FROM transfers_in WHERE id = ?", (transfer_id,))
    return _row(row) if row else None


async def record_receipt_sent(tx: Tx, transfer_id: int, on: date) -> TransferIn:
    before = await get(tx, transfer_id)
    assert before is not None, transfer_id
    await tx.execute("UPDATE transfers_in SET receipt_sent_on = ? WHERE id = ?", (on.isoformat(), transfer_id))
    after = await get(tx, transfer_id)
    assert after is not None
    await tx.audit("transfer_in", transfer_id, "receipt_sent", audit_view(before), audit_view(after))
    return after


async def for_member(db: Database | Tx, member_id: int) -> list[TransferIn]:
    rows = await db.fetchall("SELECT * FROM transfers_in WHERE member_id = ? ORDER BY received_on DESC, id DESC",
                             (member_id,))
    return [_row(r) for r in rows]


async def set_out_province(tx: Tx, transfer_id: int, province: str) -> None:
    """The province of a transfer out's receiving organization (省内 / 省外 on the 回执 table)."""
    await tx.execute("UPDATE transfers SET province = ? WHERE id = ?", (province, transfer_id))
    await tx.audit("transfer", transfer_id, "province", None, {"province": province})


async def province_lookup(db: Database | Tx, org_id: int) -> str | None:
    """The node's province setting, or the nearest one above it (a committee sets it for its subtree)."""
    for node in await org_repo.ancestors(db, org_id):
        value = (await org_repo.get_settings(db, node)).get("province")
        if value:
            return value
    return None
