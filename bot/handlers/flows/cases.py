"""The steps of a lost-contact case, as wizard flows started from the case card (k:go:<flow>:<case id>):
declare unreachable, the findings, the 支委会's proposal, 预审, the 党员大会, 审核/审批, a rejection, restore
(2019) and death. Every opinion is typed (≤ 2,000 characters) and confirmed on the summary before it is
saved; the services (bot.services.cases) re-check the case, the step it waits for and the actor's role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from bot.domain import disposition
from bot.domain.codes import Outcome
from bot.domain.disposition import Findings
from bot.domain.errors import DomainError, PermissionDenied
from bot.handlers.cases_view import ACTION_FLOW, CASES_LIST
from bot.handlers.common import HandlerCtx
from bot.handlers.flows.common import officers_only
from bot.handlers.labels import date_text, field, line
from bot.handlers.markup import cb, esc
from bot.handlers.wizard import CHOICE, DATE, TEXT, Draft, Flow, Home, Result, Rows, Step, enum_options, fixed_options
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services.cases import chain, queries, search_steps, status
from bot.services.cases.recording import StepTaken

OPINION_MAX = disposition.OPINION_MAX
NO_VARIANT = "none"


def _menu(ctx: HandlerCtx) -> Result:
    return ctx._("<b>Lost-contact cases</b>"), [[(ctx._("📂 Open cases"), CASES_LIST)],
                                                 [(ctx._("⏳ Waiting for my review or approval"), "k:q:0")]]


CASES_HOME = Home(prefix="k:f", guard=officers_only, menu=_menu, button=(N_("« Cases"), CASES_LIST),
                  interrupted=N_("That was interrupted. Please open the case again."))


def _start_for(action: str) -> Callable[[HandlerCtx, Draft, int], Awaitable[None]]:
    """The case from the button (re-checked: visible to the actor, and this step theirs to take now)."""

    async def start_with(ctx: HandlerCtx, draft: Draft, case_id: int) -> None:
        card = await queries.case_card(ctx.services, ctx.actor, case_id)
        if action not in await queries.actions_for(ctx.services, ctx.actor, card):
            raise PermissionDenied(N_("This step is not yours to take on this case now"))
        draft.update(case_id=card.case.id, member_name=card.member_name, _roll=card.voters_on_roll)
        if action == disposition.S_PROPOSAL:
            draft["_outcomes"] = [o.value for o in await chain.proposable(ctx.services, ctx.actor, case_id)]
    return start_with


def _outcome_options(ctx: HandlerCtx, draft: Draft) -> list[tuple[str, str]]:
    return [(v, Outcome(v).label(ctx.tr)) for v in draft.get("_outcomes") or []]


def _rows(ctx: HandlerCtx, draft: Draft) -> Rows:
    return [[(ctx._("📂 Open the case"), cb("k:open", draft["case_id"]))], [(ctx._("« Cases"), CASES_LIST)]]


def _result(ctx: HandlerCtx, draft: Draft, taken: StepTaken) -> Result:
    case = taken.case
    text = ctx._("Saved: “{step}” for {name}.", step=ctx._(disposition.STEP_LABEL[taken.step]),
                 name=esc(draft["member_name"]))
    nxt = disposition.next_step(case.state, case.outcome)
    if case.state == disposition.DECIDED:
        text += "\n" + ctx._("The case is decided: {outcome}.", outcome=case.outcome.label(ctx.tr) if case.outcome else "—")
    elif nxt is not None:
        text += "\n" + ctx._("Next: {step}, by {level}", step=ctx._(disposition.STEP_LABEL[nxt.name]),
                             level=ctx._(disposition.LEVEL_LABEL[nxt.level]))
    return text, _rows(ctx, draft)


def _member_line(ctx: HandlerCtx, d: Draft) -> str:
    return line(ctx, N_("Member"), d.get("member_name"))


def _opinion_step(key: str = "opinion", prompt: str = N_("Type the opinion as it goes on the form "
                                                          "(at most {max} characters):"),
                  optional: bool = False) -> Step:
    return Step(key, TEXT, prompt, max_len=OPINION_MAX, multiline=True, optional=optional)


def _date(d: Draft, key: str = "on") -> date:
    return date.fromisoformat(d[key])


def _flow(action: str, title: str, steps: tuple[Step, ...], summary: Callable[[HandlerCtx, Draft], list[str]],
          save: Callable[[HandlerCtx, Draft], Awaitable[StepTaken]], aliases: dict[str, str] | None = None) -> Flow:
    code = ACTION_FLOW[action]

    async def saved(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
        return _result(ctx, d, await save(ctx, d))

    return Flow(code=code, title=title, home=CASES_HOME, start=f"k:go:{code}", start_with=_start_for(action),
                steps=steps, summary=lambda ctx, d: [_member_line(ctx, d), *summary(ctx, d)], save=saved,
                aliases={"date": "on", "opinion": "opinion", **(aliases or {})})


DATE_PROMPT = N_("Which day? Tap Today, or type a date (2026-11-20, 2026年11月20日, yesterday).")
DECISIONS = fixed_options(("approve", N_("✅ Agree")), ("reject", N_("↩️ Send back to the branch")))


def _decision_line(ctx: HandlerCtx, d: Draft) -> str:
    return field(ctx, N_("Decision"), ctx._(N_("✅ Agree") if d.get("decision") == "approve"
                                             else N_("↩️ Send back to the branch")))


def _opinion_line(ctx: HandlerCtx, d: Draft, key: str = "opinion", label: str = N_("Opinion")) -> str:
    return field(ctx, label, "\n" + esc(d.get(key) or "—"))


UNREACHABLE = _flow(
    disposition.S_UNREACHABLE, N_("Declare unreachable (确实无法取得联系)"),
    (Step("on", DATE, DATE_PROMPT), _opinion_step("note", N_("A note for the record, or Skip:"), optional=True)),
    lambda ctx, d: [field(ctx, N_("Date"), date_text(ctx, d.get("on"))), _opinion_line(ctx, d, "note", N_("Note"))],
    lambda ctx, d: search_steps.unreachable(ctx.services, ctx.actor, d["case_id"], _date(d), d.get("note")),
    aliases={"opinion": "note"})

FINDINGS = _flow(
    disposition.S_FINDINGS, N_("Conduct investigated (表现调查核实情况)"),
    (Step("findings", CHOICE, N_("What did the investigation find?"), options=enum_options(Findings)),
     _opinion_step("text", N_("Describe what was found (at most {max} characters); Skip if nothing was found:"),
                   optional=True)),
    lambda ctx, d: [field(ctx, N_("Findings"), Findings(d["findings"]).label(ctx.tr) if d.get("findings") else "—"),
                    _opinion_line(ctx, d, "text", N_("Details"))],
    lambda ctx, d: search_steps.findings(ctx.services, ctx.actor, d["case_id"], d["findings"], d.get("text")),
    aliases={"opinion": "text", "findings": "findings"})

PROPOSAL = _flow(
    disposition.S_PROPOSAL, N_("Branch committee's proposal (支委会初步处置意见)"),
    (Step("outcome", CHOICE, N_("Which disposition does the branch committee propose?"), options=_outcome_options,
          per_row=2),
     Step("variant", CHOICE, N_("Is the relationship transferred out, or a late transfer (补转)?"),
          options=fixed_options((NO_VARIANT, N_("Neither")), (disposition.VARIANT_TRANSFER_OUT, N_("Transfer out")),
                                (disposition.VARIANT_LATE_TRANSFER, N_("Late transfer (补转)"))),
          skip_if=lambda d: d.get("outcome") != Outcome.BROUGHT_UNDER_MANAGEMENT.value, drop_when_skipped=True),
     _opinion_step()),
    lambda ctx, d: [field(ctx, N_("Disposition"), Outcome(d["outcome"]).label(ctx.tr) if d.get("outcome") else "—"),
                    _opinion_line(ctx, d)],
    lambda ctx, d: chain.propose(ctx.services, ctx.actor, d["case_id"], d["outcome"], d["opinion"],
                                 None if d.get("variant") in (None, NO_VARIANT) else d["variant"]),
    aliases={"outcome": "outcome", "variant": "variant"})


def _decision_flow(action: str, title: str, call: Callable[..., Awaitable[StepTaken]]) -> Flow:
    return _flow(action, title, (Step("decision", CHOICE, N_("Your decision:"), options=DECISIONS), _opinion_step()),
                 lambda ctx, d: [_decision_line(ctx, d), _opinion_line(ctx, d)],
                 lambda ctx, d: call(ctx.services, ctx.actor, d["case_id"], d["opinion"], d["decision"] == "approve"))


PREREVIEW = _decision_flow(disposition.S_COMMITTEE_PREREVIEW, N_("Pre-review (预审意见)"), chain.review)
DEPT_PREREVIEW = _decision_flow(disposition.S_DEPT_PREREVIEW, N_("Pre-review (预审意见)"), chain.review)
APPROVAL = _decision_flow(disposition.S_COMMITTEE_APPROVAL, N_("Approval (审核（审批）意见)"), chain.approve)
DEPT_APPROVAL = _decision_flow(disposition.S_DEPT_APPROVAL, N_("Approval (审批意见)"), chain.approve)

REJECT = _flow(
    queries.A_REJECT, N_("Send back to the branch"),
    (_opinion_step("reason", N_("Why is the case sent back? The branch reads this (at most {max} characters):")),),
    lambda ctx, d: [_opinion_line(ctx, d, "reason", N_("Reason"))],
    lambda ctx, d: chain.reject(ctx.services, ctx.actor, d["case_id"], d["reason"]),
    aliases={"opinion": "reason"})


def _count(text: Any, ctx: HandlerCtx, draft: Draft) -> int:
    value = str(text).strip()
    if not value.isdigit() or int(value) > 10_000:
        raise DomainError(N_("Type a number, like 9"), field="votes")
    return int(value)


def _roll_note(ctx: HandlerCtx, d: Draft) -> str:
    return ctx._("The register shows {n} full members with voting rights.", n=d.get("_roll", "?"))


MEETING = _flow(
    disposition.S_MEETING, N_("General meeting resolution (支部党员大会决议)"),
    (Step("entitled", TEXT, N_("How many full members with voting rights should attend (应到)?"), max_len=6,
          parse=_count, note=_roll_note),
     Step("present", TEXT, N_("How many attended (实到)?"), max_len=6, parse=_count),
     Step("in_favour", TEXT, N_("How many voted for the proposal (赞成)?"), max_len=6, parse=_count),
     Step("adopted", CHOICE, N_("Did the meeting adopt the proposal?"),
          options=fixed_options(("yes", N_("Adopted")), ("no", N_("Not adopted")))),
     _opinion_step(prompt=N_("Type the resolution as it goes on the form (at most {max} characters):"))),
    lambda ctx, d: [ctx._("Entitled {entitled}, present {present}, for {for_}", entitled=d.get("entitled"),
                          present=d.get("present"), for_=d.get("in_favour")),
                    field(ctx, N_("Result"), ctx._(N_("Adopted") if d.get("adopted") == "yes" else N_("Not adopted"))),
                    _opinion_line(ctx, d, label=N_("Resolution"))],
    lambda ctx, d: chain.resolve(ctx.services, ctx.actor, d["case_id"], d["entitled"], d["present"], d["in_favour"],
                                 d["opinion"], adopted=d["adopted"] == "yes"),
    aliases={"votes": "entitled"})

RESTORE = _flow(
    disposition.S_RESTORE, N_("Restore membership (恢复党籍)"),
    (Step("on", DATE, N_("On which day was contact regained? Tap Today, or type a date.")), _opinion_step()),
    lambda ctx, d: [field(ctx, N_("Contact regained on"), date_text(ctx, d.get("on"))), _opinion_line(ctx, d)],
    lambda ctx, d: status.restore(ctx.services, ctx.actor, d["case_id"], _date(d), d["opinion"]))

DEATH = _flow(
    queries.A_DEATH, N_("Record death (确认已死亡)"),
    (Step("on", DATE, N_("On which day did the member die? Tap Today, or type a date.")),
     _opinion_step("note", N_("How was it confirmed? (e.g. 派出所户籍注销), or Skip:"), optional=True)),
    lambda ctx, d: [field(ctx, N_("Died on"), date_text(ctx, d.get("on"))), _opinion_line(ctx, d, "note", N_("Note"))],
    lambda ctx, d: status.death(ctx.services, ctx.actor, d["case_id"], _date(d), d.get("note")),
    aliases={"opinion": "note"})

FLOWS = (UNREACHABLE, FINDINGS, PROPOSAL, PREREVIEW, DEPT_PREREVIEW, MEETING, APPROVAL, DEPT_APPROVAL, REJECT,
         RESTORE, DEATH)
