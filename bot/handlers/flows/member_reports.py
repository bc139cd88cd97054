"""Members report status changes from their phones: going out (with the pledge, and the 联心卡 for the road),
back home, moved, a new work unit, a new phone, going abroad, a correction to their record, and the one-tap
check-in (报平安).

Started from the main menu (m:menu:<action>); answers are m:<flow>:<step>:<value>, m:<flow>:back,
m:<flow>:ok. Each step's answer is validated with the rules the services apply, so a bad answer is refused
at the step where it was typed; the services check everything again when the report is saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from bot.domain.codes import AbroadPurpose, OutflowReason, OutflowType, ReportKind
from bot.domain.errors import DomainError
from bot.handlers.common import MENU, HandlerCtx
from bot.handlers.flows.common import MEMBER_HOME
from bot.handlers.profile import card_text
from bot.handlers.wizard import CHOICE, DATE, PHONE, TEXT, Draft, Flow, Result, Step, enum_options, fixed_options
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import profile as profile_service
from bot.services.status_reports import use_cases as report_service
from bot.services.status_reports.pledge import render_pledge
from bot.services.status_reports.text import LONG_TEXT_MAX, detail_lines
from bot.services.status_reports.use_cases import ReportResult


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# ---- answers checked where they are typed ----------------------------------------------------------

def not_before_1949(iso: str, ctx: HandlerCtx, d: Draft) -> str:
    """A leaving or return date before the People's Republic is a typo."""
    if date.fromisoformat(iso).year < 1949:
        raise DomainError(N_("Not a date I can read: try 2026-11-20, 2026年11月20日 or “yesterday”"))
    return iso


def not_before_leaving(iso: str, ctx: HandlerCtx, d: Draft) -> str:
    if d.get("left_on") and iso < d["left_on"]:
        raise DomainError(N_("The expected return cannot be before the day you left"), field="expected_return")
    return iso


def _may_keep(d: Draft) -> bool:
    try:
        return AbroadPurpose(d.get("purpose")).may_keep_relationship
    except ValueError:
        return False


# ---- saving: the service call, then "Saved." -----------------------------------------------------

def deliver_now(application: Any) -> None:
    """Wake the outbox sender so the secretary is told at once (not at its next poll)."""
    from bot.reminders import reminders_of

    sender = getattr(reminders_of(application), "sender", None)
    if sender is not None:
        sender.kick()


Report = Callable[[HandlerCtx, Draft], Awaitable[ReportResult]]


def saved_report(report: Report, title: str, *, extra: Callable[[HandlerCtx, ReportResult], str] | None = None
                 ) -> Callable[[HandlerCtx, Draft, Screen], Awaitable[Result]]:
    """A flow's save: the report service, the outbox woken, "Saved." (and who was told) with the menu."""

    async def save(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
        result = await report(ctx, d)
        deliver_now(screen.application)
        done = ctx._("Saved. Your branch secretary has been told.") if result.notified else ctx._("Saved.")
        if extra is not None:
            done += extra(ctx, result)
        return f"<b>{ctx._(title)}</b>\n{done}", [[(ctx._("Menu"), MENU)]]

    return save


def summary_of(kind: ReportKind,
               details: Callable[[Draft], dict[str, Any]]) -> Callable[[HandlerCtx, Draft], list[str]]:
    """The summary: the draft in the shape the services store, as the secretary will read it."""
    return lambda ctx, d: detail_lines(kind, details(d), ctx.tr)


async def send_card(ctx: HandlerCtx, d: Draft, screen: Screen) -> None:
    """The 联心卡 (seed 004 measure 六) for the road, after an outflow."""
    try:
        card = await profile_service.branch_card(ctx.services, ctx.actor)
    except DomainError:
        return
    await screen.send(ctx._("Take your branch's contact card with you:") + "\n\n" + card_text(ctx.tr, card))


async def where_away(ctx: HandlerCtx, d: Draft) -> None:
    """Back home: the summary shows where the member is recorded as away (kept as history)."""
    try:
        member = (await profile_service.my_record(ctx.services, ctx.actor)).member
    except DomainError:
        return
    d["was_at"] = member.flow.destination if member.flow else None


# ---- the reports -----------------------------------------------------------------------------------

LEFT_ON = Step("left_on", DATE, N_("When did you leave? Type the date (e.g. 2026-11-20, 2026年11月20日, yesterday) "
                                   "or tap a button."), parse=not_before_1949)
EXPECTED = Step("expected_return", DATE, N_("When do you expect to be back? Type a date, or tap “Not sure yet”."),
                allow_future=True, optional=True, quick=False, skip_label=N_("Not sure yet"),
                parse=not_before_leaving)

OUTFLOW_TITLE = N_("Going out")
OUTFLOW = Flow(
    code="out", title=OUTFLOW_TITLE, home=MEMBER_HOME, start="m:menu:outflow",
    steps=(
        LEFT_ON,
        Step("destination", TEXT, N_("Where are you going? Type the province, city and county, or the unit "
                                     "(e.g. 广东省深圳市南山区).")),
        Step("outflow_type", CHOICE, N_("How far is it?"),
             options=enum_options(OutflowType, ("in_county", "in_province", "out_of_province"))),
        Step("outflow_reason", CHOICE, N_("Why are you going?"), options=enum_options(OutflowReason)),
        EXPECTED,
        Step("contact", TEXT, N_("Who can the branch contact at the destination? Type a name and phone, or the "
                                 "Party organization there.")),
        Step("pledge", CHOICE, N_("Before you go, please read and confirm your pledge."),
             options=fixed_options(("yes", N_("🤝 I promise"))), note=lambda ctx, d: render_pledge(ctx.tr)),
    ),
    summary=summary_of(ReportKind.OUTFLOW, lambda d: {**d, "pledge": bool(d.get("pledge"))}),
    save=saved_report(lambda ctx, d: report_service.report_outflow(
        ctx.services, ctx.actor, left_on=date.fromisoformat(d["left_on"]), destination=d["destination"],
        outflow_type=d["outflow_type"], outflow_reason=d["outflow_reason"],
        expected_return=_d(d.get("expected_return")), contact=d["contact"],
        pledge_accepted=d.get("pledge") == "yes"), OUTFLOW_TITLE),
    after=send_card)

RETURNED_TITLE = N_("Back home")
RETURNED = Flow(
    code="ret", title=RETURNED_TITLE, home=MEMBER_HOME, start="m:menu:returned", init=where_away,
    steps=(Step("returned_on", DATE, N_("When did you come back? Type the date or tap a button."),
                parse=not_before_1949),),
    summary=summary_of(ReportKind.RETURNED, lambda d: {**d, "flow": {"destination": d.get("was_at")}}),
    save=saved_report(lambda ctx, d: report_service.report_returned(
        ctx.services, ctx.actor, returned_on=date.fromisoformat(d["returned_on"])), RETURNED_TITLE))

MOVED_TITLE = N_("Moved residence")
MOVED = Flow(
    code="mov", title=MOVED_TITLE, home=MEMBER_HOME, start="m:menu:moved",
    steps=(Step("residence", TEXT, N_("Type your new address (where you actually live).")),),
    summary=summary_of(ReportKind.MOVED, dict),
    save=saved_report(lambda ctx, d: report_service.report_moved(ctx.services, ctx.actor, residence=d["residence"]),
                      MOVED_TITLE))

WORK_UNIT_TITLE = N_("Changed work unit")
WORK_UNIT = Flow(
    code="wu", title=WORK_UNIT_TITLE, home=MEMBER_HOME, start="m:menu:work_unit",
    steps=(Step("work_unit", TEXT, N_("Type your new work unit and post.")),),
    summary=summary_of(ReportKind.WORK_UNIT, dict),
    save=saved_report(lambda ctx, d: report_service.report_work_unit(ctx.services, ctx.actor,
                                                                     work_unit=d["work_unit"]), WORK_UNIT_TITLE))

PHONE_TITLE = N_("Changed phone")
PHONE_FLOW = Flow(
    code="ph", title=PHONE_TITLE, home=MEMBER_HOME, start="m:menu:phone",
    steps=(Step("phone", PHONE, N_("Tap “Share my contact” below, or type your new mobile number.")),),
    summary=summary_of(ReportKind.PHONE, lambda d: {**d, "mobile_display": d.get("phone")}),
    save=saved_report(lambda ctx, d: report_service.report_phone(
        ctx.services, ctx.actor, phone=d["phone"], shared=d.get("source") == "contact",
        contact_user_id=d.get("contact_user_id")), PHONE_TITLE))

ABROAD_TITLE = N_("Going abroad")
ABROAD = Flow(
    code="ab", title=ABROAD_TITLE, home=MEMBER_HOME, start="m:menu:abroad",
    steps=(
        Step("left_on", DATE, N_("On which date did you leave (or are you leaving today)? Type the date "
                                 "(e.g. 2026-11-20) or tap a button."), parse=not_before_1949),
        Step("destination", TEXT, N_("Which country or region are you going to?")),
        Step("purpose", CHOICE, N_("What is the purpose of the stay abroad?"), options=enum_options(AbroadPurpose)),
        Step("reason", TEXT, N_("Describe the reason in a few words (e.g. the school or the employer).")),
        EXPECTED,
        Step("keep", CHOICE, N_("Members studying or working abroad may ask to keep their organizational "
                                "relationship with the branch (保留组织关系). Do you request it?"),
             options=fixed_options(("yes", N_("Yes, I request it")), ("no", N_("No"))), per_row=2,
             skip_if=lambda d: not _may_keep(d), drop_when_skipped=True),
    ),
    summary=summary_of(ReportKind.ABROAD, lambda d: {**d, "keep_relationship_requested": d.get("keep") == "yes"}),
    save=saved_report(lambda ctx, d: report_service.report_abroad(
        ctx.services, ctx.actor, left_on=date.fromisoformat(d["left_on"]), destination=d["destination"],
        purpose=d["purpose"], reason=d["reason"], expected_return=_d(d.get("expected_return")),
        keep_relationship=d.get("keep") == "yes"), ABROAD_TITLE,
        extra=lambda ctx, r: "\n" + ctx._("Your request to keep the organizational relationship awaits the "
                                          "branch's decision.") if r.details.get("keep_relationship_requested")
        else ""))

CORRECTION_TITLE = N_("Correction to my record")
CORRECTION = Flow(
    code="cor", title=CORRECTION_TITLE, home=MEMBER_HOME, start="m:menu:correction",
    steps=(Step("text", TEXT, N_("What should be corrected in your record? Type it in one message (at most {max} "
                                 "characters)."), max_len=LONG_TEXT_MAX, multiline=True),),
    summary=summary_of(ReportKind.CORRECTION, dict),
    save=saved_report(lambda ctx, d: report_service.report_correction(ctx.services, ctx.actor, text=d["text"]),
                      CORRECTION_TITLE))


async def _check_in(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    await report_service.check_in(ctx.services, ctx.actor)
    deliver_now(screen.application)
    return ctx._("Thank you! Your branch knows you are well. 🌟"), [[(ctx._("Menu"), MENU)]]


# 报平安: no question, no summary: the tap is the report.
CHECK_IN = Flow(code="ci", title=N_("Check-in"), home=MEMBER_HOME, start="m:menu:checkin", steps=(),
                confirm=False, save=_check_in)

FLOWS = (OUTFLOW, RETURNED, MOVED, WORK_UNIT, PHONE_FLOW, ABROAD, CORRECTION, CHECK_IN)
