"""The shared kit of every handler module: who is asking, in which language, and how to answer.

Handler groups (see `bot.handlers.register_all`):
    -100  the private-chat guard: any update from a group/channel gets a one-line refusal (if
          addressed to the bot) and stops there, so no feature handler ever runs outside a private chat;
          edited messages stop there too (an edit is not an answer to the current step)
       0  every feature handler and ConversationHandler, in registration order (onboarding, profile,
          commands_menu, member_*, secretary_*, reminders_settings), then the core catch-alls LAST in
          group 0 (unknown command, stray text, expired buttons), so they only see what nobody took
      1+  free for observers that must see every update (they do not stop anything)

Callback data (≤ 64 bytes, build it with `markup.cb()`, read it with `markup.parse_cb()`), one prefix per owner:
    c:   core (c:lang:<locale>, c:menu, c:me, c:card, c:cancel, c:noop)
    m:   member report flows (the main menu sends m:menu:<outflow|returned|moved|work_unit|phone|abroad|
         checkin|correction>; answers m:<flow>:<step>:<value>)
    s:   officers' screens and flows (s:menu, lists, cards; flows start with s:go:<flow>[:<id>] and answer
         with s:f:<flow>:<step>:<value>)
    r:   reminders
    j:   invites and joining (bot.handlers.invites; the flows of bot.handlers.flows.invites answer on s:f: and jw:)
Callback data is untrusted input: whatever id it carries, the service re-checks the caller.

Handlers: decorate with `@private_only`, `@member_required`, `@officer_required` or `@with_ctx`;
the decorated function receives `(update, context, ctx: HandlerCtx)`; decorators stack (the
HandlerCtx is built once). Reply with `reply()` / `edit_or_reply()` (they answer the callback
query) and escape user text with `markup.esc()`. A guided conversation is a flow declared in
`bot.handlers.flows` and run by the one wizard engine (`bot.handlers.wizard`): persistent, /cancel, timeout,
one at a time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.runtime import AppState, app_state
from bot.config import Settings
from bot.domain.codes import OFFICER_ROLES, ReportKind
from bot.domain.errors import DomainError
from bot.handlers import callback_answers, commands_menu
from bot.handlers.edits import shows_already
from bot.handlers.markup import as_markup, cb, esc
from bot.i18n import N_, Translator, resolve_locale, translator
from bot.services.context import Actor, Services, actor_with_prefs
from bot.storage import users as user_repo

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
MENU = "c:menu"
CONVERSATION_TIMEOUT = 15 * 60  # seconds

# The member flows' menu actions (callback data m:menu:<action>) and their button labels.
MEMBER_ACTIONS: tuple[tuple[str, ReportKind], ...] = (
    ("outflow", ReportKind.OUTFLOW), ("returned", ReportKind.RETURNED), ("moved", ReportKind.MOVED),
    ("work_unit", ReportKind.WORK_UNIT), ("phone", ReportKind.PHONE), ("abroad", ReportKind.ABROAD),
    ("checkin", ReportKind.CHECK_IN),
)

# Messages the core shows from several places.
INVITE_HINT = N_("This bot serves the members of a Party branch. To use it, ask your branch secretary for an "
                 "invite link and open it.")
GROUP_REFUSAL = N_("I only answer in a private chat with me, to keep personal data out of groups.")
NOT_AVAILABLE = N_("This is not available to you.")
NOT_A_MEMBER = N_("Your account is not linked to a member record. Ask your branch secretary for a member invite.")


# ---- services and settings ------------------------------------------------------------------------

def state_of(context: Context) -> AppState:
    """The AppState of the running Application (services, settings, errors)."""
    return app_state(context.application)


def services_of(context: Context) -> Services:
    """The use cases' Services(db, clock) of this Application."""
    return state_of(context).services


def settings_of(context: Context) -> Settings:
    return state_of(context).settings


# ---- who is asking, in which language ---------------------------------------------------------------

@dataclass
class HandlerCtx:
    """Everything a handler needs about the update's sender, built once per handler call."""

    services: Services
    settings: Settings
    actor: Actor
    tr: Translator
    locale: str
    chat_is_private: bool
    user_id: int | None
    chat_id: int | None
    answered: bool = False   # the callback query was answered (reply/edit_or_reply/answer do it)

    @property
    def db(self) -> Any:
        return self.services.db

    @property
    def clock(self) -> Any:
        return self.services.clock

    @property
    def is_bound(self) -> bool:
        """A member record or a role: the user came in through an invite."""
        return self.actor.member_id is not None or bool(self.actor.roles)

    @property
    def is_officer(self) -> bool:
        return any(role in OFFICER_ROLES for role, _org in self.actor.roles)

    def _(self, message: str, **params: Any) -> str:
        return self.tr.gettext(message, **params)

    def error_text(self, err: DomainError) -> str:
        """A DomainError in the user's language (its params may be user text: escaped)."""
        safe = {k: esc(v) if isinstance(v, str) else v for k, v in err.params.items()}
        return self.tr.gettext(err.message, **safe)


async def ctx_of(update: Update, context: Context) -> HandlerCtx:
    """Build the HandlerCtx: actor (roles, member), locale, translator. Remembers the language
    Telegram reports (one write only when it changed) and clears a stale "blocked" mark."""
    state = state_of(context)
    services, settings = state.services, state.settings
    user = update.effective_user
    chat = update.effective_chat
    private = chat is not None and chat.type == ChatType.PRIVATE
    if user is None:
        actor = Actor(label="anonymous")
        locale = resolve_locale(None, None, settings.default_language)
        return HandlerCtx(services, settings, actor, translator(locale), locale, private, None,
                          chat.id if chat else None)
    db = services.db
    actor, prefs = await actor_with_prefs(db, user.id)  # one query: this runs for every update
    locale = resolve_locale(prefs.locale, user.language_code, settings.default_language)
    record_language = bool(user.language_code) and (not prefs.known or prefs.lang_code != user.language_code)
    # Writing or tapping means they unblocked us (a my_chat_member "kicked" update must not count).
    unblocked = bool(prefs.blocked_at) and (update.message is not None or update.callback_query is not None)
    if private and (record_language or unblocked):
        async with db.write(actor.label) as tx:
            if record_language:
                await user_repo.seen(tx, user.id, user.language_code)
            if unblocked:
                await user_repo.set_blocked(tx, user.id, False)
    ctx = HandlerCtx(services, settings, actor, translator(locale), locale, private, user.id,
                     chat.id if chat else None)
    if private and prefs.known and commands_menu.menu_for(ctx.is_officer, locale) != prefs.menu:
        # A role granted or revoked from the CLI (or a language change): publish the chat's menu now.
        await commands_menu.sync_menu(context.bot, db, user.id, ctx.is_officer, locale, prefs.menu)
    return ctx


async def translator_for_update(update: Update, context: Context) -> Translator:
    """The sender's translator without side effects (for the error handler)."""
    settings = settings_of(context)
    user = update.effective_user
    override = None
    if user is not None:
        row = await services_of(context).db.fetchone("SELECT locale FROM users WHERE tg_id = ?", (user.id,))
        override = row[0] if row else None
    return translator(resolve_locale(override, user.language_code if user else None, settings.default_language))


# ---- decorators -----------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
CtxHandler = Callable[[Update, Context, HandlerCtx], Awaitable[Any]]


def with_ctx(fn: CtxHandler) -> Callable[..., Awaitable[Any]]:
    """Pass the HandlerCtx as third argument (built once even when decorators stack)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context, ctx: HandlerCtx | None = None) -> Any:
        return await fn(update, context, ctx or await ctx_of(update, context))

    return wrapper


def private_only(fn: CtxHandler) -> Callable[..., Awaitable[Any]]:
    """In a group or channel: a one-line localized refusal and nothing else (returns None)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context, ctx: HandlerCtx | None = None) -> Any:
        ctx = ctx or await ctx_of(update, context)
        if not ctx.chat_is_private:
            await refuse_in_group(update, ctx)
            return None
        return await fn(update, context, ctx)

    return wrapper


def member_required(fn: CtxHandler) -> Callable[..., Awaitable[Any]]:
    """Private chat and a member record bound to this Telegram account. A stranger learns only how
    to get an invite; an officer without a member record is told so."""

    @private_only
    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context, ctx: HandlerCtx) -> Any:
        if ctx.actor.member_id is None:
            await reply(update, ctx, ctx._(NOT_A_MEMBER) if ctx.is_bound else ctx._(INVITE_HINT))
            return None
        return await fn(update, context, ctx)

    return wrapper


def officer_required(fn: CtxHandler) -> Callable[..., Awaitable[Any]]:
    """Private chat and a secretary / organizer / committee role somewhere. Others get a refusal
    that reveals nothing (strangers: the invite hint). Services still check the branch of each record."""

    @private_only
    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context, ctx: HandlerCtx) -> Any:
        if not ctx.is_officer:
            await reply(update, ctx, ctx._(NOT_AVAILABLE) if ctx.is_bound else ctx._(INVITE_HINT))
            return None
        return await fn(update, context, ctx)

    return wrapper


async def refuse_in_group(update: Update, ctx: HandlerCtx) -> None:
    """The one-line refusal for groups (a callback query gets it as its answer, no message)."""
    if update.callback_query is not None:
        await answer(update, ctx, ctx._(GROUP_REFUSAL))
        return
    if update.effective_chat is not None:
        await update.effective_chat.send_message(ctx._(GROUP_REFUSAL))


async def refuse(update: Update, ctx: HandlerCtx, err: DomainError) -> None:
    """A refusal that reveals nothing: the same words for a record that is not there and one that is not
    the caller's; on a button, as the button's answer (an alert; nothing else changes)."""
    if update.callback_query is not None:
        await answer(update, ctx, ctx.error_text(err), alert=True)
    else:
        await reply(update, ctx, ctx.error_text(err))


def menu_rows(ctx: HandlerCtx) -> list[list[tuple[str, str]]]:
    """The main menu: the member's reports (m:menu:*), my record and card, and officers' work (s:menu)."""
    rows: list[list[tuple[str, str]]] = []
    if ctx.actor.member_id is not None:
        buttons = [(kind.label(ctx.tr), cb("m:menu", action)) for action, kind in MEMBER_ACTIONS]
        rows.extend(buttons[i:i + 2] for i in range(0, len(buttons), 2))
        rows.append([(ctx._("My record"), "c:me"), (ctx._("Contact card"), "c:card")])
    if ctx.is_officer:
        rows.append([(ctx._("Branch work"), "s:menu")])
    return rows


async def send_menu(update: Update, ctx: HandlerCtx, text: str | None = None, *, edit: bool = False) -> None:
    """Show the main menu (a stranger gets the invite hint instead)."""
    if not ctx.is_bound:
        await reply(update, ctx, ctx._(INVITE_HINT))
        return
    body = text or ctx._("What would you like to do?")
    if edit:
        await edit_or_reply(update, ctx, body, menu_rows(ctx))
    else:
        await reply(update, ctx, body, menu_rows(ctx))


# ---- answering -------------------------------------------------------------------------------------

async def answer(update: Update, ctx: HandlerCtx, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the callback query once (no-op for messages or when already answered, by any context
    of this update: see bot.handlers.callback_answers)."""
    query = update.callback_query
    if query is None or ctx.answered:
        return
    ctx.answered = True
    await callback_answers.answer_once(query, text, alert=alert)


# Replies go through do_api_request, which returns Telegram's answer as it came: PTB's send_message and
# edit_text build a Message from it (the chat, the sender, the entities, the keyboard again), and nothing in
# the bot reads it back — on /me that was about a tenth of the bot's work per update. do_api_request applies no
# Defaults, so these are the ones bot.app gives every other call; the rate limiter and the retries apply
# as to any call. Bot API method names are case-insensitive, and PTB warns when do_api_request is given the
# name of a method it wraps ("sendMessage"), so they are named in lower case.
_REPLY_DEFAULTS = {"parse_mode": ParseMode.HTML, "link_preview_options": LinkPreviewOptions(is_disabled=True)}
_SEND_MESSAGE, _EDIT_MESSAGE_TEXT = "sendmessage", "editmessagetext"


async def reply(update: Update, ctx: HandlerCtx, text: str, keyboard: Any = None) -> int:
    """Send a new message to the update's chat (HTML; escape user text with esc()). Answers a callback query.
    Returns the new message's id."""
    await answer(update, ctx)
    chat = update.effective_chat
    assert chat is not None
    result = await chat.get_bot().do_api_request(
        _SEND_MESSAGE, {"chat_id": chat.id, "text": text, "reply_markup": as_markup(keyboard), **_REPLY_DEFAULTS})
    return int(result["message_id"])


async def edit_message(update: Update, message_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message of the update's chat into `text` (HTML) and `markup` (None: no keyboard)."""
    chat = update.effective_chat
    assert chat is not None
    await chat.get_bot().do_api_request(
        _EDIT_MESSAGE_TEXT, {"chat_id": chat.id, "message_id": message_id, "text": text, "reply_markup": markup,
                             **_REPLY_DEFAULTS})


_EDIT_FALLBACK = ("message can't be edited", "message to edit not found", "there is no text in the message")


async def edit_or_reply(update: Update, ctx: HandlerCtx, text: str, keyboard: Any = None, *,
                        answer_text: str | None = None) -> int:
    """Edit the message whose button was pressed (or reply when there is none or it cannot be
    edited). An edit that would change nothing is not made (bot.handlers.edits). Always answers the
    callback query. Returns the id of the message that shows `text`."""
    query = update.callback_query
    if query is None:
        return await reply(update, ctx, text, keyboard)
    await answer(update, ctx, answer_text)
    markup = as_markup(keyboard)
    message = query.message
    if isinstance(message, Message) and (markup is None or isinstance(markup, InlineKeyboardMarkup)):
        if shows_already(message, text, markup):
            return message.message_id
        try:
            await edit_message(update, message.message_id, text, markup)
            return message.message_id
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return message.message_id
            if not any(s in reason for s in _EDIT_FALLBACK):
                raise
    return await reply(update, ctx, text, keyboard)
