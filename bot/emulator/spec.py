"""The machine-readable Bot API spec (api.json), loaded on first use.

It tells the emulator which methods exist, which parameters are required and
what type each parameter has. Form and multipart bodies carry every value as a
string, so the types are what turns "123" into a chat id while leaving a text
of "123" alone. Without the file the emulator still works, only less strictly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .checks import ApiError

DEFAULT_SPEC_PATH = Path("/work/shared/telegram-bot-api-spec/api.json")

_SCALARS = {"Integer": "int", "Float": "float", "Boolean": "bool", "String": "str", "InputFile": "file"}

# Used when api.json is unavailable: enough to decode what the emulated methods take.
_FALLBACK_KINDS = {
    "chat_id": "int_or_str", "message_id": "int", "user_id": "int", "offset": "int", "limit": "int",
    "timeout": "int", "cache_time": "int", "max_connections": "int", "message_thread_id": "int",
    "reply_to_message_id": "int", "show_alert": "bool", "drop_pending_updates": "bool",
    "disable_notification": "bool", "protect_content": "bool", "disable_web_page_preview": "bool",
    "allowed_updates": "json", "reply_markup": "json", "entities": "json", "caption_entities": "json",
    "link_preview_options": "json", "reply_parameters": "json", "commands": "json", "scope": "json",
    "menu_button": "json", "document": "file_or_str", "thumbnail": "file_or_str", "certificate": "file",
}


def _kind(types: list[str]) -> str:
    kinds = {_SCALARS.get(t, "json") for t in types}
    if "json" in kinds or any(t.startswith("Array of") for t in types):
        return "json"
    if kinds == {"int", "str"}:
        return "int_or_str"
    if kinds == {"file", "str"}:
        return "file_or_str"
    return kinds.pop() if len(kinds) == 1 else "str"


class BotApiSpec:
    def __init__(self, path: str | Path | None = DEFAULT_SPEC_PATH) -> None:
        self.path = Path(path) if path else None
        self._methods: dict[str, dict] | None = None
        self._loaded = False

    def _load(self) -> dict[str, dict] | None:
        if not self._loaded:
            self._loaded = True
            if self.path is not None and self.path.is_file():
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._methods = {name.lower(): m for name, m in data["methods"].items()}
        return self._methods

    @property
    def available(self) -> bool:
        return self._load() is not None

    def method(self, name: str) -> dict | None:
        methods = self._load()
        return methods.get(name.lower()) if methods else None

    def required(self, name: str) -> list[str]:
        method = self.method(name)
        return [f["name"] for f in method.get("fields", []) if f["required"]] if method else []

    def kinds(self, name: str) -> dict[str, str]:
        method = self.method(name)
        if method is None:
            return dict(_FALLBACK_KINDS)
        return {f["name"]: _kind(f["types"]) for f in method.get("fields", [])}


def _bool(value: str) -> bool:
    low = value.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(value)


def coerce_params(params: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """Give string-encoded parameters the types the spec declares."""
    result: dict[str, Any] = {}
    for name, value in params.items():
        kind = kinds.get(name, "str")
        try:
            result[name] = _coerce(value, kind)
        except (ValueError, TypeError):
            if kind == "json":
                raise ApiError.bad_request(f"can't parse {name} JSON object") from None
            type_name = {"int": "Integer", "float": "Float", "bool": "Boolean"}.get(kind, "String")
            raise ApiError.bad_request(f'field "{name}" must be of type {type_name}') from None
    return result


def _coerce(value: Any, kind: str) -> Any:
    if not isinstance(value, str):
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(value)
        return value
    if kind == "int":
        return int(value.strip())
    if kind == "int_or_str":
        try:
            return int(value.strip())
        except ValueError:
            return value
    if kind == "float":
        return float(value)
    if kind == "bool":
        return _bool(value)
    if kind == "json":
        stripped = value.strip()
        # plain strings stay strings where a union type allows them
        if stripped[:1] in ("{", "[", '"') or stripped in ("true", "false", "null"):
            return json.loads(stripped)
        raise ValueError(value)
    return value
