"""/me (the member's own record, ID number masked) and /card (the branch's 联心卡)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.errors import DomainError
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, member_required, reply
from bot.handlers.markup import cb, esc
from bot.i18n import Translator
from bot.services import profile as profile_service


def _line(label: str, value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    return f"{label}: {value}"


def record_text(tr: Translator, view: profile_service.MemberView) -> str:
    """/me as HTML: every value from the register escaped, the ID number masked."""
    m = view.member
    _ = tr.gettext
    lines = [
        f"<b>{esc(_('My record'))}</b>",
        _line(_("Name"), esc(m.name)),
        _line(_("Branch"), esc(view.branch_name)),
        _line(_("Member type"), m.member_type.label(tr)),
        _line(_("Gender"), m.gender.label(tr) if m.gender else None),
        _line(_("Date of birth"), tr.date(m.birth_date) if m.birth_date else None),
        _line(_("ID number"), view.id_number_masked),
        _line(_("Mobile"), esc(m.mobile) if m.mobile else None),
        _line(_("Other contacts"), esc(m.other_contacts) if m.other_contacts else None),
        _line(_("Registered household"), esc(m.household_register) if m.household_register else None),
        _line(_("Residence"), esc(m.residence) if m.residence else None),
        _line(_("Work unit and post"), esc(m.work_unit) if m.work_unit else None),
        _line(_("Joined the Party"), tr.date(m.joined_on) if m.joined_on else None),
        _line(_("Full membership"), tr.date(m.confirmed_on) if m.confirmed_on else None),
        _line(_("Party post"), m.party_post.label(tr) if m.party_post else None),
    ]
    if m.flow is not None:
        lines.append(_line(_("Out since"), tr.date(m.flow.left_on)))
        lines.append(_line(_("Destination"), esc(m.flow.destination)))
        if m.flow.expected_return:
            lines.append(_line(_("Expected return"), tr.date(m.flow.expected_return)))
    lines.append(_line(_("Last contact with the branch"), tr.date(view.last_contact_on)))
    lines.append("")
    lines.append(esc(_("If anything here is wrong, report a correction and the branch secretary will fix it.")))
    return "\n".join(line for line in lines if line is not None)


def card_text(tr: Translator, card: profile_service.BranchCard) -> str:
    """The 联心卡 as HTML (also sent by the member flows when a member goes out)."""
    _ = tr.gettext
    lines = [f"<b>{esc(_('Contact card'))} · {esc(card.branch_name)}</b>"]
    if card.parent_name:
        lines.append(f"{esc(_('Higher Party organization'))}: {esc(card.parent_name)}")
    if card.contacts:
        for contact in card.contacts:
            phone = esc(contact.mobile) if contact.mobile else "—"
            lines.append(f"{esc(contact.role.label(tr))}: {esc(contact.name)} {phone}")
    else:
        lines.append(esc(_("No branch officer is registered yet.")))
    if card.note:
        lines.append("")
        lines.append(esc(card.note))
    lines.append("")
    lines.append(esc(_("Whatever happens, wherever you are: contact your branch.")))
    return "\n".join(lines)


@member_required
async def show_record(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        view = await profile_service.my_record(ctx.services, ctx.actor)
    except DomainError as err:
        await reply(update, ctx, ctx.error_text(err))
        return
    rows = [[(ctx._("Report a correction"), cb("m:menu", "correction"))], [(ctx._("Menu"), "c:menu")]]
    if update.callback_query:
        await edit_or_reply(update, ctx, record_text(ctx.tr, view), rows)
    else:
        await reply(update, ctx, record_text(ctx.tr, view), rows)


@member_required
async def show_card(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        card = await profile_service.branch_card(ctx.services, ctx.actor)
    except DomainError as err:
        await reply(update, ctx, ctx.error_text(err))
        return
    rows = [[(ctx._("Menu"), "c:menu")]]
    if update.callback_query:
        await edit_or_reply(update, ctx, card_text(ctx.tr, card), rows)
    else:
        await reply(update, ctx, card_text(ctx.tr, card), rows)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("me", show_record))
    app.add_handler(CommandHandler("card", show_card))
    app.add_handler(CallbackQueryHandler(show_record, pattern="^c:me$"))
    app.add_handler(CallbackQueryHandler(show_card, pattern="^c:card$"))
