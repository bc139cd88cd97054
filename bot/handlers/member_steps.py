"""The steps of each member report, as data: what is asked, how the answer is read, what the summary shows.

`bot.handlers.member_reports` drives them. A draft lives in `context.user_data[DRAFT]` as JSON-able
values (dates as ISO text, codes by their key). Each step's answer is validated here, with the same
rules the services apply, so a bad answer is refused at the step where it was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.codes import AbroadPurpose, CodedEnum, OutflowReason, OutflowType, ReportKind
from bot.domain.dates import parse_user_date
from bot.domain.errors import DomainError
from bot.domain.phone import normalise_mobile
from bot.i18n import N_
from bot.services.status_reports import use_cases as report_service
from bot.services.context import Actor, Services
from bot.services.status_reports.use_cases import ReportResult
from bot.services.status_reports.text import LONG_TEXT_MAX, SHORT_TEXT_MAX, clean_text

DRAFT = "m_report"

DATE, TEXT, CHOICE, YESNO, PLEDGE, PHONE = "date", "text", "choice", "yesno", "pledge", "phone"


@dataclass(frozen=True)
class Step:
    """One question. `key` names the draft field, the conversation state and the callback data."""

    key: str
    kind: str
    prompt: str                                    # msgid
    max_len: int = SHORT_TEXT_MAX
    multiline: bool = False
    allow_future: bool = False
    optional: bool = False                         # dates: a "Not sure yet" button
    quick_past: bool = False                       # dates: Today / Yesterday buttons
    enum: type[CodedEnum] | None = None
    choices: tuple[str, ...] = ()                  # enum keys offered (all when empty)
    when: Callable[[dict[str, Any]], bool] | None = None   # asked only if true for the draft

    def applies(self, draft: dict[str, Any]) -> bool:
        return self.when is None or self.when(draft)

    def options(self) -> list[CodedEnum]:
        assert self.enum is not None
        return [m for m in self.enum if not self.choices or m.value in self.choices]


@dataclass(frozen=True)
class Flow:
    """A report: its short code (callback data m:<code>:…), kind, steps, and the service call."""

    code: str
    action: str                                    # the main menu's m:menu:<action>
    kind: ReportKind
    title: str                                     # msgid
    steps: tuple[Step, ...]
    save: Callable[[Services, Actor, dict[str, Any]], Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def next_step(self, after: str | None, draft: dict[str, Any]) -> Step | None:
        """The first step after `after` (None: from the start) that applies to the draft."""
        keys = [s.key for s in self.steps]
        start = 0 if after is None else keys.index(after) + 1
        return next((s for s in self.steps[start:] if s.applies(draft)), None)

    def previous_step(self, before: str | None, draft: dict[str, Any]) -> Step | None:
        """The step before `before` (None: the last step) that applies to the draft."""
        keys = [s.key for s in self.steps]
        end = len(keys) if before is None else keys.index(before)
        return next((s for s in reversed(self.steps[:end]) if s.applies(draft)), None)


# ---- reading answers -------------------------------------------------------------------------------

def read_text(step: Step, text: str, today: date, draft: dict[str, Any]) -> Any:
    """A typed answer for a text, date or phone step, as the JSON-able draft value (raises DomainError)."""
    if step.kind == DATE:
        raw = clean_text(text, step.key, max_len=40)
        d = parse_user_date(raw, today, allow_future=step.allow_future)
        if step.key == "expected_return" and draft.get("left_on") and d < date.fromisoformat(draft["left_on"]):
            raise DomainError(N_("The expected return cannot be before the day you left"), field=step.key)
        if step.key != "expected_return" and d.year < 1949:
            raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"),
                              field=step.key)
        return d.isoformat()
    if step.kind == PHONE:
        return normalise_mobile(clean_text(text, step.key, max_len=40))
    return clean_text(text, step.key, max_len=step.max_len, multiline=step.multiline)


def read_choice(step: Step, value: str) -> str | None:
    """A tapped choice (untrusted callback data): the enum key if it is one offered here."""
    return next((m.value for m in step.options() if m.value == value), None)


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def details_of(flow: Flow, draft: dict[str, Any]) -> dict[str, Any]:
    """The draft in the shape the services store, for the summary (`reports_text.detail_lines`)."""
    keys = [s.key for s in flow.steps]
    out = {k: draft.get(k) for k in keys}
    if flow.kind is ReportKind.OUTFLOW:
        out["pledge"] = bool(draft.get("pledge"))
    if flow.kind is ReportKind.RETURNED:
        out["flow"] = {"destination": draft.get("was_at")}
    if flow.kind is ReportKind.PHONE:
        out["mobile_display"] = draft.get("phone")
    if flow.kind is ReportKind.ABROAD:
        out["keep_relationship_requested"] = draft.get("keep") == "yes"
    return out


def missing(flow: Flow, draft: dict[str, Any]) -> bool:
    """A required answer is missing (the draft was lost or tampered with): start again."""
    return any(draft.get(s.key) in (None, "") and not s.optional for s in flow.steps if s.applies(draft))


# ---- the reports -----------------------------------------------------------------------------------

async def _save_outflow(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_outflow(
        svc, actor, left_on=date.fromisoformat(d["left_on"]), destination=d["destination"],
        outflow_type=d["outflow_type"], outflow_reason=d["outflow_reason"], expected_return=_d(d.get("expected_return")),
        contact=d["contact"], pledge_accepted=d.get("pledge") == "yes")


async def _save_returned(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_returned(svc, actor, returned_on=date.fromisoformat(d["returned_on"]))


async def _save_moved(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_moved(svc, actor, residence=d["residence"])


async def _save_work_unit(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_work_unit(svc, actor, work_unit=d["work_unit"])


async def _save_phone(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_phone(svc, actor, phone=d["phone"], shared=d.get("source") == "contact",
                                             contact_user_id=d.get("contact_user_id"))


async def _save_abroad(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_abroad(
        svc, actor, left_on=date.fromisoformat(d["left_on"]), destination=d["destination"], purpose=d["purpose"],
        reason=d["reason"], expected_return=_d(d.get("expected_return")), keep_relationship=d.get("keep") == "yes")


async def _save_correction(svc: Services, actor: Actor, d: dict[str, Any]) -> ReportResult:
    return await report_service.report_correction(svc, actor, text=d["text"])


def _may_keep(draft: dict[str, Any]) -> bool:
    try:
        return AbroadPurpose(draft.get("purpose")).may_keep_relationship
    except ValueError:
        return False


_LEFT_ON = Step("left_on", DATE, N_("When did you leave? Type the date (e.g. 2026-11-20, 2026年11月20日, yesterday) "
                                    "or tap a button."), quick_past=True)
_EXPECTED = Step("expected_return", DATE, N_("When do you expect to be back? Type a date, or tap “Not sure yet”."),
                 allow_future=True, optional=True)

FLOWS: dict[str, Flow] = {f.code: f for f in (
    Flow("out", "outflow", ReportKind.OUTFLOW, N_("Going out"), (
        _LEFT_ON,
        Step("destination", TEXT, N_("Where are you going? Type the province, city and county, or the unit "
                                     "(e.g. 广东省深圳市南山区).")),
        Step("outflow_type", CHOICE, N_("How far is it?"), enum=OutflowType,
             choices=("in_county", "in_province", "out_of_province")),
        Step("outflow_reason", CHOICE, N_("Why are you going?"), enum=OutflowReason),
        _EXPECTED,
        Step("contact", TEXT, N_("Who can the branch contact at the destination? Type a name and phone, or the "
                                 "Party organization there.")),
        Step("pledge", PLEDGE, N_("Before you go, please read and confirm your pledge.")),
    ), _save_outflow),
    Flow("ret", "returned", ReportKind.RETURNED, N_("Back home"), (
        Step("returned_on", DATE, N_("When did you come back? Type the date or tap a button."), quick_past=True),
    ), _save_returned),
    Flow("mov", "moved", ReportKind.MOVED, N_("Moved residence"), (
        Step("residence", TEXT, N_("Type your new address (where you actually live).")),
    ), _save_moved),
    Flow("wu", "work_unit", ReportKind.WORK_UNIT, N_("Changed work unit"), (
        Step("work_unit", TEXT, N_("Type your new work unit and post.")),
    ), _save_work_unit),
    Flow("ph", "phone", ReportKind.PHONE, N_("Changed phone"), (
        Step("phone", PHONE, N_("Tap “Share my contact” below, or type your new mobile number.")),
    ), _save_phone),
    Flow("ab", "abroad", ReportKind.ABROAD, N_("Going abroad"), (
        Step("left_on", DATE, N_("On which date did you leave (or are you leaving today)? Type the date "
                                 "(e.g. 2026-11-20) or tap a button."), quick_past=True),
        Step("destination", TEXT, N_("Which country or region are you going to?")),
        Step("purpose", CHOICE, N_("What is the purpose of the stay abroad?"), enum=AbroadPurpose),
        Step("reason", TEXT, N_("Describe the reason in a few words (e.g. the school or the employer).")),
        _EXPECTED,
        Step("keep", YESNO, N_("Members studying or working abroad may ask to keep their organizational "
                               "relationship with the branch (保留组织关系). Do you request it?"), when=_may_keep),
    ), _save_abroad),
    Flow("cor", "correction", ReportKind.CORRECTION, N_("Correction to my record"), (
        Step("text", TEXT, N_("What should be corrected in your record? Type it in one message (at most {max} "
                              "characters)."), max_len=LONG_TEXT_MAX, multiline=True),
    ), _save_correction),
)}

FLOW_BY_ACTION = {f.action: f for f in FLOWS.values()}
