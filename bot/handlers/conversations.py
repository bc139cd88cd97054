"""Conversations: persistent, cancellable and timed out politely.

`conversation(...)` builds a PTB ConversationHandler whose state lives in SQLite (our persistence),
with /cancel and the ✖ Cancel button as fallbacks, a polite timeout, and the draft kept in
`context.user_data[draft_key]`.

Every guided flow of the bot runs in ONE such conversation, the wizard (bot.handlers.wizard): one
conversation at a time per chat follows from there being one handler, so typed text always goes to the
flow on screen. Build another conversation only for something that is not a flow (and mind that two live
ConversationHandlers compete for the same typed text: the first in group order takes it).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.handlers.common import CONVERSATION_TIMEOUT, MENU, Context, HandlerCtx, edit_or_reply, reply, with_ctx
from bot.handlers.markup import CANCEL
from bot.i18n import N_

log = logging.getLogger(__name__)


async def _end(update: Update, context: Context, ctx: HandlerCtx, draft_key: str, message: str) -> int:
    if isinstance(context.user_data, dict):
        context.user_data.pop(draft_key, None)
    body = ctx._(message)
    if update.callback_query is not None:
        await edit_or_reply(update, ctx, body, [[(ctx._("Menu"), MENU)]] if ctx.is_bound else None)
    else:
        await reply(update, ctx, body, ReplyKeyboardRemove())
    return ConversationHandler.END


def cancel_handlers(draft_key: str) -> list[BaseHandler]:
    """The standard fallbacks: /cancel and the ✖ Cancel button (c:cancel) end the conversation and
    drop `context.user_data[draft_key]`."""

    @with_ctx
    async def cancelled(update: Update, context: Context, ctx: HandlerCtx) -> int:
        return await _end(update, context, ctx, draft_key, N_("Cancelled. Nothing was saved."))

    return [CommandHandler("cancel", cancelled), CallbackQueryHandler(cancelled, pattern=f"^{CANCEL}$")]


def timeout_handler(draft_key: str, minutes: int) -> BaseHandler:
    """ConversationHandler.TIMEOUT: a polite note, the draft dropped."""

    @with_ctx
    async def timed_out(update: Update, context: Context, ctx: HandlerCtx) -> None:
        if isinstance(context.user_data, dict):
            context.user_data.pop(draft_key, None)
        if ctx.chat_id is not None and ctx.chat_is_private:
            await context.bot.send_message(ctx.chat_id, ctx.tr.ngettext(
                "This conversation was closed after {n} minute without an answer. Nothing unconfirmed was "
                "saved; send /start to begin again.",
                "This conversation was closed after {n} minutes without an answer. Nothing unconfirmed was "
                "saved; send /start to begin again.", minutes), reply_markup=ReplyKeyboardRemove())

    return TypeHandler(Update, timed_out)


def conversation(name: str, entry_points: list[BaseHandler], states: dict[object, list[BaseHandler]], *,
                 fallbacks: Iterable[BaseHandler] = (), timeout: float | None = CONVERSATION_TIMEOUT,
                 draft_key: str | None = None, allow_reentry: bool = True) -> ConversationHandler:
    """A persistent ConversationHandler (state saved in SQLite under `name`) with the standard
    /cancel and ✖ Cancel fallbacks, a polite timeout, and the draft kept in
    `context.user_data[draft_key or name]` (JSON-able values only: see bot.handlers.persistence).
    States must be ints or strs."""
    key = draft_key or name
    all_states = dict(states)
    if timeout:
        all_states[ConversationHandler.TIMEOUT] = [timeout_handler(key, max(1, int(timeout // 60)))]
    with warnings.catch_warnings():
        # "CallbackQueryHandler will not be tracked for every message": we track per user and chat on purpose.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=entry_points, states=all_states, fallbacks=[*cancel_handlers(key), *fallbacks],
            name=name, persistent=True, allow_reentry=allow_reentry, conversation_timeout=timeout or None,
        )


def draft(context: Context, key: str) -> dict[str, Any]:
    """The conversation's draft dict in user_data (created empty)."""
    data = context.user_data
    assert isinstance(data, dict)
    return data.setdefault(key, {})
