"""/stats for every officer: the node at a glance with a PNG chart; for a node above a branch, the branches
ranked by 失联 members nobody searched for in 30 days (paged), each opening that branch's 失联 list.

Callback data: s:st:<org> a node's figures; s:sb:<org>:<page> its branch table; s:sl:<branch>:<page> a
branch's 失联 members (each opens the member card, s:m:<id>). Every id is re-checked by bot.services.stats
(a forged node outside the user's roles gets the same refusal as one that does not exist).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.errors import DomainError
from bot.handlers import commands_menu
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, officer_required, refuse, reply
from bot.handlers.markup import cb, esc, int_part, nav_row, parse_cb, short
from bot.handlers.secretary_members import menu_button
from bot.i18n import N_
from bot.services import stats as stats_svc
from bot.services import stats_chart

log = logging.getLogger(__name__)
PAGE = 8


def stats_text(ctx: HandlerCtx, s: stats_svc.NodeStats) -> str:
    _ = ctx._
    lines = [f"<b>{esc(ctx._('{org} on {date}', org=s.org_name, date=s.as_of.isoformat()))}</b>",
             _("Members on the register") + f": {s.members}",
             _("In contact") + f": {s.in_contact}",
             _("Out of contact over one month") + f": {s.out_of_control}",
             _("Lost contact over six months") + f": {s.lost}",
             _("Flow members") + f": {s.flow}",
             _("Transfers without receipt") + f": {s.transfers_without_receipt}",
             _("Search attempts this month") + f": {s.attempts_this_month}"]
    lines += [esc(_("Open cases: {state}", state=stats_chart.state_label(k, ctx.tr))) + f": {v}"
              for k, v in s.open_cases.items()]
    if not stats_chart.cjk_font():
        lines.append(_("(No chart: this server has no Chinese font installed.)"))
    return "\n".join(lines)


async def show_node(update: Update, ctx: HandlerCtx, org_id: int) -> None:
    try:
        s = await stats_svc.node_stats_for(ctx.services, ctx.actor, org_id)
        nodes = await stats_svc.nodes_of(ctx.services, ctx.actor)
    except DomainError as err:
        return await refuse(update, ctx, err)
    rows = [[(short(name, 30), cb("s:st", nid))] for nid, name, _level in nodes if nid != org_id][:6]
    if any(nid == org_id and level != "branch" for nid, _n, level in nodes) or len(nodes) > 1:
        rows.insert(0, [(ctx._("Branches to search"), cb("s:sb", org_id, 0))])
    rows.append(menu_button(ctx))
    await edit_or_reply(update, ctx, stats_text(ctx, s), rows)
    try:
        png = stats_chart.render_png(s, ctx.tr)
    except stats_chart.MissingGlyph as exc:     # never send boxes: the numbers above are enough
        log.warning("stats chart not sent: %s", exc)
        png = None
    if png and update.effective_chat is not None:
        await update.effective_chat.send_document(png, filename=f"stats-{s.as_of.isoformat()}.png",
                                                  caption=ctx._("{org} on {date}", org=s.org_name,
                                                                date=s.as_of.isoformat()))


@officer_required
async def stats_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    nodes = await stats_svc.nodes_of(ctx.services, ctx.actor)
    if not nodes:
        return await reply(update, ctx, ctx._("You are not allowed to do that"))
    await show_node(update, ctx, nodes[0][0])


@officer_required
async def node_button(update: Update, context: Context, ctx: HandlerCtx) -> None:
    org_id, _page = _id_and_page(update)
    if org_id is None:
        return await refuse(update, ctx, FORGED)
    await show_node(update, ctx, org_id)


def _id_and_page(update: Update) -> tuple[int | None, int]:
    """s:xx:<id>:<page> (untrusted: a forged id is refused by the service, a forged page clamped)."""
    parts = parse_cb(update.callback_query.data)
    return int_part(parts, 2), max(0, int_part(parts, 3) or 0)


def _with_pages(keyboard: list, page: int, total: int, prefix: str, node_id: int) -> list:
    pages = max(1, -(-total // PAGE))
    if pages > 1:
        keyboard.append(nav_row(page, pages, lambda p: cb(prefix, node_id, p)))
    return keyboard


FORGED = DomainError(N_("You are not allowed to do that"))


@officer_required
async def branch_table(update: Update, context: Context, ctx: HandlerCtx) -> None:
    org_id, page = _id_and_page(update)
    if org_id is None:
        return await refuse(update, ctx, FORGED)
    try:
        rows, total = await stats_svc.branches_needing_search(ctx.services, ctx.actor, org_id, offset=page * PAGE,
                                                              limit=PAGE)
    except DomainError as err:
        return await refuse(update, ctx, err)
    text = ctx._("Branches by lost members with no search attempt in the last 30 days:")
    keyboard = [[(ctx._("{name}: {unsearched} of {lost} lost members not searched for", name=short(b.name, 24),
                         unsearched=b.unsearched, lost=b.lost), cb("s:sl", b.branch_id, 0))] for b in rows]
    _with_pages(keyboard, page, total, "s:sb", org_id).append([(ctx._("« Back"), cb("s:st", org_id))])
    await edit_or_reply(update, ctx, esc(text), keyboard)


@officer_required
async def branch_lost(update: Update, context: Context, ctx: HandlerCtx) -> None:
    branch_id, page = _id_and_page(update)
    if branch_id is None:
        return await refuse(update, ctx, FORGED)
    try:
        name, lines, total = await stats_svc.lost_members_of_branch(ctx.services, ctx.actor, branch_id,
                                                                    offset=page * PAGE, limit=PAGE)
    except DomainError as err:
        return await refuse(update, ctx, err)
    text = f"<b>{esc(name)}</b>\n" + esc(ctx._("Lost contact over six months (失联)"))
    if not lines:
        text += "\n" + esc(ctx._("Nobody has lost contact. 🌟"))
    keyboard = [[(f"🔴 {short(line.name, 30)} · {line.last_contact_on or '—'}", cb("s:m", line.member_id))]
                for line in lines]
    _with_pages(keyboard, page, total, "s:sl", branch_id).append(menu_button(ctx))
    await edit_or_reply(update, ctx, text, keyboard)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CallbackQueryHandler(node_button, pattern=r"^s:st:"))
    app.add_handler(CallbackQueryHandler(branch_table, pattern=r"^s:sb:"))
    app.add_handler(CallbackQueryHandler(branch_lost, pattern=r"^s:sl:"))
    commands_menu.add_command("stats", N_("The organization at a glance, with a chart"))
    stats_chart.warn_if_no_cjk_font()   # once at start-up: charts are off without a CJK font
