"""Joining through the branch's join link (`/start join_<code>`): the member gives their name, the last six
characters of their ID number and their mobile number, confirms, and gets the one answer
(bot.services.joining) — or, when the branch lets exact matches in, their menu at once.

Written as its own persistent conversation (bot.handlers.conversations) because the one wizard engine of
issue 8 was not on main yet: one file to move into bot/handlers/flows/ when it is. What was typed is never
echoed whole (the summary masks the number and the mobile), never logged, and dropped when the conversation
ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.errors import DomainError
from bot.domain.phone import mask_mobile, normalise_mobile
from bot.handlers.common import Context, HandlerCtx, ctx_of, edit_or_reply, private_only, reply, send_menu
from bot.handlers.conversations import conversation, draft
from bot.handlers.invites import deliver_now
from bot.handlers.markup import CANCEL, esc
from bot.handlers.onboarding import JOIN_START
from bot.i18n import N_
from bot.services import joining
from bot.storage.invites import JOIN_PREFIX

DRAFT = "join"
NAME, SIX, MOBILE, CONFIRM = "join_name", "join_six", "join_mobile", "join_confirm"
SEND = "j:send"
NAME_MAX = 40

T_TITLE = N_("Joining the branch")
T_INTRO = N_("<b>Joining {branch}</b>\nTo connect your Telegram account to your record on the branch register, "
             "answer three questions. /cancel stops at any time.")
T_ASK_NAME = N_("1/3 · Your name, as on the register:")
T_ASK_SIX = N_("2/3 · The last six characters of your ID number (digits, or X at the end):")
T_ASK_MOBILE = N_("3/3 · The mobile number the branch has for you:")
T_BAD_NAME = N_("Type your name (up to 40 characters):")
T_BAD_SIX = N_("That is not six characters of an ID number: type the last six (digits, or X at the end):")
T_BAD_MOBILE = N_("That is not a mobile number: type the 11 digits (13… to 19…):")
T_SUMMARY = N_("<b>Please check</b>\nName: {name}\nID number ending: {six}\nMobile: {mobile}\n\nSend to {branch}?")
T_SEND = N_("✅ Send")
T_CANCEL = N_("✖ Cancel")
T_SENT = N_("Thank you. If these details match the register of {branch}, your branch secretary will be asked to "
            "confirm, and you will hear from me here. If you hear nothing, speak to your branch secretary.")


def _cancel_row(ctx: HandlerCtx) -> list[list[tuple[str, str]]]:
    return [[(ctx._(T_CANCEL), CANCEL)]]


@private_only
async def begin(update: Update, context: Context, ctx: HandlerCtx) -> object:
    payload = context.args[0] if context.args else ""
    assert ctx.user_id is not None
    try:
        start = await joining.start_join(ctx.services, ctx.user_id, payload[len(JOIN_PREFIX):])
    except DomainError as err:
        if err.field == "bound":
            await send_menu(update, ctx, ctx.error_text(err))
        else:
            await reply(update, ctx, ctx.error_text(err))
        return ConversationHandler.END
    d = draft(context, DRAFT)
    d.clear()
    d.update(flow="join", code=payload[len(JOIN_PREFIX):], branch=start.branch_name)
    await reply(update, ctx, ctx._(T_INTRO, branch=esc(start.branch_name)) + "\n\n" + ctx._(T_ASK_NAME),
                _cancel_row(ctx))
    return NAME


def _typed(update: Update) -> str:
    return " ".join((update.message.text or "").split()) if update.message else ""


def _text_step(key: str, clean: Callable[[str], str], valid: Callable[[str], bool], bad: str, ask_next: str,
               this: str, following: str) -> Callable[..., Awaitable[object]]:
    """A step taking one typed answer: cleaned, checked (re-asked with `bad`), kept in the draft."""

    @private_only
    async def step(update: Update, context: Context, ctx: HandlerCtx) -> object:
        value = clean(_typed(update))
        if not valid(value):
            await reply(update, ctx, ctx._(bad), _cancel_row(ctx))
            return this
        draft(context, DRAFT)[key] = value
        await reply(update, ctx, ctx._(ask_next), _cancel_row(ctx))
        return following

    return step


got_name = _text_step("name", str, lambda v: 0 < len(v) <= NAME_MAX, T_BAD_NAME, T_ASK_SIX, NAME, SIX)
got_six = _text_step("six", joining.clean_last_six, joining.valid_last_six, T_BAD_SIX, T_ASK_MOBILE, SIX, MOBILE)


@private_only
async def got_mobile(update: Update, context: Context, ctx: HandlerCtx) -> object:
    try:
        mobile = normalise_mobile(_typed(update))
    except DomainError:
        # Not the domain's message: it quotes what was typed, and a phone number is never echoed.
        await reply(update, ctx, ctx._(T_BAD_MOBILE), _cancel_row(ctx))
        return MOBILE
    d = draft(context, DRAFT)
    d["mobile"] = mobile
    await reply(update, ctx, ctx._(T_SUMMARY, name=esc(d["name"]), six="••••" + d["six"][-2:],
                                   mobile=mask_mobile(mobile), branch=esc(d["branch"])),
                [[(ctx._(T_SEND), SEND), (ctx._(T_CANCEL), CANCEL)]])
    return CONFIRM


@private_only
async def send(update: Update, context: Context, ctx: HandlerCtx) -> object:
    d = dict(draft(context, DRAFT))
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)     # what was typed goes now, whatever happens next
    if not all(d.get(k) for k in ("code", "name", "six", "mobile")):
        await edit_or_reply(update, ctx, ctx._("This button is no longer active."))
        return ConversationHandler.END
    assert ctx.user_id is not None
    account = update.effective_user.full_name if update.effective_user else ""
    try:
        outcome = await joining.submit_join(ctx.services, ctx.user_id, d["code"], d["name"], d["six"], d["mobile"],
                                            account=account)
    except DomainError as err:
        await edit_or_reply(update, ctx, ctx.error_text(err))
        return ConversationHandler.END
    if outcome.joined:
        await edit_or_reply(update, ctx, ctx._(joining.T_JOINED_AUTO, name=esc(outcome.member_name),
                                               branch=esc(outcome.branch_name)))
        member = await ctx_of(update, context)   # now a member: their own menu
        member.answered = True                   # the button was answered by the edit above
        await send_menu(update, member)
    else:
        deliver_now(context)    # the secretaries' request, now rather than at the sender's next poll
        await edit_or_reply(update, ctx, ctx._(T_SENT, branch=esc(outcome.branch_name)))
    return ConversationHandler.END


def register(app: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(conversation(
        "join", entry_points=[CommandHandler("start", begin, filters=JOIN_START)],
        states={NAME: [MessageHandler(text, got_name)], SIX: [MessageHandler(text, got_six)],
                MOBILE: [MessageHandler(text, got_mobile)], CONFIRM: [CallbackQueryHandler(send, pattern=f"^{SEND}$")]},
        draft_key=DRAFT, flows={"join": SimpleNamespace(title=T_TITLE)}))
