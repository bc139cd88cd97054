"""The secretary's menu, member list, find-by-name, one member's card, and the watch lists (失控, 失联,
transfers with no 回执, flow members).

Callback data: s:menu; s:ml:<page> members; s:fq:<page> find results; s:oc:<page> 失控; s:ol:<page> 失联;
s:ot:<page> no 回执; s:fl:<page> flow members; s:m:<member id> a card. Every id and page is re-checked
by bot.services.roster: a forged id of another branch's member gets the same refusal as one that does
not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.codes import ContactLevel
from bot.domain.errors import DomainError
from bot.handlers import commands_menu
from bot.handlers.common import MENU, Context, HandlerCtx, edit_or_reply, officer_required, refuse
from bot.handlers.labels import date_text, field
from bot.handlers.markup import cb, esc, int_part, nav_row, parse_cb, short
from bot.i18n import N_
from bot.services import invites as invite_svc   # issue 15: 已绑定 32/50 in the menu
from bot.services import roster

FIND_KEY = "s_find"
LEVEL_ICON = {ContactLevel.IN_CONTACT: "🟢", ContactLevel.OUT_OF_CONTROL: "🟠", ContactLevel.LOST: "🔴"}


# ---- the menu --------------------------------------------------------------------------------------

def menu_rows(ctx: HandlerCtx) -> list[list[tuple[str, str]]]:
    _ = ctx._
    return [
        [(_("👥 Members"), "s:ml:0"), (_("🔎 Find by name"), "s:go:fd")],
        [(_("🟠 Out of contact (失控)"), "s:oc:0"), (_("🔴 Lost contact (失联)"), "s:ol:0")],
        [(_("📮 Awaiting 回执"), "s:ot:0"), (_("🚶 Flow members"), "s:fl:0")],
        [(_("📝 Log a search attempt"), "s:go:ss"), (_("🤝 Contact regained"), "s:go:rg")],
        [(_("🗓 Attendance"), "s:go:at"), (_("💴 Dues"), "s:go:du")],
        [(_("📤 Transfer out"), "s:go:tr"), (_("📥 Record a 回执"), "s:go:rc")],
        [(_("👤 Responsible officer"), "s:go:of"), (_("📨 Invite members"), "j:menu")],
        [(_("« Main menu"), MENU)],
    ]


def menu_button(ctx: HandlerCtx) -> list[tuple[str, str]]:
    """The one button back to the branch work menu."""
    return [(ctx._("Branch work"), "s:menu")]


def branch_menu(ctx: HandlerCtx) -> tuple[str, list[list[tuple[str, str]]]]:
    """The branch work menu (also where an officer's flow returns on « Back)."""
    return ctx._("<b>Branch work</b>\nWhat would you like to do?"), menu_rows(ctx)


async def show_menu(update: Update, ctx: HandlerCtx) -> None:
    text, rows = branch_menu(ctx)
    counts = await invite_svc.bindings(ctx.services, ctx.actor)   # issue 15: 已绑定 32/50, who is still missing
    bound = ctx._("Connected to the bot: {bound}/{total}", bound=sum(c.bound for c in counts),
                  total=sum(c.total for c in counts))
    await edit_or_reply(update, ctx, text + "\n" + bound, rows)


@officer_required
async def menu(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await show_menu(update, ctx)


# ---- lists -----------------------------------------------------------------------------------------

def _page_of(update: Update) -> int:
    if update.callback_query is None:
        return 0
    return max(0, int_part(parse_cb(update.callback_query.data), 2) or 0)


def summary_line(ctx: HandlerCtx, s: roster.MemberSummary) -> str:
    last = date_text(ctx, s.last_contact_on.isoformat()) if s.last_contact_on else ctx._("never")
    flow = " 🚶" if s.is_flow else ""
    return f"{LEVEL_ICON[s.level]} {esc(short(s.name, 40))}{flow} · " + ctx._("last contact {date}", date=last)


def member_button(s: roster.MemberSummary) -> tuple[str, str]:
    return (f"{LEVEL_ICON[s.level]} {short(s.name, 30)}", cb("s:m", s.id))


async def show_page(update: Update, ctx: HandlerCtx, title: str, page: roster.Page, render: Callable[[Any], str],
                    button: Callable[[Any], tuple[str, str]] | None, prefix: str, empty: str) -> None:
    """One page of a list: a header with the count, a line and a button per item, ‹ n/m ›, back to the menu."""
    lines = [f"<b>{title}</b> ({page.total})"]
    lines += [render(item) for item in page.items] or [ctx._(empty)]
    rows: list[list[tuple[str, str]]] = [[button(item)] for item in page.items] if button else []
    if page.pages > 1:
        rows.append(nav_row(page.page, page.pages, lambda p: cb(prefix, p)))
    rows.append([(ctx._("« Branch work"), "s:menu")])
    await edit_or_reply(update, ctx, "\n".join(lines), rows)


@officer_required
async def members_list(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        page = await roster.list_members(ctx.services, ctx.actor, _page_of(update))
    except DomainError as err:
        return await refuse(update, ctx, err)
    await show_page(update, ctx, ctx._("Members"), page, lambda s: summary_line(ctx, s), member_button, "s:ml",
                    N_("No members yet."))


async def show_find_results(ctx: HandlerCtx, query: str, page_no: int) -> tuple[str, list]:
    page = await roster.list_members(ctx.services, ctx.actor, page_no, name=query)
    lines = ["<b>" + ctx._("Members named “{name}”", name=esc(query)) + f"</b> ({page.total})"]
    lines += [summary_line(ctx, s) for s in page.items] or [ctx._("Nobody of that name in your branches.")]
    rows: list[list[tuple[str, str]]] = [[member_button(s)] for s in page.items]
    if page.pages > 1:
        rows.append(nav_row(page.page, page.pages, lambda p: cb("s:fq", p)))
    rows.append([(ctx._("🔎 Find another"), "s:go:fd"), (ctx._("« Branch work"), "s:menu")])
    return "\n".join(lines), rows


@officer_required
async def find_page(update: Update, context: Context, ctx: HandlerCtx) -> None:
    query = context.user_data.get(FIND_KEY) if isinstance(context.user_data, dict) else None
    if not isinstance(query, str) or not query:
        await edit_or_reply(update, ctx, ctx._("Type the name again:"), [[(ctx._("🔎 Find by name"), "s:go:fd")]])
        return
    try:
        text, rows = await show_find_results(ctx, query, _page_of(update))
    except DomainError as err:
        return await refuse(update, ctx, err)
    await edit_or_reply(update, ctx, text, rows)


@officer_required
async def out_of_control_list(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await _level_list(update, ctx, ContactLevel.OUT_OF_CONTROL, "s:oc",
                      ctx._("Out of contact over one month (失控)"), N_("Nobody is out of contact. 🌟"))


@officer_required
async def lost_list(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await _level_list(update, ctx, ContactLevel.LOST, "s:ol", ctx._("Lost contact over six months (失联)"),
                      N_("Nobody has lost contact. 🌟"))


async def _level_list(update: Update, ctx: HandlerCtx, level: ContactLevel, prefix: str, title: str,
                      empty: str) -> None:
    try:
        page = await roster.out_of_contact(ctx.services, ctx.actor, level, _page_of(update))
    except DomainError as err:
        return await refuse(update, ctx, err)
    await show_page(update, ctx, title, page, lambda s: summary_line(ctx, s), member_button, prefix, empty)


@officer_required
async def no_receipt_list(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        page = await roster.transfers_without_receipt(ctx.services, ctx.actor, _page_of(update))
    except DomainError as err:
        return await refuse(update, ctx, err)

    def render(item: roster.TransferLine) -> str:
        t = item.transfer
        return ctx._("📮 {name} → {org} · sent {date} · {kind}", name=esc(short(item.member_name, 40)),
                     org=esc(short(t.to_org, 60)), date=date_text(ctx, t.sent_on.isoformat()), kind=t.kind.label(ctx.tr))

    def button(item: roster.TransferLine) -> tuple[str, str]:
        return (ctx._("📥 回执 for {name}", name=short(item.member_name, 30)), cb("s:go:rc", item.transfer.id))

    await show_page(update, ctx, ctx._("Transfers out awaiting their 回执 (口袋党员 risk)"), page, render, button,
                    "s:ot", N_("Every transfer out has its 回执. 🌟"))


@officer_required
async def flow_list(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        page = await roster.flow_members(ctx.services, ctx.actor, _page_of(update))
    except DomainError as err:
        return await refuse(update, ctx, err)

    def render(f: roster.FlowLine) -> str:
        where = esc(short(f.destination, 60))
        if f.inflow_place:
            where += " · " + esc(short(f.inflow_place, 60))
        officer = esc(short(f.officer_name, 30)) if f.officer_name else ctx._("no responsible officer yet")
        return f"{LEVEL_ICON[f.level]} <b>{esc(short(f.name, 40))}</b>: {where} · 👤 {officer}"

    def button(f: roster.FlowLine) -> tuple[str, str]:
        return (f"{LEVEL_ICON[f.level]} {short(f.name, 30)}", cb("s:m", f.id))

    await show_page(update, ctx, ctx._("Flow members and where they are"), page, render, button, "s:fl",
                    N_("No flow members."))


# ---- one member ------------------------------------------------------------------------------------

def card_text(ctx: HandlerCtx, card: roster.MemberCard) -> str:
    _ = ctx._
    m = card.member
    lines = [f"<b>{esc(m.name)}</b> · {m.member_type.label(ctx.tr)}", field(ctx, N_("Branch"), esc(card.branch_name))]
    if card.masked_id:
        lines.append(field(ctx, N_("ID number"), card.masked_id))
    if m.mobile:
        lines.append(field(ctx, N_("Mobile"), esc(m.mobile)))
    last = date_text(ctx, card.last_contact_on.isoformat()) if card.last_contact_on else _("never")
    lines.append(field(ctx, N_("Contact"), f"{LEVEL_ICON[card.level]} {card.level.label(ctx.tr)} · "
                       + _("last contact {date}", date=last)))
    lines.append(_("Last 组织生活: {meeting} · last 党费: {dues}",
                   meeting=date_text(ctx, card.last_meeting_on.isoformat() if card.last_meeting_on else None),
                   dues=date_text(ctx, card.last_dues_on.isoformat() if card.last_dues_on else None)))
    if m.flow is not None:
        lines.append(_("🚶 Flow member since {date}: {destination}", date=date_text(ctx, m.flow.left_on.isoformat()),
                       destination=esc(m.flow.destination)))
        if m.flow.inflow_place:
            lines.append(field(ctx, N_("Inflow place"), esc(m.flow.inflow_place)))
        lines.append(field(ctx, N_("Responsible officer"),
                           esc(card.officer_name) if card.officer_name else _("no responsible officer yet")))
    else:
        lines.append(_("Not a flow member."))
    if card.open_case_id:
        lines.append(_("🔎 A lost-contact search is open for this member."))
    if card.open_transfer is not None:
        t = card.open_transfer
        lines.append(_("📮 Transferred out to {org} on {date}: 回执 not yet received.", org=esc(t.to_org),
                       date=date_text(ctx, t.sent_on.isoformat())))
    return "\n".join(lines)


def card_rows(ctx: HandlerCtx, card: roster.MemberCard) -> list[list[tuple[str, str]]]:
    _ = ctx._
    mid = card.member.id
    rows = [[(_("📝 Log a search attempt"), cb("s:go:ss", mid)), (_("🤝 Contact regained"), cb("s:go:rg", mid))],
            [(_("💴 Dues"), cb("s:go:du", mid)), (_("🗂 Search record"), cb("s:sh", mid))]]
    if card.open_transfer is not None:
        rows.append([(_("📥 Record a 回执"), cb("s:go:rc", card.open_transfer.id))])
    else:
        rows.append([(_("📤 Transfer out"), cb("s:go:tr", mid))])
    if card.member.flow is not None:
        rows.append([(_("👤 Responsible officer"), cb("s:go:of", mid))])
    rows.append([(_("« Members"), "s:ml:0"), (_("« Branch work"), "s:menu")])
    return rows


async def show_card(update: Update, ctx: HandlerCtx, member_id: Any) -> None:
    try:
        card = await roster.member_card(ctx.services, ctx.actor, member_id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    await edit_or_reply(update, ctx, card_text(ctx, card), card_rows(ctx, card))


@officer_required
async def member_card(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = parse_cb(update.callback_query.data)
    await show_card(update, ctx, int_part(parts, 2) if len(parts) == 3 else None)


# ---- wiring ----------------------------------------------------------------------------------------

LIST_COMMANDS = (
    ("branch", N_("Branch work: the secretary's menu"), menu),
    ("members", N_("Member list of my branch"), members_list),
    ("outofcontact", N_("Members out of contact over one month (失控)"), out_of_control_list),
    ("lost", N_("Members who lost contact over six months (失联)"), lost_list),
    ("noreceipt", N_("Transfers out awaiting their 回执"), no_receipt_list),
    ("flow", N_("Flow members and where they are"), flow_list),
)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(menu, pattern=r"^s:menu$"))
    app.add_handler(CallbackQueryHandler(members_list, pattern=r"^s:ml:\d+$"))
    app.add_handler(CallbackQueryHandler(find_page, pattern=r"^s:fq:\d+$"))
    app.add_handler(CallbackQueryHandler(out_of_control_list, pattern=r"^s:oc:\d+$"))
    app.add_handler(CallbackQueryHandler(lost_list, pattern=r"^s:ol:\d+$"))
    app.add_handler(CallbackQueryHandler(no_receipt_list, pattern=r"^s:ot:\d+$"))
    app.add_handler(CallbackQueryHandler(flow_list, pattern=r"^s:fl:\d+$"))
    # any s:m:… (even malformed) gets the same refusal as another branch's member
    app.add_handler(CallbackQueryHandler(member_card, pattern=r"^s:m:"))
    for command, description, handler in LIST_COMMANDS:
        app.add_handler(CommandHandler(command, handler))
        commands_menu.add_command(command, description)
