"""Importing a 支部党员名册 (.xlsx / .xls / .csv) into a branch: every row checked, all or nothing by default.

A row becomes a `Member` only if every rule holds: a person's name, the ID number (check digit, region,
birth date), 出生年月 agreeing with it (year and month), the 18th-birthday rule for 入党时间, 转正 after 入党, a
real mobile number (a landline is kept as 其他联系方式), 民族 one of the 56 names, a known 学历, no date in the
future, and no second row for the same person. Every error of a row is reported at once, with its sheet,
row number and column; total rows (合计, 小计 …) are skipped and said. Nothing of a file with errors is
written unless the operator asks for the good rows only (`good_only`).

Importing over the register (this year's roster over last year's) is the normal case: rows of members
already registered are compared field by field (`reconcile`); changes are applied only with `update`, each
changed field audited, and members of the branch missing from the file are named, never removed.

Modules: `cells` (cell values), `rows` (one row), `reconcile` (file against register).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from bot.domain.codes import OrgLevel
from bot.domain.errors import DomainError, NotFound
from bot.domain.member import Member
from bot.domain.person_name import is_total_label
from bot.forms.roster import COLUMNS, open_roster
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.importing.cells import cell_date, cell_text
from bot.services.importing.reconcile import FieldChange, Update, reconcile
from bot.services.importing.rows import ParsedRow, RowError, parse_row
from bot.storage import cases as case_repo
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import roster_sync
from bot.storage.db import Tx

__all__ = ["FieldChange", "ImportReport", "ParsedRow", "RowError", "SheetReport", "Update", "cell_date", "cell_text",
           "import_roster", "parse_file", "parse_row"]

Progress = Callable[[int, int | None], None]
PROGRESS_EVERY = 250
COLUMN_ORDER = {c.key: i for i, c in enumerate(COLUMNS)}


@dataclass
class SheetReport:
    """What one sheet held: rows read, total rows skipped, columns left out, or why it was not read."""

    name: str | None
    rows: int = 0
    bad_rows: int = 0
    totals: list[int] = field(default_factory=list)        # row numbers of 合计 / 小计 … rows skipped
    ignored_columns: list[str] = field(default_factory=list)
    problem: DomainError | None = None
    refused: bool = False                                   # a roster sheet not read (else: no roster header)
    hidden: bool = False                                    # a hidden sheet, not read


@dataclass
class ImportReport:
    """What an import found and did. `written` is False when errors stopped it (or there was nothing to do)."""

    branch_id: int
    branch_name: str
    rows: int = 0
    imported: int = 0                   # new members written
    new: int = 0                        # new members found in the file
    updates: list[Update] = field(default_factory=list)
    updated: int = 0                    # members whose changes were written
    unchanged: int = 0
    missing: list[Member] = field(default_factory=list)
    written: bool = False
    needs_update: bool = False          # changes found, not applied (no `update`)
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)
    sheets: list[SheetReport] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors if not e.whole_sheet})

    @property
    def good_rows(self) -> int:
        return self.rows - self.bad_rows

    @property
    def ignored_columns(self) -> list[str]:
        return [c for s in self.sheets for c in s.ignored_columns]


class _SeenRows:
    """The rows of a file so far, to find the same person twice: by ID number, else by name and birth month.

    A row without an ID number is the same person as an earlier row of that name and birth month (with or
    without one), and a row with one is the same as an earlier row without any: either way, one person.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, ParsedRow] = {}
        self.by_name: dict[tuple, list[ParsedRow]] = {}

    @staticmethod
    def _name_key(m: Member) -> tuple | None:
        if m.birth_date is None:
            return None
        return ("".join(m.name.split()), m.birth_date.year, m.birth_date.month)

    def first_of(self, row: ParsedRow) -> ParsedRow | None:
        m = row.member
        if m.id_number and m.id_number in self.by_id:
            return self.by_id[m.id_number]
        same = self.by_name.get(self._name_key(m) or (), [])
        return next((r for r in same if not (m.id_number and r.member.id_number)), None)

    def add(self, row: ParsedRow) -> None:
        if row.member.id_number:
            self.by_id[row.member.id_number] = row
        key = self._name_key(row.member)
        if key is not None:
            self.by_name.setdefault(key, []).append(row)


def parse_file(path: str | Path, branch_id: int, today: date, progress: Progress | None = None
               ) -> tuple[list[ParsedRow], list[RowError], list[RowError], list[SheetReport]]:
    """Read and check every sheet and row of a roster file: (good rows, errors, notes, sheets)."""
    good: list[ParsedRow] = []
    errors: list[RowError] = []
    notes: list[RowError] = []
    sheets: list[SheetReport] = []
    seen = _SeenRows()
    count = 0
    with open_roster(path) as found:
        for sheet in found:
            report = SheetReport(sheet.name, problem=sheet.problem, refused=sheet.refused, hidden=sheet.hidden,
                                 ignored_columns=list(sheet.header.ignored) if sheet.header else [])
            sheets.append(report)
            if sheet.problem is not None:
                if sheet.refused:
                    errors.append(RowError(sheet.header.first_row if sheet.header else 1, None, sheet.problem,
                                           sheet.name, whole_sheet=True))
                continue
            offset = count
            for number, cells in sheet.rows:
                if _is_total_row(cells):
                    report.totals.append(number)
                    continue
                count += 1
                report.rows += 1
                result = parse_row(number, cells, branch_id, today)
                if isinstance(result, list):
                    for err in result:
                        err.sheet = sheet.name
                    errors.extend(result)
                    report.bad_rows += 1
                else:
                    result.sheet = sheet.name
                    for note in result.notes:
                        note.sheet = sheet.name
                    notes.extend(result.notes)
                    first = seen.first_of(result)
                    if first is not None:
                        errors.append(_duplicate(result, first))
                        report.bad_rows += 1
                    else:
                        seen.add(result)
                        good.append(result)
                if progress is not None and count % PROGRESS_EVERY == 0:
                    total = offset + sheet.total_rows if sheet.total_rows else None
                    progress(count, max(total, count) if total else None)
    if not any(s.problem is None or s.refused for s in sheets):
        hidden = [s.name for s in sheets if s.hidden]
        if hidden:
            raise DomainError(N_("No visible sheet has a roster header; hidden sheets: {sheets} (unhide them to"
                                 " import them)"), field="file", sheets="、".join(str(h) for h in hidden))
        raise next((s.problem for s in sheets if s.problem is not None), None) or DomainError(
            N_("The file has no sheet to read"), field="file")
    if progress is not None:
        progress(count, count)
    return good, errors, notes, sheets


def _is_total_row(cells: dict) -> bool:
    """合计 / 小计 … under 序号 or 姓名, or anywhere in a row with no name (`| | 合计 | 3人 |`)."""
    if is_total_label(cells.get("seq")) or is_total_label(cells.get("name")):
        return True
    return "name" not in cells and any(is_total_label(v) for v in cells.values())


def _duplicate(row: ParsedRow, first: ParsedRow) -> RowError:
    column = "id_number" if row.member.id_number else None
    if first.sheet != row.sheet:
        err = DomainError(N_("The same person is already on row {row} of sheet {sheet}"), field=column,
                          row=first.row, sheet=first.sheet)
    elif row.member.id_number:
        err = DomainError(N_("The same ID number is already on row {row}"), field=column, row=first.row)
    else:
        err = DomainError(N_("The same name and birth date are already on row {row}"), field=column, row=first.row)
    return RowError(row.row, column, err, row.sheet)


async def import_roster(svc: Services, actor: Actor, path: str | Path, branch_id: int, good_only: bool = False,
                        progress: Progress | None = None, update: bool = False) -> ImportReport:
    """Import a roster file into a branch, audited, in one transaction.

    With errors and not `good_only`, nothing is written and the report lists every error. Rows of members
    already registered that change something are applied only with `update` (else nothing is written and
    the report says what would change).
    """
    branch = await org_repo.get(svc.db, branch_id)
    if branch is None:
        raise NotFound(N_("No organization with id {id}"), field="branch", id=branch_id)
    if branch.level is not OrgLevel.BRANCH:
        raise DomainError(N_("Organization {id} is not a Party branch: members are imported into a branch"),
                          field="branch", id=branch_id)
    await require_branch(svc.db, actor, branch_id)
    path = Path(path)
    if not path.is_file():
        raise DomainError(N_("No such file: {path}"), field="file", path=str(path))
    today = svc.clock.today()
    # Reading and checking is CPU work: keep the event loop free for a bot that imports an upload.
    good, errors, notes, sheets = await asyncio.to_thread(parse_file, path, branch_id, today, progress)
    report = ImportReport(branch_id, branch.name, rows=sum(s.rows for s in sheets), errors=errors, notes=notes,
                          sheets=sheets)
    order = {s.name: i for i, s in enumerate(sheets)}
    async with svc.db.write(actor.label) as tx:
        register = await roster_sync.branch_members(tx, branch_id)
        by_id = {r.member.id_number: r for r in register if r.member.id_number}
        elsewhere = [r.member.id_number for r in good if r.member.id_number and r.member.id_number not in by_id]
        by_id.update(await roster_sync.by_id_numbers(tx, elsewhere))   # other branches: only the rest
        found = reconcile(good, branch_id, register, by_id, today)
        report.errors.extend(found.errors)
        # A member whose row has errors is in the file all the same: not "missing".
        named = {"".join(str(e.name).split()) for e in errors if e.name}
        found.missing = [m for m in found.missing if "".join(m.name.split()) not in named]
        # By sheet, row, then column as the roster orders them: a row's errors read left to right.
        report.errors.sort(key=lambda e: (order.get(e.sheet, 0), e.row, COLUMN_ORDER.get(e.column, -1)))
        report.new, report.updates, report.unchanged = len(found.new), found.updates, found.unchanged
        report.missing = found.missing
        report.needs_update = bool(found.updates) and not update
        if (report.errors and not good_only) or report.needs_update or not (found.new or found.updates):
            return report
        await _write_new(tx, found.new, today)
        for u in found.updates:
            await _write_update(tx, u, today)
        report.imported, report.updated, report.written = len(found.new), len(found.updates), True
    return report


async def _write_new(tx: Tx, rows: list[ParsedRow], today: date) -> None:
    if not rows:
        return
    last = await roster_sync.max_member_id(tx)
    await member_repo.insert_many(tx, [(r.member, r.last_meeting, r.last_dues) for r in rows])
    ids = await roster_sync.new_ids_after(tx, last)
    for row, member_id in zip(rows, ids):
        if row.lost_reason is not None:   # a member already lost: the case keeps the reason (失去联系情形)
            await case_repo.open_case(tx, member_id, today, reason=row.lost_reason)


async def _write_update(tx: Tx, u: Update, today: date) -> None:
    fields = [(c.field, c.before, c.after) for c in u.changes if c.field != "lost_reason"]
    await roster_sync.apply_update(tx, u.member, fields, u.row.last_meeting, u.row.last_dues)
    reason = u.row.lost_reason
    if reason is not None and reason is not u.current.open_case_reason:
        assert u.member.id is not None
        if u.current.open_case_id is not None:
            await roster_sync.set_case_reason(tx, u.current.open_case_id, reason, u.current.open_case_reason)
        else:
            await case_repo.open_case(tx, u.member.id, today, reason=reason)
