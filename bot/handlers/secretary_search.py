"""Logging a search attempt (联系查找, seed 000 记录表) as a guided conversation, and a member's search record.

member (typed name, or the 失联 list) → date → method → whom contacted → their phone (optional) →
narrative → result → co-signers (≥2 full members, the secretary pre-ticked; seed 000 note 4) →
summary → saved on the member's open lost-contact case. "Reached" offers contact regained next.

This module also registers the ONE conversation of all secretary flows (see secretary_steps).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.domain.codes import ContactLevel, SearchMethod, SearchResult
from bot.domain.errors import DomainError
from bot.handlers import commands_menu
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, officer_required
from bot.handlers.markup import cb, esc, int_part, parse_cb, short
from bot.handlers.secretary_members import FIND_FLOW
from bot.handlers.secretary_flow import (
    CHECKLIST, CHOICE, DATE, TEXT, Flow, Item, Step, date_text, field, line, menu_button, refuse,
)
from bot.handlers.secretary_pick import member_step, preset_member
from bot.handlers.secretary_records import FLOWS as RECORD_FLOWS
from bot.handlers.secretary_steps import build_conversation
from bot.i18n import N_
from bot.services import roster, search

# ---- the search attempt -----------------------------------------------------------------------------

async def signer_items(ctx: HandlerCtx, draft: dict, _query: str | None) -> tuple[str, list[Item]]:
    people = await roster.signable_members(ctx.services, ctx.actor, int(draft["branch_id"]))
    items = [(p.id, short(p.name, 20)) for p in people if p.id != draft.get("member_id")]
    return ctx._("Who signs this record? At least two full members (正式党员), you included."), items


def preset_signers(ctx: HandlerCtx, draft: dict, items: list[Item]) -> list[int]:
    own = ctx.actor.member_id
    return [own] if own is not None and own in {i for i, _l in items} else []


async def accept_signers(ctx: HandlerCtx, draft: dict, ticked: Any) -> None:
    draft["signer_ids"] = await search.check_signers(ctx.services, ctx.actor, int(draft["member_id"]), list(ticked))
    _head, items = await signer_items(ctx, draft, None)
    names = dict(items)
    draft["signer_names"] = [names.get(i, "?") for i in draft["signer_ids"]]




def search_summary(ctx: HandlerCtx, d: dict) -> list[str]:
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


async def save_search(ctx: HandlerCtx, d: dict, _user_data: dict) -> tuple[str, list]:
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


SEARCH_FLOW = Flow(
    code="ss", title=N_("Search attempt (联系查找)"), command="search", start_with=preset_member,
    aliases={"date": "on", "member": "member_id"},
    steps=[
        member_step(default_level=ContactLevel.LOST),
        Step("on", DATE, N_("When was the search made? Tap Today, or type a date (2026-11-20, 2026年11月20日, "
                             "yesterday).")),
        Step("method", CHOICE, N_("How did you search?"), options=lambda d: list(SearchMethod)),
        Step("contacted", TEXT, N_("Whom did you contact? (e.g. 办公室办事员陈XX; at most {max} characters)"),
             max_len=200),
        Step("contact_phone", TEXT, N_("Their phone number (a landline is fine), or Skip:"), optional=True,
             max_len=40),
        Step("narrative", TEXT, N_("What happened? Describe the search: the process, whom you asked, what you "
                                   "learned (at most {max} characters)."), max_len=2000, multiline=True),
        Step("result", CHOICE, N_("The result:"), options=lambda d: list(SearchResult)),
        Step("signer_ids", CHECKLIST, N_("Tick the signers, then tap Done."), items=signer_items,
             preset=preset_signers, accept=accept_signers),
    ],
    summary=search_summary, save=save_search)


# ---- the member's search record ---------------------------------------------------------------------

HISTORY_SHOWN = 5
HISTORY_BUDGET = 3500   # characters of HTML for the attempts (Telegram: 4096 a message)


@officer_required
async def search_record(update: Update, context: Context, ctx: HandlerCtx) -> None:
    """s:sh:<member id>: the last attempts as the 记录表 lists them (第X次联系查找情况)."""
    parts = parse_cb(update.callback_query.data)
    member_id = int_part(parts, 2) if len(parts) == 3 else None
    try:
        member = await roster.visible_member(ctx.services, ctx.actor, member_id)
        records = await search.attempt_records(ctx.services, ctx.actor, member.id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    _ = ctx._
    blocks: list[str] = []
    for rec in reversed(records[-HISTORY_SHOWN:]):   # newest first into the budget, shown oldest first
        a = rec.attempt
        who = esc(short(a.contacted, 80)) + (f" ({esc(short(a.contact_phone, 40))})" if a.contact_phone else "")
        block = "\n".join([
            _("<b>No. {n}</b> · {date} · {method} · {result}", n=rec.number, date=date_text(ctx, a.on.isoformat()),
              method=a.method.label(ctx.tr), result=a.result.label(ctx.tr)),
            field(ctx, N_("Contacted"), who), esc(short(a.narrative, 400)),
            field(ctx, N_("Signed by"), esc(short("、".join(rec.signer_names), 200)))])
        if sum(len(b) + 2 for b in blocks) + len(block) > HISTORY_BUDGET:
            break
        blocks.insert(0, block)
    lines = ["<b>" + _("Search record of {name}", name=esc(member.name)) + f"</b> ({len(records)})"]
    if not records:
        lines.append(_("No search attempts yet."))
    elif len(blocks) < len(records):
        lines.append(_("The last {n} attempts:", n=len(blocks)))
    lines += ["\n" + b for b in blocks]
    rows = [[(_("📝 Log a search attempt"), cb("s:go:ss", member.id))],
            [(_("« Back to the member"), cb("s:m", member.id)), *menu_button(ctx)]]
    await edit_or_reply(update, ctx, "\n".join(lines), rows)


# ---- wiring ----------------------------------------------------------------------------------------

FLOW_COMMANDS = (
    ("find", N_("Find a member by name")),
    ("search", N_("Log a search attempt (联系查找)")),
)


def register(app: Application) -> None:
    app.add_handler(build_conversation([FIND_FLOW, SEARCH_FLOW, *RECORD_FLOWS]))
    app.add_handler(CallbackQueryHandler(search_record, pattern=r"^s:sh:"))
    for command, description in FLOW_COMMANDS:
        commands_menu.add_command(command, description)
