"""What the bot sent, as tests see it: immutable snapshots of the bot's messages,
and a per-chat event log that wait_for_bot consumes in order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .state import StoredMessage


@dataclass(frozen=True)
class BotMessage:
    """A bot message as it was at one moment (sent, edited, or now)."""

    message_id: int
    chat_id: int
    text: str | None  # what the user reads, after parse_mode
    raw_text: str | None  # what the bot passed, markup included
    parse_mode: str | None
    entities: tuple = ()
    reply_markup: dict | None = None
    caption: str | None = None
    document: bytes | None = None
    document_name: str | None = None
    document_mime_type: str | None = None
    file_id: str | None = None
    edited: bool = False
    deleted: bool = False
    event: str = "sent"  # sent | edited | current
    link_preview_options: dict | None = field(default=None, compare=False)

    @classmethod
    def of(cls, message: StoredMessage, event: str = "current") -> BotMessage:
        doc = message.document
        return cls(
            message_id=message.message_id,
            chat_id=message.chat.id,
            text=message.text,
            raw_text=message.raw_text,
            parse_mode=message.parse_mode,
            entities=tuple(message.entities),
            reply_markup=message.reply_markup,
            caption=message.caption,
            document=doc.data if doc else None,
            document_name=doc.file_name if doc else None,
            document_mime_type=doc.mime_type if doc else None,
            file_id=doc.file_id if doc else None,
            edited=message.edit_date is not None,
            deleted=message.deleted,
            event=event,
            link_preview_options=message.link_preview_options,
        )

    @property
    def body(self) -> str:
        """Text or caption, whichever the message has."""
        return self.text if self.text is not None else (self.caption or "")

    def inline_buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def keyboard_buttons(self) -> list[dict]:
        """Reply-keyboard buttons, normalised to dicts."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.inline_buttons() + self.keyboard_buttons()]

    def button(self, text: str) -> dict:
        """The inline button labelled `text`: exact label first, else the only label containing it."""
        buttons = self.inline_buttons()
        exact = [b for b in buttons if b.get("text") == text]
        if exact:
            return exact[0]
        partial = [b for b in buttons if text in b.get("text", "")]
        if len(partial) == 1:
            return partial[0]
        labels = [b.get("text") for b in buttons]
        raise KeyError(f"no single inline button {text!r} in message {self.message_id}; buttons: {labels}")

    def button_data(self, text: str) -> str:
        """callback_data of the inline button labelled `text`."""
        button = self.button(text)
        if "callback_data" not in button:
            raise KeyError(f"button {button.get('text')!r} has no callback_data: {button}")
        return button["callback_data"]


class Outbox:
    """Per-chat log of the bot's sends and edits, for wait_for_bot."""

    def __init__(self) -> None:
        self._log: dict[int, list[BotMessage]] = {}
        self._cursor: dict[int, int] = {}
        self._cond: asyncio.Condition | None = None

    @property
    def cond(self) -> asyncio.Condition:
        # Created lazily so an Emulator can be built outside a running loop.
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def record(self, message: StoredMessage, event: str) -> None:
        async with self.cond:
            self._log.setdefault(message.chat.id, []).append(BotMessage.of(message, event))
            self.cond.notify_all()

    def pending(self, chat_id: int) -> list[BotMessage]:
        return self._log.get(chat_id, [])[self._cursor.get(chat_id, 0) :]

    def skip(self, chat_id: int) -> None:
        self._cursor[chat_id] = len(self._log.get(chat_id, []))

    def history(self, chat_id: int) -> list[BotMessage]:
        return list(self._log.get(chat_id, []))

    async def wait(self, chat_id: int, count: int, timeout: float, describe: Any = None) -> list[BotMessage]:
        """Wait until `count` unconsumed events exist for the chat; consume and return them."""
        try:
            async with asyncio.timeout(timeout):
                async with self.cond:
                    await self.cond.wait_for(lambda: len(self.pending(chat_id)) >= count)
        except TimeoutError:
            got = self.pending(chat_id)
            extra = f"; {describe()}" if describe else ""
            raise TimeoutError(
                f"bot sent/edited {len(got)} of {count} expected message(s) to chat {chat_id} "
                f"within {timeout}s: {[m.body for m in got]}{extra}"
            ) from None
        taken = self.pending(chat_id)[:count]
        self._cursor[chat_id] = self._cursor.get(chat_id, 0) + count
        return taken
