"""Search attempts (联系查找) and their signers: the rows of the 联系查找情况记录表 and 全程纪实表."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.codes import SearchMethod, SearchResult
from bot.domain.events import SearchAttempt
from bot.storage.db import Database, Tx


async def insert(tx: Tx, attempt: SearchAttempt, case_id: int | None) -> int:
    """The attempt and its signers; the audit row keeps references, not the free text."""
    attempt_id = await tx.insert(
        "INSERT INTO search_attempts (case_id, member_id, on_date, method, contacted, contact_phone, narrative,"
        " result, recorded_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (case_id, attempt.member_id, attempt.on.isoformat(), attempt.method.value, attempt.contacted,
         attempt.contact_phone, attempt.narrative, attempt.result.value, tx.actor, tx.now_iso))
    await tx.executemany("INSERT INTO search_signers (attempt_id, member_id) VALUES (?, ?)",
                         [(attempt_id, s) for s in attempt.signer_ids])
    await tx.audit("search_attempt", attempt_id, "create", None,
                   {"case_id": case_id, "member_id": attempt.member_id, "on": attempt.on.isoformat(),
                    "method": attempt.method.value, "result": attempt.result.value,
                    "signer_ids": list(attempt.signer_ids), "narrative_chars": len(attempt.narrative)})
    return attempt_id


def _attempt(row: Any, signers: list[int]) -> SearchAttempt:
    return SearchAttempt(id=row["id"], case_id=row["case_id"], member_id=row["member_id"],
                         on=date.fromisoformat(row["on_date"]), method=SearchMethod(row["method"]),
                         contacted=row["contacted"], contact_phone=row["contact_phone"], narrative=row["narrative"],
                         result=SearchResult(row["result"]), signer_ids=signers)


async def signers_of(db: Database | Tx, attempt_id: int) -> list[int]:
    rows = await db.fetchall("SELECT member_id FROM search_signers WHERE attempt_id = ? ORDER BY rowid",
                             (attempt_id,))
    return [r[0] for r in rows]


async def get(db: Database | Tx, attempt_id: int) -> SearchAttempt | None:
    row = await db.fetchone("SELECT * FROM search_attempts WHERE id = ?", (attempt_id,))
    return _attempt(row, await signers_of(db, attempt_id)) if row else None


async def for_member(db: Database | Tx, member_id: int) -> list[SearchAttempt]:
    """The member's attempts in the order they were made (第一次, 第二次 …)."""
    rows = await db.fetchall("SELECT * FROM search_attempts WHERE member_id = ? ORDER BY on_date, id", (member_id,))
    return [_attempt(r, await signers_of(db, r["id"])) for r in rows]


async def for_case(db: Database | Tx, case_id: int) -> list[SearchAttempt]:
    rows = await db.fetchall("SELECT * FROM search_attempts WHERE case_id = ? ORDER BY on_date, id", (case_id,))
    return [_attempt(r, await signers_of(db, r["id"])) for r in rows]
