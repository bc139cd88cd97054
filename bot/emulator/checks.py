"""Validation that mirrors what Telegram rejects, with Telegram's own descriptions.

Tests match on these strings, and so may the bot (e.g. to tell "message is not
modified" apart from real failures), so they are copied verbatim from the server
wherever the real wording is known.
"""

from __future__ import annotations

import re
from typing import Any

from .html_entities import EntityParseError, parse_html, utf16_len
from .markdown import parse_markdown, parse_markdown_v2

CHAT_NOT_FOUND = "Bad Request: chat not found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_BLANK = "Bad Request: message must be non-empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_TEXT_INVALID = "Bad Request: BUTTON_TEXT_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_DELETE = "Bad Request: message can't be deleted"
CANT_EDIT = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
INVALID_FILE_ID = "Bad Request: invalid file_id"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
FILE_EMPTY = "Bad Request: file must be non-empty"
BAD_PARSE_MODE = "Bad Request: unsupported parse_mode"
CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
INLINE_KEYBOARD_EXPECTED = "Bad Request: inline keyboard expected"
PHONE_PRIVATE_ONLY = "Bad Request: phone number can be requested in private chats only"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
LANGUAGE_CODE_INVALID = "Bad Request: invalid language code specified"
GETUPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class ApiError(Exception):
    """An answer with ok=false; `description` is the full Telegram text."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, description: str) -> ApiError:
        if not description.startswith("Bad Request: "):
            description = "Bad Request: " + description
        return cls(400, description)

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        return cls(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def to_json(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict] | None,
    *,
    strict_html: bool = True,
) -> tuple[str, list[dict]]:
    """Apply parse_mode/entities and Telegram's whitespace trimming."""
    if parse_mode and entities is None:
        mode = parse_mode.lower()
        try:
            if mode == "html":
                text, entities = parse_html(text, strict_ampersand=strict_html)
            elif mode == "markdownv2":
                text, entities = parse_markdown_v2(text)
            elif mode == "markdown":
                text, entities = parse_markdown(text)
            else:
                raise ApiError.bad_request(BAD_PARSE_MODE)
        except EntityParseError as exc:
            raise ApiError.bad_request(f"can't parse entities: {exc}") from None
    elif entities is not None:
        entities = _check_explicit_entities(entities, text)
    return _trim(text, list(entities or []))


def _check_explicit_entities(entities: Any, text: str) -> list[dict]:
    if not isinstance(entities, list):
        raise ApiError.bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    checked = []
    for e in entities:
        ok = (
            isinstance(e, dict)
            and isinstance(e.get("type"), str)
            and isinstance(e.get("offset"), int)
            and isinstance(e.get("length"), int)
            and e["offset"] >= 0
            and e["length"] >= 0
        )
        if not ok:
            raise ApiError.bad_request("can't parse MessageEntity")
        # Telegram silently clips entities that run past the end of the text
        checked.append({**e, "length": max(0, min(e["length"], total - e["offset"]))})
    return checked


_SPACE = " \t\n\r\v\f"


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    # Telegram strips surrounding whitespace and clips entities to what is left.
    stripped = text.strip(_SPACE)
    if stripped == text:
        return text, [e for e in entities if e.get("length", 0) > 0]
    left16 = utf16_len(text[: len(text) - len(text.lstrip(_SPACE))])
    size16 = utf16_len(stripped)
    kept = []
    for e in entities:
        start = max(e["offset"] - left16, 0)
        end = min(e["offset"] + e["length"] - left16, size16)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept


def message_text(text: Any, parse_mode: str | None, entities: Any, *, strict_html: bool) -> tuple[str, list[dict]]:
    if text is None or text == "":
        raise ApiError.bad_request(TEXT_EMPTY)
    plain, ents = format_text(str(text), parse_mode, entities, strict_html=strict_html)
    if not plain:
        raise ApiError.bad_request(TEXT_BLANK)
    if utf16_len(plain) > MAX_TEXT:
        raise ApiError.bad_request(TEXT_TOO_LONG)
    return plain, ents


def caption_text(
    caption: Any, parse_mode: str | None, entities: Any, *, strict_html: bool
) -> tuple[str | None, list[dict]]:
    if caption is None or caption == "":
        return None, []
    plain, ents = format_text(str(caption), parse_mode, entities, strict_html=strict_html)
    if utf16_len(plain) > MAX_CAPTION:
        raise ApiError.bad_request(CAPTION_TOO_LONG)
    return plain or None, ents


_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)
_URL_RE = re.compile(r"^(https?|tg)://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def check_reply_markup(markup: Any, *, private_chat: bool, inline_only: bool = False) -> dict | None:
    """Validate a reply_markup object and return it (None when absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request(CANT_PARSE_MARKUP)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise ApiError.bad_request(INLINE_KEYBOARD_EXPECTED)
    if "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"], private_chat)
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise ApiError.bad_request(CANT_PARSE_MARKUP)


def _rows(rows: Any, field: str, owner: str) -> list[list]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError.bad_request(f'Field "{field}" of the {owner} should be an Array of Arrays')
    return rows


def _check_inline_keyboard(rows: Any) -> None:
    for row in _rows(rows, "inline_keyboard", "InlineKeyboardMarkup"):
        for button in row:
            if not isinstance(button, dict):
                raise ApiError.bad_request("can't parse InlineKeyboardButton: Object expected")
            label = button.get("text")
            if not isinstance(label, str):
                raise ApiError.bad_request('can\'t parse InlineKeyboardButton: Field "text" must be of type String')
            if not label.strip():
                raise ApiError.bad_request(BUTTON_TEXT_INVALID)
            actions = [k for k in _INLINE_ACTIONS if button.get(k) not in (None, "")]
            if not actions:
                raise ApiError.bad_request(
                    "can't parse InlineKeyboardButton: Text buttons are not allowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None:
                if not isinstance(data, str):
                    raise ApiError.bad_request(
                        'can\'t parse InlineKeyboardButton: Field "callback_data" must be of type String'
                    )
                if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                    raise ApiError.bad_request(BUTTON_DATA_INVALID)
            url = button.get("url")
            if url is not None and not (isinstance(url, str) and _URL_RE.match(url)):
                raise ApiError.bad_request(BUTTON_URL_INVALID)


def _check_reply_keyboard(rows: Any, private_chat: bool) -> None:
    for row in _rows(rows, "keyboard", "ReplyKeyboardMarkup"):
        for button in row:
            label = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
            if not isinstance(label, str):
                raise ApiError.bad_request('can\'t parse keyboard button: Field "text" must be of type String')
            if not label.strip():
                raise ApiError.bad_request(BUTTON_TEXT_INVALID)
            if isinstance(button, dict) and not private_chat:
                if button.get("request_contact"):
                    raise ApiError.bad_request(PHONE_PRIVATE_ONLY)
                if button.get("request_location"):
                    raise ApiError.bad_request("Bad Request: location can be requested in private chats only")


_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SCOPE_TYPES = {
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
    "chat", "chat_administrators", "chat_member",
}


def check_commands(commands: Any) -> list[dict]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError.bad_request("can't parse commands JSON object")
    cleaned = []
    for cmd in commands:
        if not isinstance(cmd, dict) or not isinstance(cmd.get("command"), str):
            raise ApiError.bad_request(COMMAND_INVALID)
        name = cmd["command"].removeprefix("/")
        if not _COMMAND_RE.match(name):
            raise ApiError.bad_request(COMMAND_INVALID)
        desc = cmd.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 256:
            raise ApiError.bad_request(COMMAND_DESCRIPTION_INVALID)
        cleaned.append({"command": name, "description": desc})
    return cleaned


def check_language_code(code: Any) -> str:
    # Bot command/menu language codes are bare ISO 639-1 codes: "zh", never "zh-hans".
    code = code or ""
    if code and not re.fullmatch(r"[a-z]{2}", str(code)):
        raise ApiError.bad_request(LANGUAGE_CODE_INVALID)
    return str(code)


def scope_key(scope: Any) -> tuple:
    """A hashable key for a BotCommandScope (dict, type name or None)."""
    if scope is None:
        return ("default",)
    if isinstance(scope, str):
        scope = {"type": scope}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise ApiError.bad_request("unsupported bot command scope type")
    kind = scope["type"]
    if kind in ("chat", "chat_administrators"):
        return (kind, _as_int(scope.get("chat_id")))
    if kind == "chat_member":
        return (kind, _as_int(scope.get("chat_id")), _as_int(scope.get("user_id")))
    return (kind,)


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value  # an @username stays as given
