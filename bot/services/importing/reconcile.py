"""This year's roster over last year's: which rows are new members, which update one, what is unchanged,
and who is registered but missing from the file. Pure: the caller loads the register.

A person is never registered twice: a row with an ID number is that member; a row without one is the
member of the branch with the same name and birth date (year and month when the row gives only those),
and when that cannot be told (no birth date, or several such members) the row is refused. Empty cells leave
what the register holds as it is: a roster column left blank does not erase a stored phone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.codes import CodedEnum
from bot.domain.errors import DomainError
from bot.domain.member import Member, validation_errors
from bot.i18n import N_
from bot.services.importing.rows import FIELD_COLUMN, ParsedRow, RowError
from bot.storage.roster_sync import Registered

MASKED = {"id_number", "mobile"}


def mask(name: str, value: Any) -> Any:
    """A field's value as the audit trail and the report show it: ID numbers and mobiles masked."""
    if value is None:
        return None
    if isinstance(value, CodedEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if name == "id_number":
        return text[:4] + "…" + text[-2:]
    if name == "mobile":
        return text[:3] + "…" + text[-2:]
    return text


@dataclass
class FieldChange:
    field: str               # Member field, or last_meeting / last_dues / lost_reason
    column: str | None       # the roster column key
    before: Any              # masked, JSON-able
    after: Any


@dataclass
class Update:
    row: ParsedRow
    current: Registered
    member: Member           # the member as it will be stored
    changes: list[FieldChange]


@dataclass
class Reconciled:
    new: list[ParsedRow] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Member] = field(default_factory=list)     # active members of the branch not in the file
    errors: list[RowError] = field(default_factory=list)


def _same_date(a: date | None, b: date | None, month_only: bool) -> bool:
    if a is None or b is None:
        return a == b
    return (a.year, a.month) == (b.year, b.month) if month_only else a == b


def _norm_name(name: str) -> str:
    return "".join(name.split())


def _error(row: ParsedRow, column: str | None, message: str, **params: Any) -> RowError:
    return RowError(row.row, column, DomainError(message, field=column, **params), row.sheet)


def _diff(row: ParsedRow, reg: Registered, today: date) -> Update | RowError:
    old = reg.member
    updates: dict[str, Any] = {}
    changes: list[FieldChange] = []
    for name in sorted(row.given):
        new, was = getattr(row.member, name), getattr(old, name)
        if isinstance(new, date) and _same_date(new, was, name in row.month_only):
            continue
        if new != was:
            updates[name] = new
            changes.append(FieldChange(name, FIELD_COLUMN.get(name), mask(name, was), mask(name, new)))
    for key, new, was in (("last_meeting", row.last_meeting, reg.last_meeting_on),
                          ("last_dues", row.last_dues, reg.last_dues_on)):
        if new is not None and (was is None or new > was):   # these dates only move forward
            changes.append(FieldChange(key, key, mask(key, was), mask(key, new)))
    if row.lost_reason is not None and row.lost_reason is not reg.open_case_reason:
        changes.append(FieldChange("lost_reason", "lost_reason", mask("r", reg.open_case_reason),
                                   mask("r", row.lost_reason)))
    if not updates:
        return Update(row, reg, old, changes)   # nothing of the record changes: nothing to re-check
    try:
        merged = Member.model_validate({**old.model_dump(), **updates}).check(today)
    except Exception as exc:   # the row agrees with itself but not with what the register holds
        err = validation_errors(exc)[0]
        return RowError(row.row, FIELD_COLUMN.get(err.field or ""), err, row.sheet)
    return Update(row, reg, merged, changes)


def reconcile(rows: list[ParsedRow], branch_id: int, register: list[Registered], by_id: dict[str, Registered],
              today: date) -> Reconciled:
    """Sort the good rows of a file against the register of the branch (and ID numbers anywhere)."""
    out = Reconciled()
    by_name: dict[str, list[Registered]] = {}
    for reg in register:
        if reg.active:
            by_name.setdefault(_norm_name(reg.member.name), []).append(reg)
    claimed: dict[int, ParsedRow] = {}
    for row in rows:
        m = row.member
        target: Registered | None = None
        if m.id_number and m.id_number in by_id:
            target = by_id[m.id_number]
            if target.member.branch_id != branch_id:
                out.errors.append(_error(row, "id_number", N_(
                    "This ID number is registered in another branch: the member is transferred, not imported again")))
                continue
            if not target.active:
                out.errors.append(_error(row, "id_number", N_(
                    "This ID number belongs to member {id}, no longer active in this branch"), id=target.member.id))
                continue
        else:
            same = [r for r in by_name.get(_norm_name(m.name), []) if not (m.id_number and r.member.id_number)]
            if same and (m.birth_date is None or any(r.member.birth_date is None for r in same)):
                out.errors.append(_error(row, None, N_(
                    "{name} is already in the register (member {id}) and this row gives no ID number and no birth"
                    " date to tell whether it is the same person: add the ID number"), name=m.name,
                    id=same[0].member.id))
                continue
            # A stored birth date on the 1st came from a year-month cell: compare the year and month then.
            month_only = "birth_date" in row.month_only
            same = [r for r in same if _same_date(m.birth_date, r.member.birth_date,
                                                  month_only or (r.member.birth_date and r.member.birth_date.day == 1))]
            if len(same) > 1:
                out.errors.append(_error(row, None, N_(
                    "{n} members named {name} with this birth date are in the register: add the ID number to tell"
                    " which one this row is"), n=len(same), name=m.name))
                continue
            target = same[0] if same else None
        if target is None:
            out.new.append(row)
            continue
        assert target.member.id is not None
        if target.member.id in claimed:
            first = claimed[target.member.id]
            out.errors.append(_error(row, None, N_("This row and row {row} are the same member ({name})"),
                                     row=first.row, name=m.name))
            continue
        claimed[target.member.id] = row
        update = _diff(row, target, today)
        if isinstance(update, RowError):
            out.errors.append(update)
        elif update.changes:
            out.updates.append(update)
        else:
            out.unchanged += 1
    out.missing = [r.member for r in register if r.active and r.member.id not in claimed]
    return out

