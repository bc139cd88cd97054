"""The table of emulated Bot API methods, filled in by the @api_method decorator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import Emulator

Handler = Callable[["Emulator", dict[str, Any]], Awaitable[Any]]

# lower-case name -> (canonical name, handler); Telegram matches method names case-insensitively
HANDLERS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[name.lower()] = (name, handler)
        return handler

    return register
