"""Lost-contact cases (one per member and episode) and every step taken on them (seed 004 附件4).

A case opens when the branch starts searching for a member (state 'searching'), collects the search
attempts, and walks the disposition of `bot.domain.disposition`, each step a `case_steps` row.

Columns other branches read directly in SQL (keep them):
- `cases.state`: a state string of bot.domain.disposition, 'decided' once decided;
  `cases.outcome`: the proposed, then decided, Outcome value; `cases.decided_on`: ISO date of the decision;
  `cases.outcome_variant`: 'transfer_out' (转出组织关系) or 'late_transfer' (补转) for 纳入组织管理, else NULL;
  `cases.regained_on` NOT NULL ⇔ the member was reached (经查找取得联系); `cases.unreachable_on`;
  `cases.findings` ('none' | 'unqualified' | 'violation') and `cases.findings_text`;
  death = outcome 'deceased' with state 'decided' (and `died_on`); `suspended_since` = 停止党籍 as unreachable
  (2019 rule: such a case stays open, `closed_on` NULL, until restored or removed); `restored_on`.
- `members.removed_on` / `members.removal_outcome` (with `active` = 0): off the active roster, kept in the archive.

For the forms (纪实表, 记录表): `steps_of(db, case_id)` returns every step in order as `CaseStep`s:
`step` (name: 'reached', 'unreachable', 'findings', 'branch_proposal', 'committee_prereview',
'dept_prereview', 'general_meeting', 'committee_approval', 'dept_approval', 'restore', 'death'),
`round` (1 for the first proposal's chain, 2 after a rejection …; 0 before any proposal), `role` (Role or
None for the operator), `tg_id`, `org_id`, `on` (date), `opinion` (text ≤ 2,000), `decision` ('approve' or
'reject'), `outcome`, and `votes` (a disposition.Votes: 应到 / 实到 / 赞成, for 'general_meeting' only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import LostContactReason, Outcome, Role, SpecialStatus
from bot.domain.disposition import Findings, Votes
from bot.storage import members as member_repo
from bot.storage.db import Database, Tx


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
    unreachable_on: date | None = None
    findings: Findings | None = None
    findings_text: str | None = None
    outcome_variant: str | None = None
    decided_on: date | None = None
    restored_on: date | None = None
    died_on: date | None = None

    @property
    def is_open(self) -> bool:
        """Still in the branch's hands: not closed (a 2019 suspension stays open until restored or removed)."""
        return self.closed_on is None

    @property
    def reached(self) -> bool:
        return self.regained_on is not None


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
    step: str | None = None
    round: int = 0
    tg_id: int | None = None
    role: Role | None = None
    org_id: int | None = None
    votes: Votes | None = None

    @property
    def decision(self) -> str:
        return "approve" if self.approve else "reject"


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _case(row: Any) -> Case:
    keys = row.keys()
    extra = {k: row[k] for k in ("unreachable_on", "decided_on", "restored_on", "died_on") if k in keys}
    return Case(id=row["id"], member_id=row["member_id"], opened_on=date.fromisoformat(row["opened_on"]),
                state=row["state"], reason=LostContactReason(row["reason"]) if row["reason"] else None,
                reason_note=row["reason_note"], outcome=Outcome(row["outcome"]) if row["outcome"] else None,
                regained_on=_d(row["regained_on"]), suspended_since=_d(row["suspended_since"]),
                closed_on=_d(row["closed_on"]), findings=Findings(row["findings"]) if row["findings"] else None,
                findings_text=row["findings_text"], outcome_variant=row["outcome_variant"],
                **{k: _d(v) for k, v in extra.items()})


def _view(c: Case) -> dict[str, Any]:
    """The audit trail's view of a case: states, codes and dates (the findings text only by its length)."""
    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None
    return {"member_id": c.member_id, "state": c.state, "outcome": c.outcome.value if c.outcome else None,
            "variant": c.outcome_variant, "opened_on": iso(c.opened_on), "regained_on": iso(c.regained_on),
            "unreachable_on": iso(c.unreachable_on), "findings": c.findings.value if c.findings else None,
            "findings_chars": len(c.findings_text or ""), "suspended_since": iso(c.suspended_since),
            "decided_on": iso(c.decided_on), "restored_on": iso(c.restored_on), "died_on": iso(c.died_on),
            "closed_on": iso(c.closed_on)}


async def get(db: Database | Tx, case_id: int) -> Case | None:
    row = await db.fetchone("SELECT * FROM cases WHERE id = ?", (case_id,))
    return _case(row) if row else None


async def for_member(db: Database | Tx, member_id: int) -> list[Case]:
    """Every case of the member, newest first."""
    rows = await db.fetchall("SELECT * FROM cases WHERE member_id = ? ORDER BY id DESC", (member_id,))
    return [_case(r) for r in rows]


async def open_case_of(db: Database | Tx, member_id: int) -> Case | None:
    """The member's case still in progress (not closed), if any."""
    row = await db.fetchone("SELECT * FROM cases WHERE member_id = ? AND closed_on IS NULL ORDER BY id DESC LIMIT 1",
                            (member_id,))
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


# Columns a step may change, and how each is written.
_COLUMNS = ("state", "outcome", "outcome_variant", "regained_on", "unreachable_on", "findings", "findings_text",
            "suspended_since", "decided_on", "restored_on", "died_on", "closed_on")


def _sql_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


async def update(tx: Tx, case_id: int, action: str, **changes: Any) -> Case:
    """Change the named columns of a case (None clears one), with one audit row (before/after)."""
    bad = set(changes) - set(_COLUMNS)
    if bad:
        raise ValueError(sorted(bad))
    if "state" in changes and changes["state"] not in disposition.STATES:
        raise ValueError(changes["state"])
    before = await get(tx, case_id)
    assert before is not None, case_id
    sets = ", ".join(f"{k} = ?" for k in changes)
    await tx.execute(f"UPDATE cases SET {sets} WHERE id = ?", (*(_sql_value(v) for v in changes.values()), case_id))
    after = await get(tx, case_id)
    assert after is not None
    await tx.audit("case", case_id, action, _view(before), _view(after))
    return after


async def set_state(tx: Tx, case_id: int, state: str, outcome: Outcome | None = None,
                    closed_on: date | None = None, suspended_since: date | None = None) -> Case:
    """Move a case to `state` (keeping the outcome, closing date and suspension unless new ones are given)."""
    changes: dict[str, Any] = {"state": state}
    for key, value in (("outcome", outcome), ("closed_on", closed_on), ("suspended_since", suspended_since)):
        if value is not None:
            changes[key] = value
    return await update(tx, case_id, "state", **changes)


async def mark_reached(tx: Tx, case_id: int, regained_on: date) -> Case:
    """经查找取得联系: the case moves to 'reached' (its findings and outcome come next), chain abandoned; a
    'reached' step row records it (who: the transaction's actor)."""
    before = await get(tx, case_id)
    assert before is not None, case_id
    after = await update(tx, case_id, "reached", state=disposition.REACHED, regained_on=regained_on, outcome=None,
                         outcome_variant=None)
    await add_step(tx, case_id, before.state, after.state, None, True, None, tx.actor, regained_on,
                   step=disposition.S_REACHED)
    return after


close_regained = mark_reached   # the name bot.services.records used before the disposition workflow


async def current_round(db: Database | Tx, case_id: int) -> int:
    row = await db.fetchone("SELECT COALESCE(MAX(round), 0) FROM case_steps WHERE case_id = ?", (case_id,))
    return int(row[0])


async def add_step(tx: Tx, case_id: int, from_state: str, to_state: str, outcome: Outcome | None, approve: bool,
                   opinion: str | None, actor: str, on: date, *, step: str | None = None, role: Role | None = None,
                   tg_id: int | None = None, org_id: int | None = None, votes: Votes | None = None) -> int:
    """One step (支委会意见, 党委预审, 党员大会决议 …), kept for the 全程纪实表. A proposal starts a new round.

    The audit row keeps the step, the decision and the opinion's length (the text itself is in the row)."""
    current = await current_round(tx, case_id)
    rnd = current + 1 if step == disposition.S_PROPOSAL else current
    step_id = await tx.insert(
        "INSERT INTO case_steps (case_id, from_state, to_state, outcome, approve, opinion, actor, on_date, created_at,"
        " step, round, tg_id, role, org_id, votes_entitled, votes_present, votes_for)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (case_id, from_state, to_state, outcome.value if outcome else None, 1 if approve else 0, opinion, actor,
         on.isoformat(), tx.now_iso, step, rnd, tg_id, role.value if role else None, org_id,
         votes.entitled if votes else None, votes.present if votes else None, votes.in_favour if votes else None))
    await tx.audit("case_step", step_id, "create", None,
                   {"case_id": case_id, "step": step, "round": rnd, "from": from_state, "to": to_state,
                    "outcome": outcome.value if outcome else None, "approve": approve, "on": on.isoformat(),
                    "role": role.value if role else None, "org_id": org_id, "opinion_chars": len(opinion or ""),
                    "votes": [votes.entitled, votes.present, votes.in_favour] if votes else None})
    return step_id


def _step(r: Any) -> CaseStep:
    votes = Votes(r["votes_entitled"], r["votes_present"], r["votes_for"]) if r["votes_entitled"] is not None else None
    return CaseStep(id=r["id"], case_id=r["case_id"], from_state=r["from_state"], to_state=r["to_state"],
                    outcome=Outcome(r["outcome"]) if r["outcome"] else None, approve=bool(r["approve"]),
                    opinion=r["opinion"], actor=r["actor"], on=date.fromisoformat(r["on_date"]), step=r["step"],
                    round=r["round"], tg_id=r["tg_id"], role=Role(r["role"]) if r["role"] else None,
                    org_id=r["org_id"], votes=votes)


async def steps_of(db: Database | Tx, case_id: int) -> list[CaseStep]:
    """Every step of the case in the order taken (see the module docstring for what each carries)."""
    rows = await db.fetchall("SELECT * FROM case_steps WHERE case_id = ? ORDER BY id", (case_id,))
    return [_step(r) for r in rows]


async def steps(db: Database | Tx, case_id: int) -> list[CaseStep]:
    """The steps by date (the older name, kept for callers)."""
    return sorted(await steps_of(db, case_id), key=lambda s: (s.on, s.id))


async def signed_attempts(db: Database | Tx, case_id: int) -> int:
    """Search attempts on this case signed by two or more members (the signers are checked full members)."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM search_attempts a WHERE a.case_id = ?"
        " AND (SELECT COUNT(*) FROM search_signers s WHERE s.attempt_id = a.id) >= 2", (case_id,))
    return int(row[0])


# --- the member's status after a decision ----------------------------------------------------------------

HOLDS = (SpecialStatus.RELATIONSHIP_RETAINED, SpecialStatus.MEMBERSHIP_SUSPENDED)

async def apply_to_member(tx: Tx, member_id: int, outcome: Outcome, on: date) -> None:
    """The decision's effect on the member: off the active roster (kept in the archive with the outcome),
    and/or a 特殊状态 added to the record."""
    effect = disposition.effect_of(outcome)
    if effect.special_status is not None:
        await _set_special(tx, member_id, effect.special_status, add=True)
    if effect.special_status in HOLDS:
        # Off the contact scan (no 失控/失联 flags, no new case) while the 特殊状态 lasts.
        await tx.execute("UPDATE members SET status_hold = ?, updated_at = ? WHERE id = ?",
                         (effect.special_status.value, tx.now_iso, member_id))
    if effect.removed:
        await tx.execute("UPDATE members SET active = 0, removed_on = ?, removal_outcome = ?, updated_at = ?"
                         " WHERE id = ?", (on.isoformat(), outcome.value, tx.now_iso, member_id))
        await tx.audit("member", member_id, "removed", None, {"removed_on": on.isoformat(), "outcome": outcome.value})


async def lift_special(tx: Tx, member_id: int, status: SpecialStatus) -> None:
    """The 特殊状态 ends (停止党籍 lifted on restoring): back on the contact scan."""
    await _set_special(tx, member_id, status, add=False)
    # updated_at: the windowed daily scan rechecks members changed since its last run, so a restored member
    # whose last contact is long past is flagged again at once rather than never.
    await tx.execute("UPDATE members SET status_hold = NULL, updated_at = ? WHERE id = ? AND status_hold = ?",
                     (tx.now_iso, member_id, status.value))


async def _set_special(tx: Tx, member_id: int, status: SpecialStatus, add: bool) -> None:
    """Add or lift one 特殊状态 in the record JSON; the audit row names the statuses only (no personal data)."""
    member = await member_repo.get_in(tx, member_id)
    assert member is not None, member_id
    statuses = [s for s in member.special_statuses if s is not status] + ([status] if add else [])
    if statuses == member.special_statuses:
        return
    values = [s.value for s in statuses]
    await tx.execute("UPDATE members SET record = json_set(record, '$.special_statuses', json(?)), updated_at = ?"
                     " WHERE id = ?", (json.dumps(values), tx.now_iso, member_id))
    await tx.audit("member", member_id, "special_status", {"special_statuses": [s.value for s in member.special_statuses]},
                   {"special_statuses": values})


async def latest_abroad_purpose(db: Database | Tx, member_id: int) -> str | None:
    """The purpose of the member's latest abroad report (status_reports of kind 'abroad'), if any."""
    row = await db.fetchone("SELECT details FROM status_reports WHERE member_id = ? AND kind = 'abroad'"
                            " ORDER BY on_date DESC, id DESC LIMIT 1", (member_id,))
    if row is None:
        return None
    return json.loads(row[0]).get("purpose") or "other"


# --- lists ----------------------------------------------------------------------------------------------

async def list_in(db: Database | Tx, branch_ids: list[int], state: str | None = None,
                  open_only: bool = False) -> list[Any]:
    """Cases of members of these branches with the member's name and branch, the case's last activity
    (its opening, latest search attempt or latest step) and the number of attempts. Newest activity last."""
    if not branch_ids:
        return []
    marks = ",".join("?" * len(branch_ids))
    where = f"m.branch_id IN ({marks})"
    params: list[Any] = list(branch_ids)
    if state:
        where += " AND c.state = ?"
        params.append(state)
    if open_only:
        where += " AND c.closed_on IS NULL"
    return await db.fetchall(
        "SELECT c.*, m.name AS member_name, m.branch_id, o.name AS branch_name, m.last_contact_on,"
        " (SELECT COUNT(*) FROM search_attempts s WHERE s.case_id = c.id) AS attempts,"
        " MAX(c.opened_on, COALESCE((SELECT MAX(s.on_date) FROM search_attempts s WHERE s.case_id = c.id), ''),"
        "     COALESCE((SELECT MAX(t.on_date) FROM case_steps t WHERE t.case_id = c.id), '')) AS last_activity"
        f" FROM cases c JOIN members m ON m.id = c.member_id JOIN orgs o ON o.id = m.branch_id WHERE {where}"
        " ORDER BY last_activity, c.id", params)


async def voters_on_roll(db: Database | Tx, branch_id: int) -> int:
    """Full members of the branch with voting rights: active, full, not under 停止党籍."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM members m WHERE m.branch_id = ? AND m.active = 1 AND m.member_type = 'full'"
        " AND NOT EXISTS (SELECT 1 FROM json_each(m.record, '$.special_statuses') j"
        " WHERE j.value = 'membership_suspended')", (branch_id,))
    return int(row[0])


async def role_holders(db: Database | Tx, org_id: int, roles: tuple[Role, ...]) -> list[Any]:
    """(tg_id, locale) of the users holding one of `roles` on exactly this node and not blocked."""
    marks = ",".join("?" * len(roles))
    return await db.fetchall(
        "SELECT r.tg_id, COALESCE(u.locale, u.lang_code) AS locale FROM roles r JOIN users u ON u.tg_id = r.tg_id"
        f" WHERE r.org_id = ? AND r.role IN ({marks}) AND u.blocked_at IS NULL ORDER BY r.tg_id",
        (org_id, *(r.value for r in roles)))
