"""One roster row → a Member, or every error of the row at once (never only the first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from bot.domain.codes import Gender, LostContactReason, MemberType, Occupation, PartyPost
from bot.domain.dates import add_months
from bot.domain.education import parse_education
from bot.domain.errors import DomainError
from bot.domain.ethnicity import parse_ethnicity
from bot.domain.idcard import parse_id_number
from bot.domain.member import Member, validation_errors
from bot.domain.person_name import check_person_name
from bot.domain.phone import normalise_mobile
from bot.forms.roster import BY_KEY
from bot.i18n import N_
from bot.services.importing.cells import cell_date, cell_text, id_text, landline, mobile_text, parse_code

# Member fields (as DomainError.field names them) → roster column keys.
FIELD_COLUMN = {
    "name": "name", "gender": "gender", "ethnicity": "ethnicity", "native_place": "native_place",
    "birth_date": "birth", "education": "education", "id_number": "id_number", "joined_on": "joined",
    "confirmed_on": "confirmed", "work_unit": "work_unit", "mobile": "mobile", "phone": "mobile",
    "remarks": "remarks", "party_post": "party_post", "occupation": "occupation", "member_type": "member_type",
    "household_register": "household_register", "residence": "residence", "other_contacts": "other_contacts",
}
COLUMN_FIELD = {v: k for k, v in FIELD_COLUMN.items() if k != "phone"}
TEXT_FIELDS = {  # column key → Member field, copied as text
    "native_place": "native_place", "work_unit": "work_unit", "remarks": "remarks",
    "household_register": "household_register", "residence": "residence", "other_contacts": "other_contacts",
}
CODED = (("party_post", PartyPost), ("occupation", Occupation), ("member_type", MemberType))
PLACEHOLDER_NAME = "X"     # lets the rest of a row be checked when its name is wrong


@dataclass
class RowError:
    row: int
    column: str | None       # the column key (see bot.forms.roster.COLUMNS), None for the whole row
    error: DomainError
    sheet: str | None = None
    whole_sheet: bool = False     # the sheet was not read (its header), not one row
    name: str | None = None       # the row's name cell, to tell who the row was about

    @property
    def header(self) -> str | None:
        return BY_KEY[self.column].header if self.column in BY_KEY else None


@dataclass
class ParsedRow:
    row: int
    member: Member
    last_meeting: date | None
    last_dues: date | None
    given: set[str] = field(default_factory=set)          # Member fields the row states (or its ID implies)
    month_only: set[str] = field(default_factory=set)     # fields read as a year and month only
    lost_reason: LostContactReason | None = None
    notes: list[RowError] = field(default_factory=list)   # said, not refused (a landline kept aside …)
    sheet: str | None = None


def _attempt(data: dict[str, Any], today: date) -> tuple[Member | None, list[DomainError]]:
    """Build the member; on a broken rule, drop that field and try again, so every rule is checked."""
    found: list[DomainError] = []
    for _ in range(8):
        try:
            return Member(**data).check(today), found
        except (ValidationError, DomainError) as exc:
            errors = validation_errors(exc)
            found.extend(errors)
            dropped = [e.field for e in errors if e.field in data and e.field not in ("branch_id", "name")]
            if not dropped:
                return None, found
            for name in dropped:
                data.pop(name, None)
    return None, found


def parse_row(number: int, cells: dict[str, Any], branch_id: int, today: date) -> ParsedRow | list[RowError]:
    """Turn one roster row into a Member (with its last meeting and dues dates), or all of its errors."""
    errors: list[RowError] = []
    notes: list[RowError] = []
    data: dict[str, Any] = {"branch_id": branch_id}
    month_only: set[str] = set()

    def fail(column: str | None, exc: Exception) -> None:
        for err in validation_errors(exc):
            errors.append(RowError(number, column or FIELD_COLUMN.get(err.field or ""), err))

    def attempt(column: str, convert: Any) -> Any:
        try:
            return convert(cells[column])
        except DomainError as exc:
            fail(column, exc)
            return None

    name = cell_text(cells.get("name"))
    if not name:
        errors.append(RowError(number, "name", DomainError(N_("The name is empty"), field="name")))
    elif attempt("name", lambda v: check_person_name(cell_text(v) or "")) is not None:
        data["name"] = name
    for key, attr in TEXT_FIELDS.items():
        text = cell_text(cells.get(key))
        if text:
            data[attr] = text
    if cells.get("ethnicity") is not None:
        value = attempt("ethnicity", lambda v: parse_ethnicity(cell_text(v)))
        if value:
            data["ethnicity"] = value

    id_birth: date | None = None
    id_gender: Gender | None = None
    if cells.get("id_number") is not None:
        parsed_id = attempt("id_number", lambda v: parse_id_number(id_text(v)))
        if parsed_id is not None:
            data["id_number"] = parsed_id.value
            id_birth = parsed_id.birth_date
            id_gender = Gender.MALE if parsed_id.gender_code == 1 else Gender.FEMALE

    if cells.get("gender") is not None:
        gender = attempt("gender", lambda v: parse_code(Gender, v))
        if gender is not None and id_gender is not None and gender is not id_gender:
            fail("gender", DomainError(N_("The gender ({gender}) does not agree with the ID number"), field="gender",
                                       gender=gender.zh))
        elif gender is not None:
            data["gender"] = gender
    elif id_gender is not None:
        data["gender"] = id_gender

    if cells.get("birth") is not None:
        read = attempt("birth", cell_date)
        if read is not None:
            born, has_day = read
            if id_birth is None or has_day:
                data["birth_date"] = born   # a full date must agree with the ID number to the day (Member checks)
                if not has_day:
                    month_only.add("birth_date")
            elif (born.year, born.month) != (id_birth.year, id_birth.month):
                fail("birth", DomainError(N_("出生年月 {birth} does not agree with the ID number ({id_birth})"),
                                          field="birth_date", birth=f"{born.year}.{born.month:02d}",
                                          id_birth=f"{id_birth.year}.{id_birth.month:02d}"))
    birth = id_birth or data.get("birth_date")

    for key, attr in (("joined", "joined_on"), ("confirmed", "confirmed_on")):
        if cells.get(key) is not None:
            read = attempt(key, cell_date)
            if read is not None:
                d, has_day = read
                if not has_day:
                    month_only.add(attr)
                    if attr == "joined_on" and birth is not None:
                        # 入党 in the month of the 18th birthday is possible: a month means "on or after it".
                        adult = add_months(birth, 18 * 12)
                        if (d.year, d.month) == (adult.year, adult.month):
                            d = max(d, adult)
                data[attr] = d
    extra: dict[str, date | None] = {"last_meeting": None, "last_dues": None}
    for key in extra:
        if cells.get(key) is not None:
            read = attempt(key, cell_date)
            if read is not None and read[0] > today:
                fail(key, DomainError(N_("{date} is in the future"), field=key, date=read[0].isoformat()))
            elif read is not None:
                extra[key] = read[0]

    if cells.get("education") is not None:
        value = attempt("education", lambda v: parse_education(cell_text(v)))
        if value is not None:
            data["education"] = value
    for key, enum in CODED:
        if cells.get(key) is not None:
            value = attempt(key, lambda v, e=enum: parse_code(e, v))
            if value is not None:
                data[key] = value
    lost_reason = attempt("lost_reason", lambda v: parse_code(LostContactReason, v)) \
        if cells.get("lost_reason") is not None else None
    if "member_type" not in data and not any(e.column == "member_type" for e in errors):
        # No 党员类型 cell: no 转正时间 means 预备 (the headers were checked to hold one of the two columns).
        data["member_type"] = MemberType.FULL if "confirmed_on" in data or cells.get("confirmed") is not None \
            else MemberType.PROBATIONARY

    if cells.get("mobile") is not None:
        raw = mobile_text(cells["mobile"])
        try:
            data["mobile"] = normalise_mobile(raw)
        except DomainError as exc:
            other = landline(raw)
            if other is None:
                fail("mobile", exc)
            else:
                kept = data.get("other_contacts")
                data["other_contacts"] = f"{kept}；{other}" if kept and other not in kept else kept or other
                notes.append(RowError(number, "mobile", DomainError(
                    N_("{value} is a landline, not a mobile number: kept as 其他联系方式"), field="mobile",
                    value=other)))

    given = {k for k in data if k != "branch_id"}
    data.setdefault("name", PLACEHOLDER_NAME)
    member, broken = _attempt(data, today)
    for err in broken:
        errors.append(RowError(number, FIELD_COLUMN.get(err.field or ""), err))
    if errors or member is None:
        for err in errors:
            err.name = name    # whom the row is about, as written
        return errors
    if member.birth_date is not None:
        given.add("birth_date")
    return ParsedRow(number, member, extra["last_meeting"], extra["last_dues"], given, month_only, lost_reason,
                     notes)
