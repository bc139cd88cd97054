"""Lost-contact cases (one per member and episode) and their approval steps (seed 004 附件4).

A case opens when the branch starts searching for a member (state 'searching'), collects the search
attempts, and either closes as regained (经查找取得联系) or walks the disposition chain of
`bot.domain.disposition`, each decision a `case_steps` row: who decided, when, with what opinion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import LostContactReason, Outcome
from bot.storage.db import Database, Tx

_FINAL_STATES = (disposition.REGAINED, disposition.CLOSED)


@dataclass(frozen=True)
class Case:
    id: int
    member_id: int
    opened_on: date
    state: str
    reason: LostContactReason | None
    reason_note: str | None
    outcome: Outcome | None
    regained_on: date | None
    suspended_since: date | None
    closed_on: date | None

    @property
    def is_open(self) -> bool:
        return self.closed_on is None and self.state not in _FINAL_STATES


@dataclass(frozen=True)
class CaseStep:
    id: int
    case_id: int
    from_state: str
    to_state: str
    outcome: Outcome | None
    approve: bool
    opinion: str | None
    actor: str
    on: date


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _case(row: Any) -> Case:
    return Case(id=row["id"], member_id=row["member_id"], opened_on=date.fromisoformat(row["opened_on"]),
                state=row["state"], reason=LostContactReason(row["reason"]) if row["reason"] else None,
                reason_note=row["reason_note"], outcome=Outcome(row["outcome"]) if row["outcome"] else None,
                regained_on=_d(row["regained_on"]), suspended_since=_d(row["suspended_since"]),
                closed_on=_d(row["closed_on"]))


def _view(c: Case) -> dict[str, Any]:
    return {"member_id": c.member_id, "state": c.state, "outcome": c.outcome.value if c.outcome else None,
            "opened_on": c.opened_on.isoformat(), "regained_on": c.regained_on.isoformat() if c.regained_on else None,
            "closed_on": c.closed_on.isoformat() if c.closed_on else None}


async def get(db: Database | Tx, case_id: int) -> Case | None:
    row = await db.fetchone("SELECT * FROM cases WHERE id = ?", (case_id,))
    return _case(row) if row else None


async def for_member(db: Database | Tx, member_id: int) -> list[Case]:
    """Every case of the member, newest first."""
    rows = await db.fetchall("SELECT * FROM cases WHERE member_id = ? ORDER BY id DESC", (member_id,))
    return [_case(r) for r in rows]


async def open_case_of(db: Database | Tx, member_id: int) -> Case | None:
    """The member's case still in progress (not regained, not closed), if any."""
    row = await db.fetchone(
        "SELECT * FROM cases WHERE member_id = ? AND closed_on IS NULL AND state NOT IN (?, ?)"
        " ORDER BY id DESC LIMIT 1", (member_id, *_FINAL_STATES))
    return _case(row) if row else None


async def open_case(tx: Tx, member_id: int, opened_on: date, reason: LostContactReason | None = None,
                    reason_note: str | None = None) -> int:
    """A new case in the searching state."""
    case_id = await tx.insert(
        "INSERT INTO cases (member_id, opened_on, reason, reason_note, state, created_at) VALUES (?,?,?,?,?,?)",
        (member_id, opened_on.isoformat(), reason.value if reason else None, reason_note, disposition.SEARCHING,
         tx.now_iso))
    await tx.audit("case", case_id, "open", None,
                   {"member_id": member_id, "state": disposition.SEARCHING, "opened_on": opened_on.isoformat(),
                    "reason": reason.value if reason else None})
    return case_id


async def ensure_open_case(tx: Tx, member_id: int, on: date) -> tuple[int, bool]:
    """The member's open case, or a new one opened on `on`; (case id, whether it was opened now)."""
    existing = await open_case_of(tx, member_id)
    if existing is not None:
        return existing.id, False
    return await open_case(tx, member_id, on), True


async def set_state(tx: Tx, case_id: int, state: str, outcome: Outcome | None = None,
                    closed_on: date | None = None, suspended_since: date | None = None) -> Case:
    """Move a case to `state` (keeping the outcome unless a new one is given)."""
    before = await get(tx, case_id)
    assert before is not None, case_id
    if state not in disposition.STATES:
        raise ValueError(state)
    await tx.execute(
        "UPDATE cases SET state = ?, outcome = COALESCE(?, outcome), closed_on = COALESCE(?, closed_on),"
        " suspended_since = COALESCE(?, suspended_since) WHERE id = ?",
        (state, outcome.value if outcome else None, closed_on.isoformat() if closed_on else None,
         suspended_since.isoformat() if suspended_since else None, case_id))
    after = await get(tx, case_id)
    assert after is not None
    await tx.audit("case", case_id, "state", _view(before), _view(after))
    return after


async def close_regained(tx: Tx, case_id: int, regained_on: date) -> Case:
    """经查找取得联系: the case ends as regained on that date."""
    before = await get(tx, case_id)
    assert before is not None, case_id
    d = regained_on.isoformat()
    await tx.execute("UPDATE cases SET state = ?, regained_on = ?, closed_on = ? WHERE id = ?",
                     (disposition.REGAINED, d, d, case_id))
    after = await get(tx, case_id)
    assert after is not None
    await tx.audit("case", case_id, "regained", _view(before), _view(after))
    return after


async def add_step(tx: Tx, case_id: int, from_state: str, to_state: str, outcome: Outcome | None, approve: bool,
                   opinion: str | None, actor: str, on: date) -> int:
    """One decision of the approval chain (支委会意见, 党委预审, 党员大会决议 …), kept for the 全程纪实表."""
    step_id = await tx.insert(
        "INSERT INTO case_steps (case_id, from_state, to_state, outcome, approve, opinion, actor, on_date,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (case_id, from_state, to_state, outcome.value if outcome else None, 1 if approve else 0, opinion, actor,
         on.isoformat(), tx.now_iso))
    await tx.audit("case_step", step_id, "create", None,
                   {"case_id": case_id, "from": from_state, "to": to_state,
                    "outcome": outcome.value if outcome else None, "approve": approve, "on": on.isoformat()})
    return step_id


async def steps(db: Database | Tx, case_id: int) -> list[CaseStep]:
    rows = await db.fetchall("SELECT * FROM case_steps WHERE case_id = ? ORDER BY on_date, id", (case_id,))
    return [CaseStep(id=r["id"], case_id=r["case_id"], from_state=r["from_state"], to_state=r["to_state"],
                     outcome=Outcome(r["outcome"]) if r["outcome"] else None, approve=bool(r["approve"]),
                     opinion=r["opinion"], actor=r["actor"], on=date.fromisoformat(r["on_date"])) for r in rows]
