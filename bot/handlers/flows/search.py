"""Logging a search attempt (联系查找, seed 000 记录表), and finding a member by name.

Search: member (typed name, or the 失联 list) → date → method → whom contacted → their phone (optional) →
narrative → result → co-signers (≥2 full members, the secretary pre-ticked; seed 000 note 4) → summary →
saved on the member's open lost-contact case. "Reached" offers contact regained next.
Find: a name → the matching members (no summary: a search saves nothing).
"""

from __future__ import annotations

from typing import Any

from bot.domain.codes import ContactLevel, SearchMethod, SearchResult
from bot.handlers.common import HandlerCtx
from bot.handlers.flows.common import OFFICER_HOME, menu_button
from bot.handlers.flows.pick import member_step, preset_member
from bot.handlers.labels import date_text, field, line
from bot.handlers.markup import cb, esc, short
from bot.handlers.secretary_members import FIND_KEY, show_find_results
from bot.handlers.wizard import CHECKLIST, CHOICE, DATE, TEXT, Draft, Flow, Item, Listing, Result, Step, enum_options
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import roster, search


# ---- find by name ----------------------------------------------------------------------------------

async def save_find(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    screen.user_data[FIND_KEY] = d["name"]   # for the ‹ › pages of the results (s:fq:<page>)
    return await show_find_results(ctx, d["name"], 0)


FIND = Flow(
    code="fd", title=N_("Find a member"), home=OFFICER_HOME, command="find",
    command_help=N_("Find a member by name"), confirm=False,
    steps=(Step("name", TEXT, N_("Type the member's name, or a part of it:"), max_len=40),),
    save=save_find)


# ---- the search attempt -----------------------------------------------------------------------------

async def signer_items(ctx: HandlerCtx, draft: Draft, _query: str | None = None, _page: int = 0) -> Listing:
    people = await roster.signable_members(ctx.services, ctx.actor, int(draft["branch_id"]))
    items = [(p.id, short(p.name, 20)) for p in people if p.id != draft.get("member_id")]
    return Listing(ctx._("Who signs this record? At least two full members (正式党员), you included."), items)


def preset_signers(ctx: HandlerCtx, draft: Draft, items: list[Item]) -> list[int]:
    own = ctx.actor.member_id
    return [own] if own is not None and own in {i for i, _l in items} else []


async def accept_signers(ctx: HandlerCtx, draft: Draft, ticked: Any) -> None:
    draft["signer_ids"] = await search.check_signers(ctx.services, ctx.actor, int(draft["member_id"]), list(ticked))
    names = dict((await signer_items(ctx, draft)).items)
    draft["signer_names"] = [names.get(i, "?") for i in draft["signer_ids"]]


def search_summary(ctx: HandlerCtx, d: Draft) -> list[str]:
    return [
        line(ctx, N_("Member"), d.get("member_name")),
        field(ctx, N_("Date"), date_text(ctx, d.get("on"))),
        field(ctx, N_("Method"), SearchMethod(d["method"]).label(ctx.tr) if d.get("method") else "—"),
        line(ctx, N_("Contacted"), d.get("contacted")),
        line(ctx, N_("Their phone"), d.get("contact_phone")),
        field(ctx, N_("What happened"), "\n" + esc(d.get("narrative") or "—")),
        field(ctx, N_("Result"), SearchResult(d["result"]).label(ctx.tr) if d.get("result") else "—"),
        line(ctx, N_("Signed by"), short("、".join(d.get("signer_names") or []), 500)),
    ]


async def save_search(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    logged = await search.log_search_attempt(ctx.services, ctx.actor, {
        "member_id": d["member_id"], "on": d["on"], "method": d["method"], "contacted": d["contacted"],
        "contact_phone": d.get("contact_phone"), "narrative": d["narrative"], "result": d["result"],
        "signer_ids": d.get("signer_ids") or []})
    text = ctx._("Saved: search attempt no. {n} for {name}.", n=logged.attempt_no, name=esc(d["member_name"]))
    if logged.case_opened:
        text += "\n" + ctx._("A lost-contact case was opened for this member.")
    rows: list[list[tuple[str, str]]] = []
    if d["result"] == SearchResult.REACHED.value:
        text += "\n" + ctx._("You reached the member: record the contact regained now?")
        rows.append([(ctx._("🤝 Record contact regained"), cb("s:go:rg", d["member_id"]))])
    rows.append([(ctx._("Open the member"), cb("s:m", d["member_id"])), *menu_button(ctx)])
    return text, rows


SEARCH = Flow(
    code="ss", title=N_("Search attempt (联系查找)"), home=OFFICER_HOME, command="search",
    command_help=N_("Log a search attempt (联系查找)"), start_with=preset_member,
    aliases={"date": "on", "member": "member_id"},
    steps=(
        member_step(default_level=ContactLevel.LOST),
        Step("on", DATE, N_("When was the search made? Tap Today, or type a date (2026-11-20, 2026年11月20日, "
                             "yesterday).")),
        Step("method", CHOICE, N_("How did you search?"), options=enum_options(SearchMethod), per_row=2),
        Step("contacted", TEXT, N_("Whom did you contact? (e.g. 办公室办事员陈XX; at most {max} characters)"),
             max_len=200),
        Step("contact_phone", TEXT, N_("Their phone number (a landline is fine), or Skip:"), optional=True,
             max_len=40),
        Step("narrative", TEXT, N_("What happened? Describe the search: the process, whom you asked, what you "
                                   "learned (at most {max} characters)."), max_len=2000, multiline=True),
        Step("result", CHOICE, N_("The result:"), options=enum_options(SearchResult), per_row=2),
        Step("signer_ids", CHECKLIST, N_("Tick the signers, then tap Done."), items=signer_items,
             preset=preset_signers, accept=accept_signers),
    ),
    summary=search_summary, save=save_search)

FLOWS = (FIND, SEARCH)
