"""邀请党员: the secretary's (or a committee user's) invites in the bot, the branch join link, unbinding, and the
one-tap decision on join requests.

Callback data (prefix `j:`, reserved for issue 15), every id re-checked by bot.services.invites / joining:
    j:menu[:<branch>]          the invite menu of a branch (a branch picker first for committee users)
    j:pick:<branch>            members not yet connected, searchable (the flow of bot.handlers.flows.invites)
    j:inv:<member>             one member's invite (QR + link)
    j:all:<branch>             every unbound member as an xlsx    j:jl:<branch>    the join link (QR + link)
    j:jr:<branch>              a new join link                    j:jx / j:jxy:<branch>  revoke it (confirm)
    j:aa:<branch>:<0|1>        exact matches in without approval
    j:bl:<branch>:<page>       members connected (to unbind)      j:ub / j:ubc:<member>  unbind (confirm)
    j:ok / j:no:<request>      accept / refuse a join request (sent to the secretaries through the outbox)
    j:join                     the join flow's start button (it starts from /start join_<code>; answers on jw:)
"""

from __future__ import annotations

import asyncio
import io
import re

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler

from bot.domain.errors import DomainError, PermissionDenied
from bot.forms.invite_sheet import invite_sheet, qr_png
from bot.handlers.common import Context, HandlerCtx, answer, edit_or_reply, officer_required, refuse, reply
from bot.handlers.markup import cb, confirm_keyboard, esc, int_part, nav_row, parse_cb, short
from bot.i18n import N_
from bot.services import invites as invite_svc
from bot.services import joining
from bot.services import roster

PAGE = 10
T_MENU = N_("<b>Invite members — {branch}</b>\nConnected to the bot: {bound}/{total}")
T_CONNECTED = N_("Connected {bound}/{total}")


def _parts(update: Update) -> list[str]:
    return parse_cb(update.callback_query.data if update.callback_query else None)


def _id(update: Update, index: int = 2) -> int:
    """An id from the callback data (untrusted): a forged or missing one gets the plain refusal."""
    value = int_part(_parts(update), index)
    if value is None:
        raise PermissionDenied(N_("You are not allowed to do that"))
    return value


def _username(context: Context, ctx: HandlerCtx) -> str:
    return (context.bot.username or ctx.settings.bot_username or "").lstrip("@")


def deliver_now(context: Context) -> None:
    """Wake the outbox sender: the joining user hears the answer at once, not at its next poll."""
    from bot.reminders import reminders_of

    reminders = reminders_of(context.application)
    if reminders is not None:
        reminders.sender.kick()


# ---- the menu ----------------------------------------------------------------------------------------

async def branch_menu(update: Update, ctx: HandlerCtx, branch_id: int) -> None:
    count = await invite_svc.binding(ctx.services, ctx.actor, branch_id)
    auto = await invite_svc.auto_accept(ctx.services, branch_id)
    _ = ctx._
    rows = [
        [(_("👥 Not yet connected ({n})", n=count.missing), cb("j:pick", branch_id))],   # flows/invites.py
        [(_("📄 All of them as a sheet (xlsx)"), cb("j:all", branch_id))],
        [(_("🔗 Join link for the branch group"), cb("j:jl", branch_id))],
        [(_("☑ Join requests need my approval") if not auto else _("⚡ Exact matches join without approval"),
          cb("j:aa", branch_id, 0 if auto else 1))],
        [(_("🔓 Unbind a member's account"), cb("j:bl", branch_id, 0))],
        [(_("« Branch work"), "s:menu")],
    ]
    await edit_or_reply(update, ctx, _(T_MENU, branch=esc(count.branch_name), bound=count.bound, total=count.total),
                        rows)


@officer_required
async def invite_menu(update: Update, context: Context, ctx: HandlerCtx) -> None:
    branch_id = int_part(_parts(update), 2)
    try:
        if branch_id is not None:
            return await branch_menu(update, ctx, branch_id)
        branches = await roster.branches_of(ctx.services, ctx.actor)
        if len(branches) == 1:
            return await branch_menu(update, ctx, branches[0][0])
        counts = {b.branch_id: b for b in await invite_svc.bindings(ctx.services, ctx.actor)}
    except DomainError as err:
        return await refuse(update, ctx, err)
    rows = [[(f"{short(name, 30)} · " + ctx._(T_CONNECTED, bound=counts[bid].bound, total=counts[bid].total)
              if bid in counts else short(name, 30), cb("j:menu", bid))] for bid, name in branches]
    rows.append([(ctx._("« Branch work"), "s:menu")])
    await edit_or_reply(update, ctx, ctx._("<b>Invite members</b>\nWhich branch?"), rows)


@officer_required
async def toggle_auto_accept(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        branch_id, on = _id(update), _id(update, 3)
        await invite_svc.set_auto_accept(ctx.services, ctx.actor, branch_id, bool(on))
        await branch_menu(update, ctx, branch_id)
    except DomainError as err:
        await refuse(update, ctx, err)


# ---- members: not yet connected, connected ------------------------------------------------------------

async def show_bound(update: Update, ctx: HandlerCtx, branch_id: int, page_no: int) -> None:
    """The branch's members connected to the bot, a page at a time, each a button to unbind."""
    page = await invite_svc.unbound_page(ctx.services, ctx.actor, branch_id, page_no, None, PAGE, bound=True)
    title = ctx._("Connected to the bot")
    text = f"<b>{esc(title)}</b> ({page.total})"
    text += "\n" + ctx._("Tap a member to unbind their account.") if page.items else \
        "\n" + esc(ctx._("Nobody is connected yet."))
    rows = [[(f"{short(line.name, 24)} · {line.masked_id}", cb("j:ub", line.id))] for line in page.items]
    if page.pages > 1:
        rows.append(nav_row(page.page, page.pages, lambda p: cb("j:bl", branch_id, p)))
    rows.append([(ctx._("« Back"), cb("j:menu", branch_id))])
    await edit_or_reply(update, ctx, text, rows)


@officer_required
async def bound_page(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        await show_bound(update, ctx, _id(update), int_part(_parts(update), 3) or 0)
    except DomainError as err:
        await refuse(update, ctx, err)


# ---- one member's invite, the sheet, the join link ------------------------------------------------------

async def send_picture(update: Update, link: str, caption: str, filename: str) -> None:
    """The QR code of `link` as a picture (a PNG file) with the link in its caption, ready to forward."""
    assert update.effective_chat is not None
    await update.effective_chat.send_document(InputFile(io.BytesIO(qr_png(link)), filename=filename),
                                              caption=caption)


@officer_required
async def member_invite(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        member_id = _id(update)
        invite = await invite_svc.member_invite(ctx.services, ctx.actor, member_id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    await answer(update, ctx, ctx._("Invite ready: forward it to {name}.", name=short(invite.name, 30)))
    link = invite_svc.deep_link(_username(context, ctx), invite.code)
    await send_picture(update, link, invite_caption(ctx, invite, link), f"invite-{invite.member_id}.png")


def invite_caption(ctx: HandlerCtx, invite: invite_svc.InviteLink, link: str) -> str:
    """The words under a member's QR code: whose it is (ID number masked), until when, the link."""
    return ctx._("Invite for {name} ({masked}) to the branch's bot, valid until {until}. Open the link (or scan "
                 "the code) with Telegram; it works once.\n{link}", name=esc(invite.name), masked=invite.masked_id,
                 until=ctx.tr.datetime(invite.expires_at, tz=ctx.clock.tz), link=esc(link))


@officer_required
async def all_unbound(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        branch_id = _id(update)
        count = await invite_svc.binding(ctx.services, ctx.actor, branch_id)
        await answer(update, ctx, ctx._("Preparing the sheet of {n} members…", n=count.missing))
        assert update.effective_chat is not None
        await update.effective_chat.send_chat_action(ChatAction.UPLOAD_DOCUMENT)
        links = await invite_svc.bulk_invites(ctx.services, ctx.actor, branch_id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    if not links:
        await reply(update, ctx, ctx._("Everybody is connected. 🌟"))
        return
    username = _username(context, ctx)
    title = ctx._("{branch}: invites for the members not yet connected ({date})", branch=count.branch_name,
                  date=ctx.tr.date(ctx.clock.today()))
    # ~8 ms a member for the QR pictures (bench/invite_bench.py): in a thread, so the bot keeps answering.
    data = await asyncio.to_thread(invite_sheet, title, links, lambda code: invite_svc.deep_link(username, code),
                                   ctx.tr, ctx.clock.tz)
    new = sum(1 for link in links if link.new)
    await update.effective_chat.send_document(
        InputFile(io.BytesIO(data), filename=f"invites-{branch_id}.xlsx"),
        caption=ctx._("Invites for the {n} members not yet connected: print the sheet for the branch meeting or "
                      "forward each link. {new} new, {kept} already handed out (they still work).", n=len(links),
                      new=new, kept=len(links) - new))


async def _send_join_link(update: Update, context: Context, ctx: HandlerCtx, renew: bool) -> None:
    try:
        branch_id = _id(update)
        link = await invite_svc.join_link(ctx.services, ctx.actor, branch_id, renew=renew)
    except DomainError as err:
        return await refuse(update, ctx, err)
    await answer(update, ctx)
    url = invite_svc.deep_link(_username(context, ctx), link.payload)
    until = ctx.tr.datetime(link.expires_at, tz=ctx.clock.tz)
    await send_picture(update, url, ctx._(
        "Join {branch} in the bot: open the link (or scan the code) with Telegram, then give your name, the last "
        "six characters of your ID number and your mobile number. Valid until {until}.\n{link}",
        branch=esc(link.branch_name), until=until, link=esc(url)), f"join-{branch_id}.png")
    await reply(update, ctx, ctx._("Post the message above in the branch's group chat. Each member who opens it and "
                                   "gives details matching the register sends you a request to accept."),
                [[(ctx._("🔄 New link (the old one stops working)"), cb("j:jr", branch_id))],
                 [(ctx._("⛔ Revoke the link"), cb("j:jx", branch_id))],
                 [(ctx._("« Back"), cb("j:menu", branch_id))]])


@officer_required
async def join_link(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await _send_join_link(update, context, ctx, renew=_parts(update)[1] == "jr")


@officer_required
async def revoke_join_link(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = _parts(update)
    try:
        branch_id = _id(update)
        if parts[1] == "jx":
            await invite_svc.require_branch_node(ctx.services, ctx.actor, branch_id)
            await edit_or_reply(update, ctx, ctx._("Revoke the join link? Nobody can join with it any more."),
                                confirm_keyboard(ctx.tr, cb("j:jxy", branch_id), cb("j:menu", branch_id)))
            return
        revoked = await invite_svc.revoke_join_link(ctx.services, ctx.actor, branch_id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    await edit_or_reply(update, ctx, ctx._("The join link was revoked.") if revoked
                        else ctx._("There was no join link in force."), [[(ctx._("« Back"), cb("j:menu", branch_id))]])


# ---- unbinding -------------------------------------------------------------------------------------------

@officer_required
async def unbind(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = _parts(update)
    try:
        member_id = _id(update)
        member = await roster.visible_member(ctx.services, ctx.actor, member_id)
        if parts[1] == "ub":
            await edit_or_reply(update, ctx, ctx._(
                "Unbind the Telegram account of {name}? They will need a new invite (for a new phone or account).",
                name=esc(member.name)), confirm_keyboard(ctx.tr, cb("j:ubc", member_id), cb("j:bl", member.branch_id, 0)))
            return
        done = await invite_svc.unbind_member(ctx.services, ctx.actor, member_id)
    except DomainError as err:
        return await refuse(update, ctx, err)
    text = ctx._("{name} is no longer connected. Send them a new invite:", name=esc(member.name)) if done \
        else ctx._("{name} was not connected.", name=esc(member.name))
    await edit_or_reply(update, ctx, text, [[(ctx._("📨 Invite {name}", name=short(member.name, 20)),
                                              cb("j:inv", member_id))],
                                            [(ctx._("« Back"), cb("j:menu", member.branch_id))]])


# ---- join requests: one tap ------------------------------------------------------------------------------

@officer_required
async def decide(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = _parts(update)
    try:
        request_id = _id(update)
        decision = await joining.decide_join(ctx.services, ctx.actor, request_id, accept=parts[1] == "ok")
    except DomainError as err:
        return await refuse(update, ctx, err)
    deliver_now(context)
    query = update.callback_query
    original = query.message.text_html if query and query.message and getattr(query.message, "text", None) else ""
    verdict = ctx._("✅ Accepted: {name} is now connected.", name=esc(decision.member_name)) if decision.accepted \
        else ctx._("✖ Refused: nothing was bound.")
    await edit_or_reply(update, ctx, (original + "\n\n" if original else "") + verdict)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(invite_menu, pattern=r"^j:menu(:\d+)?$"))
    app.add_handler(CallbackQueryHandler(toggle_auto_accept, pattern=r"^j:aa:"))
    app.add_handler(CallbackQueryHandler(bound_page, pattern=r"^j:bl:"))
    app.add_handler(CallbackQueryHandler(member_invite, pattern=r"^j:inv:"))
    app.add_handler(CallbackQueryHandler(all_unbound, pattern=r"^j:all:"))
    app.add_handler(CallbackQueryHandler(join_link, pattern=r"^j:(jl|jr):"))
    app.add_handler(CallbackQueryHandler(revoke_join_link, pattern=r"^j:(jx|jxy):"))
    app.add_handler(CallbackQueryHandler(unbind, pattern=r"^j:(ub|ubc):"))
    app.add_handler(CallbackQueryHandler(decide, pattern=re.compile(r"^j:(ok|no):")))
