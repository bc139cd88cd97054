"""Importing a 支部党员名册 (.xlsx / .csv) into a branch: every row checked, all or nothing by default.

A row becomes a `Member` only if every rule holds: the ID number (check digit, region, birth date),
出生年月 agreeing with it, the 18th-birthday rule for 入党时间, 转正 after 入党, a real mobile
number, no date in the future, and an ID number that is neither in the register nor earlier in the
file. A bad row is reported with its row number, column and reason; nothing of a file with errors is
written unless the operator asks for the good rows only.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from bot.domain.codes import CodedEnum, Education, Gender, MemberType, Occupation, OrgLevel, PartyPost
from bot.domain.dates import parse_year_month
from bot.domain.errors import DomainError, NotFound
from bot.domain.idcard import parse_id_number
from bot.domain.member import Member, validation_errors
from bot.i18n import N_
from bot.forms.roster_file import BY_KEY, open_roster
from bot.services.context import Actor, Services, require_branch
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo

Progress = Callable[[int, int | None], None]
PROGRESS_EVERY = 250

# Member fields (as DomainError.field names them) → roster column keys.
FIELD_COLUMN = {
    "name": "name", "gender": "gender", "ethnicity": "ethnicity", "native_place": "native_place",
    "birth_date": "birth", "education": "education", "id_number": "id_number", "joined_on": "joined",
    "confirmed_on": "confirmed", "work_unit": "work_unit", "mobile": "mobile", "phone": "mobile",
    "remarks": "remarks", "party_post": "party_post", "occupation": "occupation", "member_type": "member_type",
    "household_register": "household_register", "residence": "residence", "other_contacts": "other_contacts",
}
TEXT_FIELDS = {  # column key → Member field, copied as text
    "ethnicity": "ethnicity", "native_place": "native_place", "work_unit": "work_unit", "remarks": "remarks",
    "household_register": "household_register", "residence": "residence", "other_contacts": "other_contacts",
}
_DIGIT_GROUPS = re.compile(r"\d+")


@dataclass
class RowError:
    row: int
    column: str | None       # the column key (see bot.forms.roster_file.COLUMNS), None for the whole row
    error: DomainError

    @property
    def header(self) -> str | None:
        return BY_KEY[self.column].header if self.column in BY_KEY else None


@dataclass
class ParsedRow:
    row: int
    member: Member
    last_meeting: date | None
    last_dues: date | None


@dataclass
class ImportReport:
    """What an import found and did. `written` is False when errors stopped it (or nothing was good)."""

    branch_id: int
    branch_name: str
    rows: int = 0
    imported: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- cells --------------------------------------------------------------------------------------------

def cell_text(value: Any) -> str | None:
    """A cell as text: numbers without a trailing .0, dates as ISO dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = str(value).strip()
    return s or None


def cell_date(value: Any) -> tuple[date, bool]:
    """A roster date and whether it names a day (else only the year and month, day 1)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value, value.day != 1   # a month typed into Excel becomes the 1st: compare the month only
    if isinstance(value, float):
        text = f"{value:.2f}"           # 1985.10 typed into a number cell arrives as 1985.1
    else:
        text = str(value)
    parsed = parse_year_month(text)
    s = unicodedata.normalize("NFKC", text).strip()
    groups = _DIGIT_GROUPS.findall(s)
    has_day = len(groups) >= 3 or (len(groups) == 1 and len(groups[0]) == 8)
    return parsed, has_day


def _id_text(value: Any) -> str:
    if isinstance(value, float):
        digits = str(int(value)) if value.is_integer() else str(value)
        # Excel keeps 15 significant digits: an 18-digit number typed as a number has lost its tail.
        if len(digits) >= 16:
            raise DomainError(N_("The ID number was stored as a number and has lost digits: format the column as"
                                 " text and type it again"), field="id_number")
        return digits
    return str(value)


def _mobile_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


def _code(enum: type[CodedEnum], value: Any) -> CodedEnum:
    text = cell_text(value) or ""
    if enum is MemberType:
        text = {"正式": "full", "预备": "probationary"}.get(text, text)
    elif enum is PartyPost:
        for prefix in ("党支部", "党总支", "党委", "支部", "总支"):
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                break
    elif enum is Occupation:
        text = text.rstrip("、.． ")
    return enum.parse(text)


# --- one row ------------------------------------------------------------------------------------------

def parse_row(number: int, cells: dict[str, Any], branch_id: int, today: date) -> ParsedRow | list[RowError]:
    """Turn one roster row into a Member (with its last meeting and dues dates), or its errors."""
    errors: list[RowError] = []
    data: dict[str, Any] = {"branch_id": branch_id}

    def fail(column: str | None, exc: Exception) -> None:
        for err in validation_errors(exc):
            errors.append(RowError(number, column or FIELD_COLUMN.get(err.field or ""), err))

    name = cell_text(cells.get("name"))
    if not name:
        errors.append(RowError(number, "name", DomainError(N_("The name is empty"), field="name")))
    else:
        data["name"] = name
    for key, attr in TEXT_FIELDS.items():
        text = cell_text(cells.get(key))
        if text:
            data[attr] = text

    id_birth: date | None = None
    id_gender: Gender | None = None
    if cells.get("id_number") is not None:
        try:
            parsed_id = parse_id_number(_id_text(cells["id_number"]))
            data["id_number"] = parsed_id.value
            id_birth = parsed_id.birth_date
            id_gender = Gender.MALE if parsed_id.gender_code == 1 else Gender.FEMALE
        except DomainError as exc:
            fail("id_number", exc)

    if cells.get("gender") is not None:
        try:
            gender = _code(Gender, cells["gender"])
            if id_gender is not None and gender is not id_gender:
                raise DomainError(N_("The gender ({gender}) does not agree with the ID number"), field="gender",
                                  gender=gender.zh)
            data["gender"] = gender
        except DomainError as exc:
            fail("gender", exc)
    elif id_gender is not None:
        data["gender"] = id_gender

    if cells.get("birth") is not None:
        try:
            born, has_day = cell_date(cells["birth"])
            if id_birth is None or has_day:
                data["birth_date"] = born   # a full date must agree with the ID number to the day (Member checks)
            elif (born.year, born.month) != (id_birth.year, id_birth.month):
                raise DomainError(N_("出生年月 {birth} does not agree with the ID number ({id_birth})"),
                                  field="birth_date", birth=f"{born.year}.{born.month:02d}",
                                  id_birth=f"{id_birth.year}.{id_birth.month:02d}")
        except DomainError as exc:
            fail("birth", exc)

    for key, attr in (("joined", "joined_on"), ("confirmed", "confirmed_on")):
        if cells.get(key) is not None:
            try:
                data[attr] = cell_date(cells[key])[0]
            except DomainError as exc:
                fail(key, exc)
    extra: dict[str, date | None] = {"last_meeting": None, "last_dues": None}
    for key in extra:
        if cells.get(key) is not None:
            try:
                d = cell_date(cells[key])[0]
                if d > today:
                    raise DomainError(N_("{date} is in the future"), field=key, date=d.isoformat())
                extra[key] = d
            except DomainError as exc:
                fail(key, exc)

    for key, attr, enum in (("education", "education", Education), ("party_post", "party_post", PartyPost),
                            ("occupation", "occupation", Occupation), ("member_type", "member_type", MemberType)):
        if cells.get(key) is not None:
            try:
                data[attr] = _code(enum, cells[key])
            except DomainError as exc:
                fail(key, exc)
    if "member_type" not in data and not any(e.column == "member_type" for e in errors):
        # The 名册 has no 党员类型 column: no 转正时间 means 预备 (unless the cell says otherwise).
        data["member_type"] = MemberType.FULL if "confirmed_on" in data else MemberType.PROBATIONARY

    if cells.get("mobile") is not None:
        data["mobile"] = _mobile_text(cells["mobile"])   # Member normalises and checks it

    if any(e.column == "name" for e in errors):
        return errors
    try:
        member = Member(**data)
        member.check(today)
    except (ValidationError, DomainError) as exc:
        fail(None, exc)
        return errors
    if errors:
        return errors
    return ParsedRow(number, member, extra["last_meeting"], extra["last_dues"])


# --- the file -----------------------------------------------------------------------------------------

def parse_file(path: str | Path, branch_id: int, today: date, progress: Progress | None = None
               ) -> tuple[list[ParsedRow], list[RowError], list[str], int]:
    """Read and check every row of a roster file: (good rows, errors, ignored headers, rows read)."""
    good: list[ParsedRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    count = 0
    with open_roster(path) as roster:
        total = roster.total_rows
        for number, cells in roster.rows:
            count += 1
            result = parse_row(number, cells, branch_id, today)
            if isinstance(result, list):
                errors.extend(result)
            else:
                id_number = result.member.id_number
                if id_number and id_number in first_row_of:
                    errors.append(RowError(number, "id_number", DomainError(
                        N_("The same ID number is already on row {row}"), field="id_number",
                        row=first_row_of[id_number])))
                else:
                    if id_number:
                        first_row_of[id_number] = number
                    good.append(result)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count, max(total, count) if total else None)
        if progress is not None:
            progress(count, count)
        return good, errors, roster.ignored, count


async def import_roster(svc: Services, actor: Actor, path: str | Path, branch_id: int, good_only: bool = False,
                        progress: Progress | None = None) -> ImportReport:
    """Import a roster file into a branch, audited, in one transaction.

    With errors and not `good_only`, nothing is written and the report lists every error.
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
    # Reading and checking is CPU work: keep the event loop free for a bot that imports an upload.
    good, errors, ignored, count = await asyncio.to_thread(parse_file, path, branch_id, svc.clock.today(),
                                                           progress)
    report = ImportReport(branch_id, branch.name, rows=count, errors=errors, ignored_columns=ignored)
    async with svc.db.write(actor.label) as tx:
        taken = await member_repo.existing_id_numbers(tx, [r.member.id_number for r in good if r.member.id_number])
        if taken:
            kept = []
            for r in good:
                if r.member.id_number in taken:
                    report.errors.append(RowError(r.row, "id_number", DomainError(
                        N_("This ID number is already in the register"), field="id_number")))
                else:
                    kept.append(r)
            good = kept
        report.errors.sort(key=lambda e: e.row)
        if good and (good_only or not report.errors):
            report.imported = await member_repo.insert_many(
                tx, [(r.member, r.last_meeting, r.last_dues) for r in good])
            report.written = True
    return report
