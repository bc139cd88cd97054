"""`branchbot case …`: lost-contact cases from the back office — decisions taken on paper entered as steps.

`case list [--org ID] [--state S] [--json]`, `case show ID [--json]`, and one subcommand per action: open,
attempt (a search attempt from a paper 记录表), unreachable, findings, propose, review (预审), resolve (党员大会),
approve (审核/审批), reject, restore, death. Every action runs `--as TG_ID`: the services check that this user
holds the role the step needs over the case's branch, exactly as in the bot, and the audit rows name them.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import date
from typing import Any, Callable

from bot.cli.common import CliError, command, operator_tr, parse_code, session
from bot.domain import disposition
from bot.domain.codes import Outcome, SearchMethod, SearchResult
from bot.domain.disposition import Findings
from bot.i18n import N_, Translator
from bot.services.cases import chain, queries, search_steps, status
from bot.services.context import OPERATOR, Actor, actor_for

T_DONE = N_("Case {case}: “{step}” recorded. Now: {state}. Next: {next}.")
T_NEXT = N_("{step} ({level})")
T_NONE = N_("nothing: the case is decided")
T_OPENED = N_("Case {case} is open for member {member}.")
T_ATTEMPT = N_("Search attempt {attempt} recorded on case {case} (attempt no. {n}).")
T_LINE = N_("case {case} · {name} · {branch} · {state} · {attempts} attempt(s) · waiting {days} day(s){overdue}")
T_OVERDUE = N_(" · OVERDUE")
T_EMPTY = N_("No cases.")
T_BAD_DATE = N_("Not a date I can read: {value} (try 2026-11-23)")
T_STEP_LINE = N_("  {on} · {step} · {decision} · {who}{votes}: {opinion}")
T_VOTES = N_(" (entitled {entitled}, present {present}, for {for_})")
T_CARD = N_("Case {case} · {name} ({type}) · {branch}\nState: {state}; outcome: {outcome}\nLast contact: {last} "
            "({months} months); attempts: {attempts} ({signed} signed by two or more, {min} needed for removal)\n"
            "Findings: {findings} {findings_text}\nNext: {next}")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(operator_tr().gettext(T_BAD_DATE, value=text[:40])) from None


async def _actor(ctx: Any, args: argparse.Namespace) -> Actor:
    tg = getattr(args, "as_tg", None)
    return OPERATOR if tg is None else await actor_for(ctx.db, tg)


def _next_text(tr: Translator, step: disposition.Step | None) -> str:
    if step is None:
        return tr.gettext(T_NONE)
    return tr.gettext(T_NEXT, step=tr.gettext(disposition.STEP_LABEL[step.name]),
                      level=tr.gettext(disposition.LEVEL_LABEL[step.level]))


def _print_taken(tr: Translator, taken: Any) -> None:
    case = taken.case
    print(tr.gettext(T_DONE, case=case.id, step=tr.gettext(disposition.STEP_LABEL[taken.step]), state=case.state,
                     next=_next_text(tr, disposition.next_step(case.state, case.outcome))))


def _action(call: Callable[[Any, Actor, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    """A subcommand that takes one step as the --as user and prints where the case stands."""
    @command
    async def run(args: argparse.Namespace) -> int:
        async with session(args) as ctx:
            actor = await _actor(ctx, args)
            _print_taken(ctx.tr, await call(ctx.svc, actor, args))
        return 0
    return run


# --- list / show --------------------------------------------------------------------------------------

@command
async def cmd_list(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr, actor = ctx.tr, await _actor(ctx, args)
        lines: list[queries.CaseLine] = []
        page = 0
        while True:   # every page: the CLI prints the whole list
            got = await queries.list_cases(ctx.svc, actor, args.org, args.state, page=page, size=200,
                                           include_closed=args.all)
            lines += got.items
            if (page + 1) * got.size >= got.total:
                break
            page += 1
        if args.json:
            for c in lines:
                print(json.dumps({"case_id": c.case_id, "member_id": c.member_id, "name": c.member_name,
                                  "branch_id": c.branch_id, "state": c.state,
                                  "outcome": c.outcome.value if c.outcome else None,
                                  "opened_on": c.opened_on.isoformat(), "attempts": c.attempts,
                                  "waiting_days": c.waiting_days, "overdue": c.overdue,
                                  "next_step": c.next_step.name if c.next_step else None,
                                  "next_level": c.next_step.level if c.next_step else None}, ensure_ascii=False))
            return 0
        if not lines:
            print(tr.gettext(T_EMPTY))
        for c in lines:
            print(tr.gettext(T_LINE, case=c.case_id, name=c.member_name, branch=c.branch_name, state=c.state,
                             attempts=c.attempts, days=c.waiting_days, overdue=tr.gettext(T_OVERDUE) if c.overdue else ""))
    return 0


def _card_json(card: queries.CaseCard) -> dict[str, Any]:
    case = card.case
    data = {k: (v.isoformat() if isinstance(v, date) else getattr(v, "value", v)) for k, v in asdict(case).items()}
    return {"case": data, "member_name": card.member_name, "member_type": card.member_type,
            "branch_id": card.branch_id, "branch_name": card.branch_name, "member_active": card.active,
            "last_contact_on": card.last_contact_on.isoformat() if card.last_contact_on else None,
            "months_without_contact": card.months_without_contact, "attempts": card.attempts,
            "signed_attempts": card.signed_attempts, "min_attempts": card.min_attempts, "policy": card.policy,
            "removal_due_on": card.removal_due_on.isoformat() if card.removal_due_on else None,
            "next_step": card.next_step.name if card.next_step else None,
            "next_level": card.next_step.level if card.next_step else None,
            "steps": [{"step": s.step, "round": s.round, "on": s.on.isoformat(), "role": s.role.value if s.role else None,
                       "tg_id": s.tg_id, "org_id": s.org_id, "decision": s.decision,
                       "outcome": s.outcome.value if s.outcome else None, "opinion": s.opinion,
                       "votes": asdict(s.votes) if s.votes else None} for s in card.steps]}


@command
async def cmd_show(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        card = await queries.case_card(ctx.svc, await _actor(ctx, args), args.id)
        if args.json:
            print(json.dumps(_card_json(card), ensure_ascii=False))
            return 0
        case = card.case
        print(tr.gettext(T_CARD, case=case.id, name=card.member_name, type=card.member_type, branch=card.branch_name,
                         state=case.state, outcome=case.outcome.label(tr) if case.outcome else "—",
                         last=card.last_contact_on or "—", months=card.months_without_contact or 0,
                         attempts=card.attempts, signed=card.signed_attempts, min=card.min_attempts,
                         findings=case.findings.label(tr) if case.findings else "—",
                         findings_text=case.findings_text or "", next=_next_text(tr, card.next_step)))
        for s in card.steps:
            votes = tr.gettext(T_VOTES, entitled=s.votes.entitled, present=s.votes.present,
                               for_=s.votes.in_favour) if s.votes else ""
            print(tr.gettext(T_STEP_LINE, on=s.on.isoformat(), step=tr.gettext(disposition.STEP_LABEL.get(s.step or "", s.step or "?")),
                             decision=s.decision, who=s.actor, votes=votes, opinion=s.opinion or ""))
    return 0


# --- actions --------------------------------------------------------------------------------------------

@command
async def cmd_open(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        case_id = await search_steps.open_case(ctx.svc, await _actor(ctx, args), args.member, _date(args.date))
        print(ctx.tr.gettext(T_OPENED, case=case_id, member=args.member))
    return 0


@command
async def cmd_attempt(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        data = dict(member_id=args.member, on=_date(args.date), method=parse_code(SearchMethod, args.method, tr),
                    contacted=args.contacted, contact_phone=args.phone, narrative=args.narrative,
                    result=parse_code(SearchResult, args.result, tr), signer_ids=args.signer or [])
        logged = await search_steps.attempt(ctx.svc, await _actor(ctx, args), data)
        print(tr.gettext(T_ATTEMPT, attempt=logged.attempt_id, case=logged.case_id, n=logged.attempt_no))
    return 0


def _outcome(args: argparse.Namespace) -> Outcome:
    return parse_code(Outcome, args.outcome, operator_tr())


ACTIONS: dict[str, Callable[[Any, Actor, argparse.Namespace], Any]] = {
    "unreachable": lambda svc, a, x: search_steps.unreachable(svc, a, x.id, _date(x.date), x.note),
    "findings": lambda svc, a, x: search_steps.findings(svc, a, x.id, parse_code(Findings, x.kind, operator_tr()),
                                                        x.text, _date(x.date)),
    "propose": lambda svc, a, x: chain.propose(svc, a, x.id, _outcome(x), x.opinion, x.variant, _date(x.date)),
    "review": lambda svc, a, x: chain.review(svc, a, x.id, x.opinion, not x.reject, _date(x.date)),
    "resolve": lambda svc, a, x: chain.resolve(svc, a, x.id, x.entitled, x.present, x.in_favour, x.opinion,
                                               not x.not_adopted, _date(x.date)),
    "approve": lambda svc, a, x: chain.approve(svc, a, x.id, x.opinion, not x.reject, _date(x.date)),
    "reject": lambda svc, a, x: chain.reject(svc, a, x.id, x.reason, _date(x.date)),
    "restore": lambda svc, a, x: status.restore(svc, a, x.id, _date(x.date), x.opinion),
    "death": lambda svc, a, x: status.death(svc, a, x.id, _date(x.date), x.note),
}


def register(sub: Any) -> None:
    h = operator_tr().gettext
    case = sub.add_parser("case", help=h(N_("lost-contact cases: list, show, and each step of the disposition")))
    cs = case.add_subparsers(dest="case_command", required=True)

    def parser(name: str, text: str, with_id: bool = True, as_required: bool = True) -> argparse.ArgumentParser:
        p = cs.add_parser(name, help=h(text))
        if with_id:
            p.add_argument("id", type=int, metavar="ID")
        p.add_argument("--as", dest="as_tg", type=int, metavar="TG_ID", required=as_required,
                       help=h(N_("the Telegram user acting (they must hold the role the step needs)")))
        return p

    def dated(p: argparse.ArgumentParser, required: bool = False) -> argparse.ArgumentParser:
        p.add_argument("--date", metavar="YYYY-MM-DD", required=required, help=h(N_("the date (default: today)")))
        return p

    p = parser("list", N_("cases you may see, overdue first"), with_id=False, as_required=False)
    p.add_argument("--org", type=int, metavar="ID", help=h(N_("only this organization's subtree")))
    p.add_argument("--state", choices=disposition.STATES)
    p.add_argument("--all", action="store_true", help=h(N_("include closed cases")))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = parser("show", N_("one case: member, attempts, findings, steps, the next step"), as_required=False)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = dated(parser("open", N_("open a case for a member"), with_id=False))
    p.add_argument("--member", type=int, required=True, metavar="ID")
    p.set_defaults(func=cmd_open)
    p = dated(parser("attempt", N_("a search attempt from a paper record (记录表)"), with_id=False), required=True)
    p.add_argument("--member", type=int, required=True, metavar="ID")
    p.add_argument("--method", required=True, help=h(N_("how: {keys}"), keys=", ".join(m.value for m in SearchMethod)))
    p.add_argument("--contacted", required=True, help=h(N_("whom the branch asked (查找对象)")))
    p.add_argument("--phone", help=h(N_("their phone")))
    p.add_argument("--narrative", required=True, help=h(N_("what happened (查找过程)")))
    p.add_argument("--result", required=True, choices=[r.value for r in SearchResult])
    p.add_argument("--signer", type=int, action="append", metavar="MEMBER_ID",
                   help=h(N_("a full member who signed (twice or more)")))
    p.set_defaults(func=cmd_attempt)

    p = dated(parser("unreachable", N_("declare the member unreachable after searching")))
    p.add_argument("--note")
    p = dated(parser("findings", N_("the investigation of the member's conduct")))
    p.add_argument("--kind", required=True, choices=[f.value for f in Findings])
    p.add_argument("--text", help=h(N_("what was found (required unless none)")))
    p = dated(parser("propose", N_("the branch committee's proposal (支委会初步处置意见)")))
    p.add_argument("--outcome", required=True, help=h(N_("an outcome key or its Chinese name")))
    p.add_argument("--variant", choices=disposition.VARIANTS)
    p.add_argument("--opinion", required=True)
    for name, text in (("review", N_("a pre-review (预审): committee, then department for removals")),
                       ("approve", N_("an approval (审核/审批): committee, then department for removals"))):
        p = dated(parser(name, text))
        p.add_argument("--opinion", required=True)
        p.add_argument("--reject", action="store_true", help=h(N_("send the case back to the branch")))
    p = dated(parser("resolve", N_("the general meeting's resolution (支部党员大会决议)")))
    p.add_argument("--entitled", type=int, required=True, help=h(N_("full members with voting rights (应到)")))
    p.add_argument("--present", type=int, required=True, help=h(N_("of them present (实到)")))
    p.add_argument("--for", dest="in_favour", type=int, required=True, help=h(N_("votes for (赞成)")))
    p.add_argument("--opinion", required=True)
    p.add_argument("--not-adopted", action="store_true", help=h(N_("the meeting did not adopt the proposal")))
    p = parser("reject", N_("send the case back to the branch with the reason"))
    dated(p).add_argument("--reason", required=True)
    p = dated(parser("restore", N_("restore a membership suspended as unreachable (contact regained)")), required=True)
    p.add_argument("--opinion", required=True)
    p = dated(parser("death", N_("record the member's death (确认已死亡)")), required=True)
    p.add_argument("--note")
    for name, call in ACTIONS.items():
        cs.choices[name].set_defaults(func=_action(call))
