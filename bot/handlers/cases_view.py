"""How a lost-contact case looks in chat: list lines, the card, its buttons. Pure: a translator and the
services' results in, HTML text and keyboard rows out (user text escaped, ID numbers never shown)."""

from __future__ import annotations

from typing import Any

from bot.domain import disposition
from bot.domain.codes import MemberType, Role
from bot.handlers.markup import cb, esc, short
from bot.i18n import N_, Translator
from bot.services.cases.queries import A_DEATH, A_REJECT, CaseCard, CaseLine

ICON = {disposition.SEARCHING: "🔎", disposition.REACHED: "🤝", disposition.UNREACHABLE: "❔",
        disposition.INVESTIGATED: "📋", disposition.DECIDED: "✅"}
CHAIN_ICON = "⏳"
CASES_LIST = "k:l:open:0"
# The wizard flow (bot.handlers.flows.cases) each card action starts: k:go:<code>:<case id>.
ACTION_FLOW = {
    disposition.S_UNREACHABLE: "kunr", disposition.S_FINDINGS: "kfnd", disposition.S_PROPOSAL: "kprop",
    disposition.S_COMMITTEE_PREREVIEW: "krevc", disposition.S_DEPT_PREREVIEW: "krevd", disposition.S_MEETING: "kmeet",
    disposition.S_COMMITTEE_APPROVAL: "kappc", disposition.S_DEPT_APPROVAL: "kappd", A_REJECT: "krej",
    disposition.S_RESTORE: "kres", A_DEATH: "kdie",
}
OPINION_SHOWN = 300      # characters of each opinion on the card (the forms carry all of it)

ACTION_LABEL = {
    disposition.S_UNREACHABLE: N_("❔ Declare unreachable"), disposition.S_FINDINGS: N_("📋 Record the findings"),
    disposition.S_PROPOSAL: N_("📝 Propose a disposition"), disposition.S_COMMITTEE_PREREVIEW: N_("✅ Pre-review"),
    disposition.S_DEPT_PREREVIEW: N_("✅ Pre-review"), disposition.S_MEETING: N_("🗳 Record the general meeting"),
    disposition.S_COMMITTEE_APPROVAL: N_("✅ Approve"), disposition.S_DEPT_APPROVAL: N_("✅ Approve"),
    disposition.S_RESTORE: N_("♻️ Restore membership"), A_REJECT: N_("↩️ Send back to the branch"),
    A_DEATH: N_("🕯 Record death"),
}


def icon(state: str) -> str:
    return ICON.get(state, CHAIN_ICON)


def line(tr: Translator, c: CaseLine) -> str:
    """One list line: state, name, branch, waiting time, ⚠️ when overdue."""
    warn = "⚠️ " if c.overdue else ""
    return (f"{warn}{icon(c.state)} <b>{esc(short(c.member_name, 30))}</b> · {esc(short(c.branch_name, 30))} · "
            + tr.gettext(disposition.STATE_LABEL[c.state]) + " · "
            + tr.gettext(N_("waiting {days} days"), days=c.waiting_days))


def line_button(c: CaseLine) -> tuple[str, str]:
    return (f"{icon(c.state)} {short(c.member_name, 30)}", cb("k:open", c.case_id))


def _who(tr: Translator, s: Any) -> str:
    return s.role.label(tr) if isinstance(s.role, Role) else tr.gettext(N_("back office"))


def step_line(tr: Translator, s: Any) -> str:
    label = tr.gettext(disposition.STEP_LABEL.get(s.step or "", N_("Step")))
    verdict = "" if s.approve else " · " + tr.gettext(N_("sent back"))
    votes = ""
    if s.votes:
        votes = " · " + tr.gettext(N_("entitled {entitled}, present {present}, for {for_}"), entitled=s.votes.entitled,
                                   present=s.votes.present, for_=s.votes.in_favour)
    opinion = f"\n    <i>{esc(short(s.opinion, OPINION_SHOWN))}</i>" if s.opinion else ""
    return f"• {tr.date(s.on)} {label} ({_who(tr, s)}){verdict}{votes}{opinion}"


def card_text(tr: Translator, card: CaseCard) -> str:
    """The case card: member, lost time, attempts, findings, steps so far, the next step and who takes it."""
    case = card.case
    kind = MemberType(card.member_type).label(tr)
    out = [tr.gettext(N_("<b>Lost-contact case {case}</b>"), case=case.id),
           f"{esc(card.member_name)} ({kind}) · {esc(card.branch_name)}",
           tr.gettext(N_("State: {state}"), state=tr.gettext(disposition.STATE_LABEL[case.state]))]
    if case.outcome is not None:
        out.append(tr.gettext(N_("Outcome: {outcome}"), outcome=case.outcome.label(tr)))
    if card.last_contact_on is not None:
        out.append(tr.gettext(N_("Last contact: {date} ({months} months ago)"), date=tr.date(card.last_contact_on),
                              months=card.months_without_contact))
    out.append(tr.gettext(N_("Search attempts: {n} ({signed} signed by two or more; removal needs {min})"),
                          n=card.attempts, signed=card.signed_attempts, min=card.min_attempts))
    if case.findings is not None:
        text = f" — {esc(short(case.findings_text, OPINION_SHOWN))}" if case.findings_text else ""
        out.append(tr.gettext(N_("Findings: {findings}"), findings=case.findings.label(tr)) + text)
    if card.removal_due_on is not None:
        out.append(tr.gettext(N_("Suspended since {since}; removal due on {due}"),
                              since=tr.date(case.suspended_since), due=tr.date(card.removal_due_on)))
    if card.steps:
        out.append(tr.gettext(N_("<b>Steps so far</b>")))
        out.extend(step_line(tr, s) for s in card.steps)
    if card.next_step is None or case.closed_on is not None:
        out.append(tr.gettext(N_("The case is closed.")))
    else:
        out.append(tr.gettext(N_("Next: {step}, by {level}"), step=tr.gettext(disposition.STEP_LABEL[card.next_step.name]),
                              level=tr.gettext(disposition.LEVEL_LABEL[card.next_step.level])))
    return "\n".join(out)


def card_rows(tr: Translator, card: CaseCard, actions: list[str]) -> list[list[tuple[str, str]]]:
    """A button per action the viewer may take (it starts that step's flow), then back to the list."""
    rows = [[(tr.gettext(ACTION_LABEL[a]), cb("k:go", ACTION_FLOW[a], card.case.id))] for a in actions
            if a in ACTION_FLOW]
    rows.append([(tr.gettext(N_("« Cases")), CASES_LIST)])
    return rows
