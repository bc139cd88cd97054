"""/me (the member's own record, ID number masked) and /card (the branch's 联心卡)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.errors import DomainError
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, member_required, reply
from bot.handlers.markup import cb, esc
from bot.i18n import N_, Translator, translator
from bot.services import profile as profile_service


def record_text(tr: Translator, view: profile_service.MemberView) -> str:
    """/me as HTML: every value from the register escaped, the ID number masked. (A label is translated only
    for a value that is shown: /me runs on every tap.)"""
    m = view.member
    _ = tr.gettext
    fields: list[tuple[str, Any]] = [
        (N_("Name"), esc(m.name)),
        (N_("Branch"), esc(view.branch_name)),
        (N_("Member type"), m.member_type.label(tr)),
        (N_("Gender"), m.gender.label(tr) if m.gender else None),
        (N_("Date of birth"), tr.date(m.birth_date) if m.birth_date else None),
        (N_("ID number"), view.id_number_masked),
        (N_("Mobile"), esc(m.mobile) if m.mobile else None),
        (N_("Other contacts"), esc(m.other_contacts) if m.other_contacts else None),
        (N_("Registered household"), esc(m.household_register) if m.household_register else None),
        (N_("Residence"), esc(m.residence) if m.residence else None),
        (N_("Work unit and post"), esc(m.work_unit) if m.work_unit else None),
        (N_("Joined the Party"), tr.date(m.joined_on) if m.joined_on else None),
        (N_("Full membership"), tr.date(m.confirmed_on) if m.confirmed_on else None),
        (N_("Party post"), m.party_post.label(tr) if m.party_post else None),
    ]
    if m.flow is not None:
        fields.append((N_("Out since"), tr.date(m.flow.left_on)))
        fields.append((N_("Destination"), esc(m.flow.destination)))
        if m.flow.expected_return:
            fields.append((N_("Expected return"), tr.date(m.flow.expected_return)))
    fields.append((N_("Last contact with the branch"), tr.date(view.last_contact_on)))
    lines = [f"<b>{esc(_('My record'))}</b>"]
    lines.extend(f"{_(label)}: {value}" for label, value in fields if value is not None and value != "")
    lines.append("")
    lines.append(esc(_("If anything here is wrong, report a correction and the branch secretary will fix it.")))
    return "\n".join(lines)


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
        row = await profile_service.my_record_row(ctx.services, ctx.actor)
    except DomainError as err:
        await reply(update, ctx, ctx.error_text(err))
        return
    text = _record_text_of(ctx.tr.locale, tuple(row.keys()), tuple(row))
    rows = [[(ctx._("Report a correction"), cb("m:menu", "correction"))], [(ctx._("Menu"), "c:menu")]]
    if update.callback_query:
        await edit_or_reply(update, ctx, text, rows)
    else:
        await reply(update, ctx, text, rows)


@lru_cache(maxsize=1024)
def _record_text_of(locale: str, columns: tuple[str, ...], values: tuple[Any, ...]) -> str:
    """record_text of the row as it is now: every value it shows comes from the row, so a change to the
    record (or its branch's name) is a new key. /me runs on every tap; parsing the record into a Member
    and rendering it was most of the handler's own work."""
    return record_text(translator(locale), profile_service.view_of(dict(zip(columns, values))))


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
