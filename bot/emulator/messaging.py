"""Bot API methods that create, change or remove messages."""

from __future__ import annotations

import mimetypes
import time
from typing import TYPE_CHECKING, Any

from . import checks as c
from .checks import ApiError
from .registry import api_method
from .state import FakeChat, StoredMessage, Upload

if TYPE_CHECKING:
    from .emulator import Emulator

MAX_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024


def resolve_chat(emu: Emulator, chat_id: Any) -> FakeChat:
    if chat_id is None or chat_id == "":
        raise ApiError.bad_request(c.CHAT_ID_EMPTY)
    chat = emu.state.find_chat(chat_id)
    if chat is None or not chat.known:
        if chat is not None and chat.type == "private" and chat.id in emu.state.seen_users:
            # the bot has met this user in a group, but the user never opened the bot
            raise ApiError(403, c.CANT_INITIATE)
        raise ApiError.bad_request(c.CHAT_NOT_FOUND)
    if chat.type == "private" and chat.id in emu.state.blocked:
        raise ApiError(403, c.BLOCKED)
    return chat


def _reply_target(emu: Emulator, chat: FakeChat, p: dict) -> StoredMessage | None:
    params = p.get("reply_parameters")
    if params is None and p.get("reply_to_message_id"):
        params = {"message_id": p["reply_to_message_id"],
                  "allow_sending_without_reply": p.get("allow_sending_without_reply")}
    if not params:
        return None
    if not isinstance(params, dict) or not isinstance(params.get("message_id"), int):
        raise ApiError.bad_request("can't parse reply parameters JSON object")
    target_chat = chat
    if params.get("chat_id") not in (None, chat.id):
        target_chat = resolve_chat(emu, params["chat_id"])
    target = emu.state.get_message(target_chat.id, params["message_id"])
    if target is None and not params.get("allow_sending_without_reply"):
        raise ApiError.bad_request(c.REPLY_NOT_FOUND)
    return target


def _link_preview(p: dict) -> dict | None:
    options = p.get("link_preview_options")
    if options is None and p.get("disable_web_page_preview"):
        return {"is_disabled": True}
    if options is not None and not isinstance(options, dict):
        raise ApiError.bad_request("can't parse link preview options JSON object")
    return options or None


def _remember_keyboard(emu: Emulator, chat: FakeChat, markup: dict | None) -> None:
    # A reply keyboard stays on the user's screen until replaced or removed.
    if markup and "keyboard" in markup:
        emu.state.reply_keyboards[chat.id] = markup
    elif markup and markup.get("remove_keyboard"):
        emu.state.reply_keyboards[chat.id] = None


def _markup(p: dict, chat: FakeChat, inline_only: bool = False) -> dict | None:
    return c.check_reply_markup(p.get("reply_markup"), private_chat=chat.type == "private",
                                inline_only=inline_only)


@api_method("sendMessage")
async def send_message(emu: Emulator, p: dict) -> dict:
    chat = resolve_chat(emu, p.get("chat_id"))
    text, entities = c.message_text(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                    strict_html=emu.strict_html)
    markup = _markup(p, chat)
    reply_to = _reply_target(emu, chat, p)
    message = emu.state.new_message(
        chat, None, text=text, entities=entities, raw_text=str(p["text"]),
        parse_mode=p.get("parse_mode"), reply_markup=markup, reply_to=reply_to,
        link_preview_options=_link_preview(p),
    )
    _remember_keyboard(emu, chat, markup)
    await emu.outbox.record(message, "sent")
    return message.to_api(emu.bot_user)


@api_method("sendDocument")
async def send_document(emu: Emulator, p: dict) -> dict:
    chat = resolve_chat(emu, p.get("chat_id"))
    document = p.get("document")
    if isinstance(document, Upload):
        if not document.data:
            raise ApiError.bad_request(c.FILE_EMPTY)
        if len(document.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        guessed = mimetypes.guess_type(document.filename or "")[0]
        stored = emu.state.store_file(document.data, document.filename,
                                      guessed or document.content_type or "application/octet-stream")
    elif isinstance(document, str) and document.startswith(("http://", "https://")):
        raise ApiError.bad_request("failed to get HTTP URL content")
    else:
        stored = emu.state.files.get(str(document or ""))
        if stored is None:
            raise ApiError.bad_request(c.WRONG_FILE)
    caption, caption_entities = c.caption_text(p.get("caption"), p.get("parse_mode"),
                                               p.get("caption_entities"), strict_html=emu.strict_html)
    markup = _markup(p, chat)
    reply_to = _reply_target(emu, chat, p)
    message = emu.state.new_message(
        chat, None, document=stored, caption=caption, caption_entities=caption_entities,
        raw_text=p.get("caption"), parse_mode=p.get("parse_mode"), reply_markup=markup,
        reply_to=reply_to,
    )
    _remember_keyboard(emu, chat, markup)
    await emu.outbox.record(message, "sent")
    return message.to_api(emu.bot_user)


def _editable(emu: Emulator, p: dict) -> StoredMessage:
    if p.get("inline_message_id"):
        raise ApiError.bad_request("inline messages are not emulated")
    chat = resolve_chat(emu, p.get("chat_id"))
    if not p.get("message_id"):
        raise ApiError.bad_request("message identifier is not specified")
    message = emu.state.get_message(chat.id, p["message_id"])
    if message is None:
        raise ApiError.bad_request(c.EDIT_NOT_FOUND)
    if not message.from_bot:
        raise ApiError.bad_request(c.CANT_EDIT)
    return message


def _inline(markup: dict | None) -> dict | None:
    return markup if markup and "inline_keyboard" in markup else None


def _set_inline(message: StoredMessage, markup: dict | None) -> None:
    # Editing replaces the inline keyboard; a reply keyboard sent with the message stays.
    if markup is not None or _inline(message.reply_markup) is not None:
        message.reply_markup = markup


@api_method("editMessageText")
async def edit_message_text(emu: Emulator, p: dict) -> dict:
    message = _editable(emu, p)
    if message.text is None:
        raise ApiError.bad_request(c.NO_TEXT_TO_EDIT)
    text, entities = c.message_text(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                    strict_html=emu.strict_html)
    markup = _markup(p, message.chat, inline_only=True)
    if text == message.text and entities == message.entities and markup == _inline(message.reply_markup):
        raise ApiError.bad_request(c.NOT_MODIFIED)
    message.text, message.entities = text, entities
    message.raw_text, message.parse_mode = str(p["text"]), p.get("parse_mode")
    message.link_preview_options = _link_preview(p)
    _set_inline(message, markup)
    message.edit_date = int(time.time())
    await emu.outbox.record(message, "edited")
    return message.to_api(emu.bot_user)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: Emulator, p: dict) -> dict:
    message = _editable(emu, p)
    markup = _markup(p, message.chat, inline_only=True)
    if markup == _inline(message.reply_markup):
        raise ApiError.bad_request(c.NOT_MODIFIED)
    _set_inline(message, markup)
    await emu.outbox.record(message, "edited")
    return message.to_api(emu.bot_user)


@api_method("deleteMessage")
async def delete_message(emu: Emulator, p: dict) -> bool:
    chat = resolve_chat(emu, p.get("chat_id"))
    message = emu.state.get_message(chat.id, p.get("message_id") or 0)
    if message is None:
        raise ApiError.bad_request(c.DELETE_NOT_FOUND)
    if not message.from_bot and chat.type != "private" and not chat.bot_is_admin:
        raise ApiError.bad_request(c.CANT_DELETE)
    message.deleted = True
    return True


@api_method("getFile")
async def get_file(emu: Emulator, p: dict) -> dict:
    stored = emu.state.files.get(str(p.get("file_id") or ""))
    if stored is None:
        raise ApiError.bad_request(c.INVALID_FILE_ID)
    if len(stored.data) > MAX_DOWNLOAD:
        raise ApiError.bad_request("file is too big")
    return stored.file_json()
