"""What the emulated Telegram knows: users, chats, messages, files, callback queries,
bot commands. Plain data, no I/O, so the HTTP layer and the test API share it.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def chat_id(self) -> int:
        return self.id  # Telegram: a private chat's id is the user's id

    def to_api(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class FakeChat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    member_ids: list[int] = field(default_factory=list)
    # A private chat becomes usable for the bot only once the user wrote to it.
    known: bool = False
    bot_is_admin: bool = False

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def document_json(self) -> dict:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file_json(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    message_id: int
    chat: FakeChat
    sender: FakeUser | None  # None: sent by the bot
    date: int
    text: str | None = None
    entities: list[dict] = field(default_factory=list)
    raw_text: str | None = None  # as the bot sent it, before parse_mode
    parse_mode: str | None = None
    reply_markup: dict | None = None
    caption: str | None = None
    caption_entities: list[dict] = field(default_factory=list)
    document: StoredFile | None = None
    contact: dict | None = None
    reply_to: StoredMessage | None = None
    link_preview_options: dict | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        return self.sender is None

    def to_api(self, bot_user: dict, *, with_reply: bool = True) -> dict:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": bot_user if self.sender is None else self.sender.to_api(),
        }
        if self.edit_date:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.document is not None:
            data["document"] = self.document.document_json()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.contact is not None:
            data["contact"] = self.contact
        if self.link_preview_options:
            data["link_preview_options"] = self.link_preview_options
        if with_reply and self.reply_to is not None and not self.reply_to.deleted:
            data["reply_to_message"] = self.reply_to.to_api(bot_user, with_reply=False)
        # Only inline keyboards belong to a message; reply keyboards live in the client.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass
class CallbackRecord:
    id: str
    user: FakeUser
    message: StoredMessage
    data: str
    created: float  # time.monotonic()
    answered: bool = False
    answer: dict | None = None
    answered_late: bool = False


class State:
    def __init__(self) -> None:
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[int, dict[int, StoredMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple, list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.reply_keyboards: dict[int, dict | None] = {}
        self.blocked: set[int] = set()
        self.seen_users: set[int] = set()
        self.webhook: dict[str, Any] = {"url": ""}
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)
        self._file_numbers = itertools.count(1)
        self._next_message_id: dict[int, int] = {}

    def add_user(self, first_name: str, *, last_name=None, username=None, language_code=None,
                 user_id: int | None = None) -> FakeUser:
        user = FakeUser(user_id or next(self._user_ids), first_name, last_name, username, language_code)
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(
            user.id, "private", username=username, first_name=first_name, last_name=last_name
        )
        return user

    def add_group(self, title: str, member_ids: list[int], *, supergroup: bool, username=None,
                  bot_is_admin: bool = False) -> FakeChat:
        n = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + 1_000_000 + n) if supergroup else -(4_000_000_000 + n)
        chat = FakeChat(chat_id, "supergroup" if supergroup else "group", title=title,
                        username=username, member_ids=list(member_ids), known=True,
                        bot_is_admin=bot_is_admin)
        self.chats[chat_id] = chat
        return chat

    def find_chat(self, chat_id: int | str) -> FakeChat | None:
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            return next((c for c in self.chats.values() if (c.username or "").lower() == name), None)
        return self.chats.get(chat_id)

    def new_message(self, chat: FakeChat, sender: FakeUser | None, **fields: Any) -> StoredMessage:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message = StoredMessage(message_id, chat, sender, int(time.time()), **fields)
        self.messages.setdefault(chat.id, {})[message_id] = message
        return message

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        message = self.messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def store_file(self, data: bytes, file_name: str | None, mime_type: str | None,
                   folder: str = "documents") -> StoredFile:
        n = next(self._file_numbers)
        suffix = ("." + file_name.rsplit(".", 1)[1]) if file_name and "." in file_name else ""
        stored = StoredFile(
            file_id=f"BQACAgUAAx{n:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{n:05d}",
            file_path=f"{folder}/file_{n}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"
