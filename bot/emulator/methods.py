"""Bot API methods about the bot itself, updates, callback answers and menus."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import checks as c
from .checks import ApiError
from .messaging import resolve_chat
from .registry import api_method

if TYPE_CHECKING:
    from .emulator import Emulator

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)


@api_method("getMe")
async def get_me(emu: Emulator, p: dict) -> dict:
    return emu.me


@api_method("getUpdates")
async def get_updates(emu: Emulator, p: dict) -> list:
    if emu.state.webhook.get("url"):
        raise ApiError(409, c.WEBHOOK_CONFLICT)
    return await emu.updates.get(p.get("offset"), p.get("limit"), p.get("timeout"), p.get("allowed_updates"))


@api_method("setWebhook")
async def set_webhook(emu: Emulator, p: dict) -> bool:
    url = str(p.get("url") or "")
    if url and not url.lower().startswith("https://"):
        raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if p.get("drop_pending_updates"):
        emu.updates.clear()
    emu.state.webhook = {
        "url": url,
        "max_connections": p.get("max_connections", 40),
        "allowed_updates": p.get("allowed_updates"),
        "secret_token": p.get("secret_token"),
    }
    emu.updates.notify()  # the webhook delivery starts with what is pending
    return True


@api_method("deleteWebhook")
async def delete_webhook(emu: Emulator, p: dict) -> bool:
    if p.get("drop_pending_updates"):
        emu.updates.clear()
    emu.state.webhook = {"url": ""}
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(emu: Emulator, p: dict) -> dict:
    hook = emu.state.webhook
    info = {"url": hook.get("url", ""), "has_custom_certificate": False,
            "pending_update_count": len(emu.updates.pending)}
    if hook.get("url"):
        info["max_connections"] = hook.get("max_connections", 40)
        if hook.get("allowed_updates") is not None:
            info["allowed_updates"] = hook["allowed_updates"]
    return info


@api_method("answerCallbackQuery")
async def answer_callback_query(emu: Emulator, p: dict) -> bool:
    record = emu.state.callbacks.get(str(p.get("callback_query_id") or ""))
    if record is None or record.answered:
        raise ApiError.bad_request(c.QUERY_TOO_OLD)
    if time.monotonic() - record.created > emu.callback_answer_window:
        record.answered_late = True
        raise ApiError.bad_request(c.QUERY_TOO_OLD)
    text = p.get("text")
    if text is not None and len(str(text)) > 200:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answer = {k: p[k] for k in ("text", "show_alert", "url", "cache_time") if k in p}
    return True


@api_method("sendChatAction")
async def send_chat_action(emu: Emulator, p: dict) -> bool:
    resolve_chat(emu, p.get("chat_id"))
    if p.get("action") not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    return True


def _commands_key(p: dict) -> tuple:
    return c.scope_key(p.get("scope")), c.check_language_code(p.get("language_code"))


@api_method("setMyCommands")
async def set_my_commands(emu: Emulator, p: dict) -> bool:
    commands = c.check_commands(p.get("commands"))
    key = _commands_key(p)
    if commands:
        emu.state.commands[key] = commands
    else:
        emu.state.commands.pop(key, None)  # an empty list deletes, as in Telegram
    return True


@api_method("getMyCommands")
async def get_my_commands(emu: Emulator, p: dict) -> list:
    # No fallback to other scopes/languages here: Telegram returns exactly what was set.
    return list(emu.state.commands.get(_commands_key(p), []))


@api_method("deleteMyCommands")
async def delete_my_commands(emu: Emulator, p: dict) -> bool:
    emu.state.commands.pop(_commands_key(p), None)
    return True


_MENU_TYPES = ("commands", "web_app", "default")


@api_method("setChatMenuButton")
async def set_chat_menu_button(emu: Emulator, p: dict) -> bool:
    chat_id = p.get("chat_id")
    if chat_id is not None:
        chat_id = resolve_chat(emu, chat_id).id
    button = p.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_TYPES:
        raise ApiError.bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app" and not (button.get("text") and isinstance(button.get("web_app"), dict)):
        raise ApiError.bad_request("can't parse menu button JSON object")
    emu.state.menu_buttons[chat_id] = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(emu: Emulator, p: dict) -> dict:
    chat_id = p.get("chat_id")
    if chat_id is not None:
        chat_id = resolve_chat(emu, chat_id).id
    button = emu.state.menu_buttons.get(chat_id) or emu.state.menu_buttons.get(None)
    if not button or button.get("type") == "default":
        return {"type": "commands"}
    return button


@api_method("close")
async def close(emu: Emulator, p: dict) -> bool:
    return True


@api_method("logOut")
async def log_out(emu: Emulator, p: dict) -> bool:
    return True
