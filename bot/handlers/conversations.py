"""Conversations: persistent, cancellable, timed out politely, and one at a time per chat.

`conversation(...)` builds a PTB ConversationHandler whose state lives in SQLite (our persistence),
with /cancel and the ✖ Cancel button as fallbacks, a polite timeout, and the draft kept in
`context.user_data[draft_key]`.

One at a time: a secretary who is also a member can start a member report in the middle of a search
attempt (or the other way round). Two live ConversationHandlers would then compete for the next typed
answer, and the first one in group order would take text meant for the other. So when a conversation
starts, every other conversation of the same chat and user is closed, its draft dropped, and the user
told which one was closed (nothing unconfirmed is ever saved, so nothing is lost that was promised).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.handlers.common import CONVERSATION_TIMEOUT, MENU, Context, HandlerCtx, ctx_of, edit_or_reply, reply, with_ctx
from bot.handlers.markup import CANCEL
from bot.i18n import N_

log = logging.getLogger(__name__)

CLOSED_NOTICE = N_("Your unfinished “{what}” was closed; nothing in it had been saved.")


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


class ExclusiveConversation(ConversationHandler):
    """A ConversationHandler that, when one of its entry points starts it, closes every other
    ExclusiveConversation of the same chat and user (see the module docstring)."""

    def __init__(self, *args: Any, draft_key: str, flows: Mapping[str, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.draft_key = draft_key
        self.flows = flows  # the draft's "flow" code → a flow with a `title` msgid (names what was closed)

    def title_of(self, draft: Any) -> str:
        flow = self.flows.get(draft.get("flow", "")) if isinstance(draft, dict) else None
        return flow.title if flow is not None else N_("conversation")

    async def handle_update(self, update: Update, application: Application, check_result: Any,
                            context: Any) -> object:
        _state, key, handler, _check = check_result
        if handler in self.entry_points:
            closed = self._close_others(application, key)
            if closed:
                ctx = await ctx_of(update, context)
                for msgid in closed:
                    await context.bot.send_message(ctx.chat_id, ctx._(CLOSED_NOTICE).format(what=ctx._(msgid)))
        return await super().handle_update(update, application, check_result, context)

    def _close_others(self, application: Application, key: Any) -> list[str]:
        """End the other conversations of `key` (chat id, user id); their msgid titles."""
        closed = []
        for handlers in application.handlers.values():
            for other in handlers:
                if other is self or not isinstance(other, ExclusiveConversation):
                    continue
                if key not in other._conversations:  # noqa: SLF001 (PTB keeps no public view of it)
                    continue
                # Deleting through _update_state is what PTB itself does on END: the TrackingDict notes it,
                # and the next persistence flush removes the stored state.
                other._update_state(ConversationHandler.END, key)  # noqa: SLF001
                job = other.timeout_jobs.pop(key, None)
                if job is not None:
                    job.schedule_removal()
                user_data = application.user_data.get(key[-1])
                draft = user_data.pop(other.draft_key, None) if isinstance(user_data, dict) else None
                closed.append(other.title_of(draft))
                log.info("closed conversation %s: another one started", other.name)
        return closed


def conversation(name: str, entry_points: list[BaseHandler], states: dict[object, list[BaseHandler]], *,
                 fallbacks: Iterable[BaseHandler] = (), timeout: float | None = CONVERSATION_TIMEOUT,
                 draft_key: str | None = None, allow_reentry: bool = True,
                 flows: Mapping[str, Any] | None = None) -> ConversationHandler:
    """A persistent, exclusive ConversationHandler (state saved in SQLite under `name`) with the standard
    /cancel and ✖ Cancel fallbacks, a polite timeout, and the draft kept in
    `context.user_data[draft_key or name]` (JSON-able values only: see bot.handlers.persistence).
    States must be ints or strs. `flows` (code → flow with a `title`) names the draft's flow when another
    conversation closes this one."""
    key = draft_key or name
    all_states = dict(states)
    if timeout:
        all_states[ConversationHandler.TIMEOUT] = [timeout_handler(key, max(1, int(timeout // 60)))]
    with warnings.catch_warnings():
        # "CallbackQueryHandler will not be tracked for every message": we track per user and chat on purpose.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ExclusiveConversation(
            entry_points=entry_points, states=all_states, fallbacks=[*cancel_handlers(key), *fallbacks],
            name=name, persistent=True, allow_reentry=allow_reentry, conversation_timeout=timeout or None,
            draft_key=key, flows=flows or {},
        )


def draft(context: Context, key: str) -> dict[str, Any]:
    """The conversation's draft dict in user_data (created empty)."""
    data = context.user_data
    assert isinstance(data, dict)
    return data.setdefault(key, {})
