"""What a flow's `save` and `after` hooks may do to the chat, without knowing about updates and queries.

    await screen.progress(ctx._("Writing the form… {n}%", n=40))   # edits one message, again and again
    await screen.send_document(data, "名册.xlsx", caption=...)      # a file (bytes) as a new message
    await screen.send(text, rows)                                  # a new message (e.g. the 联心卡)
    return text, rows                                              # save's result: shown by the engine

The result (and every progress line) goes to the same message: the one whose button was pressed, or the
first message sent when the flow ended on a typed answer. Telegram allows about one edit a second per chat:
call progress() every few seconds or every tenth of the work, not per row.
"""

from __future__ import annotations

import io
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest

from bot.handlers.common import Context, HandlerCtx, edit_message, edit_or_reply, reply
from bot.handlers.markup import as_markup


class Screen:
    """The chat of the update a flow is saving from."""

    def __init__(self, update: Update, context: Context, ctx: HandlerCtx):
        self.update = update
        self.context = context
        self.ctx = ctx
        # The flow's message once shown: its id, and the text and keyboard last put on it (what the chat
        # shows: every change to it is ours).
        self._shown: tuple[int, str, Any] | None = None

    @property
    def application(self) -> Any:
        return self.context.application

    @property
    def user_data(self) -> dict[str, Any]:
        """The user's persisted data (JSON-able values only), e.g. a search to page through later."""
        data = self.context.user_data
        assert isinstance(data, dict)
        return data

    async def show(self, text: str, keyboard: Any = None) -> None:
        """Put `text` on the flow's message: edit it if there is one, else edit the pressed one or reply."""
        markup = as_markup(keyboard)
        if self._shown is None:
            self._shown = (await edit_or_reply(self.update, self.ctx, text, keyboard), text, markup)
            return
        message_id, shown, shown_markup = self._shown
        if shown == text and shown_markup == markup:
            return      # a progress line that did not move is not edited again
        if markup is None or isinstance(markup, InlineKeyboardMarkup):
            try:
                await edit_message(self.update, message_id, text, markup)
                self._shown = (message_id, text, markup)
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                # the message is gone or cannot be edited: a new one below
        self._shown = (await reply(self.update, self.ctx, text, keyboard), text, markup)

    async def progress(self, text: str) -> None:
        """A progress line for long work (no buttons while it runs)."""
        await self.show(text)

    async def send(self, text: str, keyboard: Any = None) -> int:
        """A new message below the flow's one; returns its id."""
        return await reply(self.update, self.ctx, text, keyboard)

    async def send_document(self, data: bytes, filename: str, caption: str | None = None) -> Message:
        """A file as a new message (caption HTML, ≤ 1024 characters)."""
        assert self.ctx.chat_id is not None
        return await self.context.bot.send_document(self.ctx.chat_id, InputFile(io.BytesIO(data), filename=filename),
                                                    caption=caption)
