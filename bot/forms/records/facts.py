"""What the per-member records are filled from: the member, their search attempts (with the signers'
names), their latest lost-contact case and its approval steps — read for a list of members at once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence

from bot.domain.codes import LostContactReason, Outcome, SearchMethod, SearchResult
from bot.domain.member import Member
from bot.domain.registers import ContactHistory
from bot.forms import queries
from bot.forms.registers.common import member_of
from bot.forms.registers.lost_facts import history_of


@dataclass(frozen=True)
class Attempt:
    on: date
    method: SearchMethod
    contacted: str
    contact_phone: str | None
    narrative: str
    result: SearchResult
    signers: tuple[str, ...]


@dataclass(frozen=True)
class StepRecord:
    slot: str                 # the step's name (bot.domain.disposition: S_PROPOSAL, S_COMMITTEE_PREREVIEW …)
    approve: bool
    opinion: str | None
    outcome: Outcome | None
    on: date


@dataclass
class MemberRecord:
    member: Member
    branch_id: int
    branch_name: str
    history: ContactHistory
    attempts: list[Attempt] = field(default_factory=list)
    case_reason: LostContactReason | None = None
    case_reason_note: str | None = None
    case_outcome: Outcome | None = None
    regained_on: date | None = None
    findings_text: str | None = None                             # 失联党员表现调查核实情况
    steps: dict[str, StepRecord] = field(default_factory=dict)   # the latest decision per step name

    @property
    def name(self) -> str:
        return self.member.name


def _in(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def step_slot(step: Any) -> str | None:
    """Which line of the 纪实表 a case step fills: its chain step's name (case_steps.step, issue 10's
    disposition.S_*); a rejection fills the line of the step that rejected. Later rounds (a new proposal after a
    rejection) overwrite earlier ones, as the rows are read in order: the form shows the latest round."""
    return step["step"]


def load_records(db: queries.Reader, member_ids: Sequence[int], scope_names: dict[int, str],
                 on: date) -> list[MemberRecord]:
    """The records of these members as known on the 填表日期, in the order given."""
    out: list[MemberRecord] = []
    iso = on.isoformat()
    for i in range(0, len(member_ids), 200):
        chunk = list(member_ids[i:i + 200])
        rows = queries.member_rows(db, chunk)
        events: dict[int, list[Any]] = defaultdict(list)
        for e in db.all(f"SELECT member_id, kind, on_date FROM contact_events WHERE member_id IN ({_in(chunk)})"
                        " AND on_date <= ?", (*chunk, iso)):
            events[e["member_id"]].append(e)
        attempts: dict[int, list[Attempt]] = defaultdict(list)
        att_rows = db.all(f"SELECT * FROM search_attempts WHERE member_id IN ({_in(chunk)}) AND on_date <= ?"
                          " ORDER BY on_date, id", (*chunk, iso))
        signers: dict[int, list[str]] = defaultdict(list)
        if att_rows:
            att_ids = [a["id"] for a in att_rows]
            for s in db.all(f"SELECT s.attempt_id, m.name FROM search_signers s JOIN members m ON m.id = s.member_id"
                            f" WHERE s.attempt_id IN ({_in(att_ids)}) ORDER BY s.rowid", att_ids):
                signers[s["attempt_id"]].append(s["name"])
        for a in att_rows:
            attempts[a["member_id"]].append(Attempt(
                date.fromisoformat(a["on_date"]), SearchMethod(a["method"]), a["contacted"], a["contact_phone"],
                a["narrative"], SearchResult(a["result"]), tuple(signers[a["id"]])))
        cases = {c["member_id"]: c for c in db.all(
            f"SELECT * FROM cases WHERE member_id IN ({_in(chunk)}) AND opened_on <= ? ORDER BY id", (*chunk, iso))}
        steps: dict[int, list[Any]] = defaultdict(list)
        if cases:
            case_ids = [c["id"] for c in cases.values()]
            for s in db.all(f"SELECT * FROM case_steps WHERE case_id IN ({_in(case_ids)}) AND on_date <= ?"
                            " ORDER BY on_date, id", (*case_ids, iso)):
                steps[s["case_id"]].append(s)
        for r in rows:
            rec = MemberRecord(member_of(r), r["branch_id"], scope_names.get(r["branch_id"], ""),
                               history_of(r, events[r["id"]], on), attempts[r["id"]])
            c = cases.get(r["id"])
            if c is not None:
                rec.case_reason = LostContactReason(c["reason"]) if c["reason"] else None
                rec.case_reason_note = c["reason_note"]
                rec.case_outcome = Outcome(c["outcome"]) if c["outcome"] else None
                rec.regained_on = date.fromisoformat(c["regained_on"]) if c["regained_on"] else None
                rec.findings_text = c["findings_text"]
                for s in steps[c["id"]]:           # in order: a later round's decision replaces an earlier one
                    outcome = Outcome(s["outcome"]) if s["outcome"] else None
                    slot = step_slot(s)
                    if slot is None:
                        continue
                    rec.steps[slot] = StepRecord(slot, bool(s["approve"]), s["opinion"], outcome,
                                                 date.fromisoformat(s["on_date"]))
            out.append(rec)
    return out


def members_with(db: queries.Reader, org_id: int, table: str, on: date) -> list[int]:
    """Members of the subtree with at least one row in `table` (search_attempts / cases) by the 填表日期,
    in register order: the default list of a per-member record."""
    date_col = "on_date" if table == "search_attempts" else "opened_on"
    rows = db.all(f"{queries.SUBTREE} SELECT m.id FROM members m JOIN sub ON sub.id = m.branch_id"
                  f" WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.member_id = m.id AND t.{date_col} <= :on)"
                  " ORDER BY m.branch_id, m.name, m.id", {"org": org_id, "on": on.isoformat()})
    return [r[0] for r in rows]
