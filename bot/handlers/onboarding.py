"""Getting in and finding one's way: /start with an invite, /help, /lang, /cancel outside a
conversation, the private-chat guard for groups, and the catch-alls for what nobody else handles."""

from __future__ import annotations

import re

from babel import Locale
from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters,
)

from bot.domain.codes import Role
from bot.domain.errors import DomainError
from bot.handlers import commands_menu
from bot.handlers.common import (
    GROUP_REFUSAL, INVITE_HINT, MENU, Context, HandlerCtx, answer, ctx_of, edit_or_reply, private_only, reply,
    send_menu, with_ctx,
)
from bot.handlers.markup import CANCEL, NOOP, cb, esc, parse_cb
from bot.i18n import SUPPORTED
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

GUARD_GROUP = -100
# Deep-link payloads are at most 64 characters of A-Z a-z 0-9 _ -.
INVITE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A branch's join link (/start join_<code>) starts the join flow (bot.handlers.flows.invites), not an invite.
JOIN_START = filters.Regex(r"^/start(@\w+)?\s+join_")


# ---- the private-chat guard (group -100) -----------------------------------------------------------

def _addressed_to_bot(update: Update, bot_id: int, bot_username: str) -> bool:
    """A command, an @mention of the bot, or a reply to one of its messages."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    name = "@" + bot_username.lower() if bot_username else None
    for entity, text in message.parse_entities([MessageEntity.BOT_COMMAND, MessageEntity.MENTION]).items():
        if entity.type == MessageEntity.BOT_COMMAND:
            if "@" not in text or (name and text.lower().endswith(name)):
                return True
        elif name and text.lower() == name:
            return True
    reply_to = message.reply_to_message
    return bool(reply_to and reply_to.from_user and reply_to.from_user.id == bot_id)


async def _guard(update: Update, context: Context) -> None:
    """Outside a private chat nothing runs: one line of refusal when addressed, then stop.
    Edited messages stop here everywhere."""
    chat = update.effective_chat
    if update.edited_message is not None:
        # Editing an old message is not a request: without this, an edit would be taken as the answer
        # to whatever step a conversation is at now.
        raise ApplicationHandlerStop
    if chat is not None and chat.type == ChatType.PRIVATE:
        return
    if chat is not None and _addressed_to_bot(update, context.bot.id, context.bot.username or ""):
        ctx = await ctx_of(update, context)
        if update.callback_query is not None:
            await answer(update, ctx, ctx._(GROUP_REFUSAL))
        elif chat.type != ChatType.CHANNEL:
            await chat.send_message(ctx._(GROUP_REFUSAL))
    raise ApplicationHandlerStop


def register_guard(app: Application) -> None:
    app.add_handler(TypeHandler(Update, _guard), group=GUARD_GROUP)


# ---- /start and invites ----------------------------------------------------------------------------

@private_only
async def start(update: Update, context: Context, ctx: HandlerCtx) -> None:
    if context.args:
        await _redeem(update, context, ctx, context.args[0])
        return
    if ctx.is_bound:
        await send_menu(update, ctx)
    else:
        await reply(update, ctx, ctx._(INVITE_HINT))


async def _redeem(update: Update, context: Context, ctx: HandlerCtx, code: str) -> None:
    assert ctx.user_id is not None
    failure: DomainError | None = None
    # A malformed payload is still a wrong guess (it counts towards the throttle), never a DB lookup by it.
    candidate = code if INVITE_CODE.match(code) else "-"
    async with ctx.db.write(ctx.actor.label) as tx:
        try:
            result = await user_repo.redeem_invite(tx, ctx.user_id, candidate)
        except DomainError as err:
            # Caught inside the transaction on purpose: the failure row must be committed, or the
            # throttle of wrong guesses would never count anything.
            failure = err
    if failure is not None:
        text = ctx.error_text(failure)
        if ctx.is_bound:
            await send_menu(update, ctx, text)
        else:
            await reply(update, ctx, text)
        return
    ctx = await ctx_of(update, context)  # the actor changed: a member, a role, or both
    parts = []
    if result.get("member_id") is not None:
        row = await ctx.db.fetchone("SELECT m.name, o.name FROM members m JOIN orgs o ON o.id = m.branch_id"
                                    " WHERE m.id = ?", (result["member_id"],))
        if row is not None:
            parts.append(ctx._("Welcome, {name}! You are now connected to {branch}.", name=esc(row[0]),
                               branch=esc(row[1])))
    if result.get("role"):
        org = await org_repo.get(ctx.db, result["org_id"])
        parts.append(ctx._("You now act as {role} for {org}.", role=Role(result["role"]).label(ctx.tr),
                           org=esc(org.name if org else "—")))
        # ctx_of above already published the menu of the new role (users.menu differed): nothing to do here.
    parts.append(ctx._("Report any change in your situation here: it keeps you within reach of your branch."))
    await send_menu(update, ctx, "\n".join(parts))


# ---- /help and /lang -------------------------------------------------------------------------------

@private_only
async def help_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    if not ctx.is_bound:
        await reply(update, ctx, ctx._(INVITE_HINT))
        return
    lines = [f"<b>{esc(ctx._('What I can do'))}</b>"]
    for command in commands_menu.registered(commands_menu.MEMBER):
        lines.append(f"/{command.command} — {esc(ctx._(command.description))}")
    if ctx.is_officer:
        officer = commands_menu.registered(commands_menu.OFFICER)
        if officer:
            lines.append("")
            lines.append(f"<b>{esc(ctx._('For branch officers'))}</b>")
            lines.extend(f"/{c.command} — {esc(ctx._(c.description))}" for c in officer)
    lines.append("")
    lines.append(esc(ctx._("Use the buttons of the menu to report a change; /cancel stops any step.")))
    await reply(update, ctx, "\n".join(lines))


def _language_rows() -> list[list[tuple[str, str]]]:
    # Each language named in itself (babel's data), as language pickers do.
    return [[(Locale.parse(loc).language_name.capitalize(), cb("c:lang", loc)) for loc in SUPPORTED]]


@private_only
async def lang_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await reply(update, ctx, ctx._("Choose the language:"), _language_rows())


@private_only
async def lang_chosen(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = parse_cb(update.callback_query.data if update.callback_query else None)
    locale = parts[2] if len(parts) == 3 else None
    if locale not in SUPPORTED:
        await answer(update, ctx, ctx._("This button is no longer active."))
        return
    assert ctx.user_id is not None
    async with ctx.db.write(ctx.actor.label) as tx:
        await user_repo.set_locale(tx, ctx.user_id, locale)
    ctx = await ctx_of(update, context)  # publishes an officer's menu in the new language (users.menu differs)
    await edit_or_reply(update, ctx, ctx._("Language set: {language}.",
                                           language=Locale.parse(locale).language_name.capitalize()))


# ---- catch-alls (group 0, registered last) ---------------------------------------------------------

@private_only
async def nothing_to_cancel(update: Update, context: Context, ctx: HandlerCtx) -> None:
    text = ctx._("Nothing to cancel.")
    if update.callback_query is not None:
        await edit_or_reply(update, ctx, text)
    elif ctx.is_bound:
        await send_menu(update, ctx, text)
    else:
        await reply(update, ctx, ctx._(INVITE_HINT))


@private_only
async def show_menu(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await send_menu(update, ctx, edit=update.callback_query is not None)


@with_ctx
async def noop(update: Update, context: Context, ctx: HandlerCtx) -> None:
    await answer(update, ctx)


@private_only
async def stale_button(update: Update, context: Context, ctx: HandlerCtx) -> None:
    """A button nobody handles any more (an old message, a finished conversation): say so briefly."""
    if not ctx.is_bound:
        await answer(update, ctx)
        await reply(update, ctx, ctx._(INVITE_HINT))
        return
    await answer(update, ctx, ctx._("This button is no longer active."))


@private_only
async def unknown_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    if ctx.is_bound:
        await reply(update, ctx, ctx._("I do not know that command. /help lists what I can do."))
    else:
        await reply(update, ctx, ctx._(INVITE_HINT))


@private_only
async def stray_message(update: Update, context: Context, ctx: HandlerCtx) -> None:
    if ctx.is_bound:
        await send_menu(update, ctx, ctx._("Please choose from the menu."))
    else:
        await reply(update, ctx, ctx._(INVITE_HINT))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=~JOIN_START))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", lang_command))
    app.add_handler(CallbackQueryHandler(lang_chosen, pattern=r"^c:lang:"))


def register_catch_alls(app: Application) -> None:
    new_messages = filters.UpdateType.MESSAGE  # edits of old messages are not requests
    app.add_handler(CommandHandler("cancel", nothing_to_cancel, filters=new_messages))
    app.add_handler(CallbackQueryHandler(nothing_to_cancel, pattern=f"^{CANCEL}$"))
    app.add_handler(CallbackQueryHandler(show_menu, pattern=f"^{MENU}$"))
    app.add_handler(CallbackQueryHandler(noop, pattern=f"^{NOOP}$"))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(filters.COMMAND & new_messages, unknown_command))
    app.add_handler(MessageHandler(new_messages & ~filters.StatusUpdate.ALL, stray_message))
