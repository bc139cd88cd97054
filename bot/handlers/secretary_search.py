"""A member's search record (the 记录表's 第X次联系查找情况): s:sh:<member id>. Logging an attempt is the flow
bot.handlers.flows.search."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.domain.errors import DomainError
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, officer_required, refuse
from bot.handlers.labels import date_text, field
from bot.handlers.markup import cb, esc, int_part, parse_cb, short
from bot.handlers.secretary_members import menu_button
from bot.i18n import N_
from bot.services import roster, search

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

def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(search_record, pattern=r"^s:sh:"))
