"""The facts the lost-contact registers are filled from, read for a whole subtree in a few queries:
the candidates (members 失联 on the 填表日期, or with a contact in the period that may have ended a 失联
gap), their contact history up to the 填表日期, their latest case and how many searches were logged.

The membership rules themselves are pure and live in `bot.domain.registers`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterator

from bot.domain import disposition
from bot.domain.codes import LostContactReason, Outcome
from bot.domain.member import Member
from bot.domain.registers import ContactHistory, lost_cutoff
from bot.forms import queries
from bot.forms.registers.common import member_of

OFFICIAL_KINDS = ("meeting", "dues")


@dataclass(frozen=True)
class CaseFacts:
    state: str
    reason: LostContactReason | None
    reason_note: str | None
    outcome: Outcome | None
    decided_on: date | None = None
    regained_on: date | None = None     # 经查找取得联系, as the case records it

    def deceased_by(self, on: date) -> bool:
        """确认已死亡 decided by `on`: such a member is counted in column X of 统计表 A–X, never as one who
        cannot be reached — on the registers as in 附件6 (bot.forms.summary.sql.UNREACHABLE)."""
        return self.outcome is Outcome.DECEASED and self.decided_on is not None and self.decided_on <= on


@dataclass(frozen=True)
class LostFacts:
    member: Member
    branch_id: int
    history: ContactHistory
    case: CaseFacts | None
    attempts: int                     # search attempts logged up to the 填表日期


def _candidates_where() -> str:
    # On the register (or taken off it by their case's outcome, which 附件7 counts), and either 失联 on the
    # 填表日期 by the baseline the scan uses, or with a contact in the period (a possible regain).
    base = f"COALESCE({queries_contact('m.last_contact_on')}, substr(m.created_at, 1, 10))"
    return ("(m.active = 1 OR EXISTS (SELECT 1 FROM cases c WHERE c.member_id = m.id AND c.outcome IS NOT NULL))"
            f" AND ({base} < :cutoff OR EXISTS (SELECT 1 FROM contact_events e WHERE e.member_id = m.id"
            " AND e.on_date >= :since AND e.on_date <= :on))")


def queries_contact(column: str) -> str:
    """A member's last contact on or before :on: the register column when not later, else the latest event."""
    return (f"CASE WHEN {column} <= :on THEN {column} ELSE (SELECT MAX(e.on_date) FROM contact_events e"
            f" WHERE e.member_id = m.id AND e.on_date <= :on) END")


def _by_member(db: queries.Reader, sql: str, ids: list[int], params: tuple = ()) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.all(sql.format(marks=marks), (*chunk, *params)):
            out[r["member_id"]].append(r)
    return out


def lost_facts(db: queries.Reader, org_id: int, on: date, since: date) -> Iterator[LostFacts]:
    """Every candidate of the subtree with its facts, in register order (branch, name)."""
    params = {"on": on.isoformat(), "since": since.isoformat(), "cutoff": lost_cutoff(on).isoformat()}
    rows = list(queries.members(db, org_id, _candidates_where(), params))
    ids = [r["id"] for r in rows]
    events = _by_member(db, "SELECT member_id, kind, on_date FROM contact_events WHERE member_id IN ({marks})"
                        " AND on_date <= ?", ids, (on.isoformat(),))
    cases = _by_member(db, "SELECT member_id, state, reason, reason_note, outcome, decided_on, regained_on FROM cases"
                       " WHERE member_id IN ({marks}) AND opened_on <= ? ORDER BY id", ids, (on.isoformat(),))
    attempts = _by_member(db, "SELECT member_id, COUNT(*) AS n FROM search_attempts WHERE member_id IN ({marks})"
                          " AND on_date <= ? GROUP BY member_id", ids, (on.isoformat(),))
    for r in rows:
        case = _case(cases.get(r["id"]))
        history = history_of(r, events.get(r["id"], []), on)
        if case is not None and case.regained_on is not None and case.regained_on <= on:
            # The case's 取得联系 is contact even where no contact event carries it (a paper record entered
            # on the case alone): 附件6 reads it the same way (bot.forms.summary.sql.UNREACHABLE).
            history = ContactHistory.of([*history.contacts, case.regained_on], list(history.official),
                                        history.entered_on)
        yield LostFacts(member_of(r), r["branch_id"], history, case,
                        attempts[r["id"]][0]["n"] if r["id"] in attempts else 0)


def history_of(row: Any, events: list[Any], on: date) -> ContactHistory:
    """Logged events up to the 填表日期 plus the register's own last-contact columns when not later than it
    (an imported roster's 最近参加组织生活日期 is a contact with no event row)."""
    iso = on.isoformat()
    contacts = [date.fromisoformat(e["on_date"]) for e in events]
    official = [date.fromisoformat(e["on_date"]) for e in events if e["kind"] in OFFICIAL_KINDS]
    for column, is_official in (("last_contact_on", False), ("last_meeting_on", True), ("last_dues_on", True)):
        value = row[column]
        if value and value <= iso:
            d = date.fromisoformat(value)
            contacts.append(d)
            if is_official:
                official.append(d)
    return ContactHistory.of(contacts, official, queries.entered_on(row["created_at"]))


def _case(rows: list[Any] | None) -> CaseFacts | None:
    if not rows:
        return None
    r = rows[-1]    # the latest episode
    return CaseFacts(r["state"], LostContactReason(r["reason"]) if r["reason"] else None, r["reason_note"],
                     Outcome(r["outcome"]) if r["outcome"] else None,
                     date.fromisoformat(r["decided_on"]) if r["decided_on"] else None,
                     date.fromisoformat(r["regained_on"]) if r["regained_on"] else None)


STATE_ZH = {
    disposition.SEARCHING: "正在查找",
    disposition.REACHED: "已取得联系",
    disposition.UNREACHABLE: "确实无法取得联系",
    disposition.INVESTIGATED: "已调查核实表现",
    disposition.PROPOSED: "支委会已提出初步处置意见",
    disposition.PRE_REVIEWED: "基层党委已预审",
    disposition.DEPT_PRE_REVIEWED: "上级组织部门已预审",
    disposition.RESOLVED: "支部党员大会已作出决议",
    disposition.APPROVED: "基层党委已审批",
    disposition.DECIDED: "已作出处置决定",
}
