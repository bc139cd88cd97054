"""What the people on the other side do: write, share a contact, upload a file, press
a button. Each action becomes an update the bot fetches with getUpdates, built the
way Telegram builds it (bot_command entities, contact.user_id, callback message...).
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from .html_entities import utf16_len
from .outbox import BotMessage
from .state import CallbackRecord, FakeChat, FakeUser, StoredMessage

if TYPE_CHECKING:
    from .emulator import Emulator

_AUTO_ENTITIES = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
)


def auto_entities(text: str) -> list[dict]:
    """Entities Telegram detects by itself in what users type."""
    found = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            found.append({"type": kind, "offset": utf16_len(text[: match.start()]),
                          "length": utf16_len(match.group())})
    # a /command@bot is one bot_command, not also a mention
    commands = [e for e in found if e["type"] == "bot_command"]
    found = [
        e for e in found
        if e["type"] == "bot_command"
        or not any(cmd["offset"] <= e["offset"] < cmd["offset"] + cmd["length"] for cmd in commands)
    ]
    return sorted(found, key=lambda e: e["offset"])


class UserActions:
    """Mixed into Emulator; relies on its state, updates queue and bot identity."""

    def _chat_for(self: Emulator, user: FakeUser, chat: FakeChat | int | None) -> FakeChat:
        if chat is None:
            return self.state.chats[user.id]
        chat_id = chat if isinstance(chat, int) else chat.id
        found = self.state.chats.get(chat_id)
        if found is None:
            raise KeyError(f"unknown chat {chat_id}; create it with add_group()")
        return found

    def _speaks(self: Emulator, user: FakeUser, chat: FakeChat) -> None:
        self.state.seen_users.add(user.id)
        if chat.type == "private":
            chat.known = True
            # writing to a bot you blocked means you restarted it
            self.state.blocked.discard(user.id)
        elif user.id not in chat.member_ids:
            chat.member_ids.append(user.id)

    def _reply_target(self: Emulator, chat: FakeChat, reply_to: Any) -> StoredMessage | None:
        if reply_to is None:
            return None
        message_id = reply_to.message_id if isinstance(reply_to, BotMessage) else (
            reply_to["message_id"] if isinstance(reply_to, dict) else int(reply_to))
        target = self.state.get_message(chat.id, message_id)
        if target is None:
            raise KeyError(f"message {message_id} not found in chat {chat.id}")
        return target

    def _push_message(self: Emulator, message: StoredMessage) -> dict:
        payload = message.to_api(self.bot_user)
        self.updates.push("message", payload)
        return payload

    async def send_text(self: Emulator, user: FakeUser, text: str, chat: FakeChat | int | None = None,
                        *, reply_to: Any = None) -> dict:
        """Queue a text message from `user` (private chat unless `chat`); returns the Message."""
        target = self._chat_for(user, chat)
        self._speaks(user, target)
        message = self.state.new_message(target, user, text=text, entities=auto_entities(text),
                                         reply_to=self._reply_target(target, reply_to))
        return self._push_message(message)

    async def share_contact(self: Emulator, user: FakeUser, phone_number: str,
                            chat: FakeChat | int | None = None, *, first_name: str | None = None,
                            last_name: str | None = None, own: bool = True) -> dict:
        """Queue a contact message; `own=True` is the request_contact button (user_id set)."""
        target = self._chat_for(user, chat)
        self._speaks(user, target)
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name or user.first_name}
        if last_name or (own and user.last_name):
            contact["last_name"] = last_name or user.last_name
        if own:
            contact["user_id"] = user.id
        message = self.state.new_message(target, user, contact=contact)
        return self._push_message(message)

    async def send_document(self: Emulator, user: FakeUser, data: bytes, file_name: str, *,
                            mime_type: str | None = None, caption: str | None = None,
                            chat: FakeChat | int | None = None) -> dict:
        """Queue a document upload from `user`; the bot can getFile and download it."""
        target = self._chat_for(user, chat)
        self._speaks(user, target)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.state.store_file(bytes(data), file_name, mime)
        message = self.state.new_message(target, user, document=stored, caption=caption,
                                         caption_entities=auto_entities(caption) if caption else [])
        return self._push_message(message)

    async def press(self: Emulator, user: FakeUser, message: BotMessage | dict | StoredMessage,
                    data: str) -> str:
        """Press the inline button whose callback_data (or, failing that, label) is `data`.

        Returns the callback query id the bot must answer.
        """
        if isinstance(message, dict):
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        else:
            chat_id = message.chat_id if isinstance(message, BotMessage) else message.chat.id
            message_id = message.message_id
        stored = self.state.get_message(chat_id, message_id)
        if stored is None:
            raise KeyError(f"message {message_id} in chat {chat_id} is gone")
        rows = (stored.reply_markup or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row if "callback_data" in b]
        match = next((b for b in buttons if b["callback_data"] == data), None) or next(
            (b for b in buttons if b["text"] == data), None)
        if match is None:
            raise KeyError(f"no button {data!r} on message {message_id}; "
                           f"buttons: {[(b['text'], b['callback_data']) for b in buttons]}")
        self._speaks(user, stored.chat)
        query_id = str(secrets.randbits(62))
        self.state.callbacks[query_id] = CallbackRecord(query_id, user, stored, match["callback_data"],
                                                        time.monotonic())
        self.updates.push("callback_query", {
            "id": query_id,
            "from": user.to_api(),
            "message": stored.to_api(self.bot_user),
            "chat_instance": str(abs(hash((stored.chat.id, self.token))) % 10**18),
            "data": match["callback_data"],
        })
        return query_id

    def _chat_member_update(self: Emulator, user: FakeUser, old: str, new: str) -> None:
        status = {"status": new, "user": self.bot_user}
        if new == "kicked":
            status["until_date"] = 0
        self.updates.push("my_chat_member", {
            "chat": self.state.chats[user.id].to_api(),
            "from": user.to_api(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": self.bot_user},
            "new_chat_member": status,
        })

    def block(self: Emulator, user: FakeUser, *, notify: bool = True) -> None:
        """The user blocks the bot: sends to them get 403 until they write again."""
        self.state.blocked.add(user.id)
        if notify:
            self._chat_member_update(user, "member", "kicked")

    def unblock(self: Emulator, user: FakeUser, *, notify: bool = True) -> None:
        self.state.blocked.discard(user.id)
        if notify:
            self._chat_member_update(user, "kicked", "member")
