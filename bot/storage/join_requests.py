"""Join attempts through a branch's join link (for the throttle) and the join requests secretaries decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import utc_iso
from bot.storage.db import Database, Tx

PENDING, ACCEPTED, REFUSED, SUPERSEDED = "pending", "accepted", "refused", "superseded"


async def record_attempt(tx: Tx, branch_id: int, tg_id: int, matched: bool) -> None:
    """One identification tried (what was typed is not kept). Audited without any personal value."""
    await tx.execute("INSERT INTO join_attempts (branch_id, tg_id, at, matched) VALUES (?,?,?,?)",
                     (branch_id, tg_id, tx.now_iso, int(matched)))
    await tx.audit("join_attempt", branch_id, "try", None, {"tg_id": tg_id, "matched": matched})


async def attempts_since(db: Database | Tx, since: datetime, *, tg_id: int | None = None,
                         branch_id: int | None = None) -> int:
    """How many attempts a user (or a branch) made since `since`."""
    if tg_id is not None:
        row = await db.fetchone("SELECT COUNT(*) FROM join_attempts WHERE tg_id = ? AND at > ?",
                                (tg_id, utc_iso(since)))
    else:
        row = await db.fetchone("SELECT COUNT(*) FROM join_attempts WHERE branch_id = ? AND at > ?",
                                (branch_id, utc_iso(since)))
    return int(row[0])


async def open_request(tx: Tx, branch_id: int, member_id: int, tg_id: int) -> tuple[int, bool]:
    """The pending request of this user for this member, or a new one; returns (id, created)."""
    row = await tx.fetchone("SELECT id FROM join_requests WHERE member_id = ? AND tg_id = ? AND state = ?",
                            (member_id, tg_id, PENDING))
    if row is not None:
        return int(row[0]), False
    request_id = await tx.insert("INSERT INTO join_requests (branch_id, member_id, tg_id, state, created_at)"
                                 " VALUES (?,?,?,?,?)", (branch_id, member_id, tg_id, PENDING, tx.now_iso))
    await tx.audit("join_request", request_id, "create", None,
                   {"branch_id": branch_id, "member_id": member_id, "tg_id": tg_id})
    return request_id, True


async def get_request(db: Database | Tx, request_id: int) -> Any:
    return await db.fetchone("SELECT id, branch_id, member_id, tg_id, state, created_at, decided_at FROM join_requests"
                             " WHERE id = ?", (request_id,))


async def decide(tx: Tx, request_id: int, state: str) -> None:
    """Close a request (accepted / refused / superseded), audited."""
    await tx.execute("UPDATE join_requests SET state = ?, decided_at = ?, decided_by = ? WHERE id = ?",
                     (state, tx.now_iso, tx.actor, request_id))
    await tx.audit("join_request", request_id, state, {"state": PENDING}, {"state": state})


async def supersede_pending(tx: Tx, member_id: int) -> list[int]:
    """Close the other pending requests for a member who is now bound; returns their user ids."""
    rows = await tx.fetchall("SELECT id, tg_id FROM join_requests WHERE member_id = ? AND state = ?",
                             (member_id, PENDING))
    for r in rows:
        await decide(tx, r[0], SUPERSEDED)
    return [int(r[1]) for r in rows]
