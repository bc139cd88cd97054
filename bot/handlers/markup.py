"""Telegram markup without a user in sight: escaping, callback data (≤ 64 bytes), inline keyboards and
pages of a list that stay under Telegram's 4096 characters. Pure functions: unit-testable alone."""

from __future__ import annotations

import html
import math
from functools import lru_cache
from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.i18n import Translator

CALLBACK_DATA_MAX = 64
MESSAGE_MAX = 4096
CANCEL = "c:cancel"
NOOP = "c:noop"


# ---- text ------------------------------------------------------------------------------------------

def esc(text: Any) -> str:
    """Escape user text for parse_mode HTML (every message is HTML: see bot.app Defaults)."""
    return html.escape("" if text is None else str(text), quote=False)


def short(text: Any, limit: int = 60) -> str:
    """Plain text cut to `limit` characters with an ellipsis (cut BEFORE escaping)."""
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= limit else s[: max(limit - 1, 0)] + "…"


# ---- callback data ---------------------------------------------------------------------------------

def cb(prefix: str, *parts: Any) -> str:
    """Callback data `prefix:part:part…`; raises ValueError beyond Telegram's 64 bytes."""
    data = ":".join([prefix, *(str(p) for p in parts)])
    if len(data.encode("utf-8")) > CALLBACK_DATA_MAX:
        raise ValueError(f"callback data over {CALLBACK_DATA_MAX} bytes: {data[:20]}…")
    return data


def parse_cb(data: str | None) -> list[str]:
    """The parts of callback data (untrusted: validate each before use)."""
    return (data or "").split(":")


def int_part(parts: Sequence[str], index: int) -> int | None:
    """parts[index] as an int, or None when missing or not a number (forged data)."""
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        return None


# ---- keyboards -------------------------------------------------------------------------------------

Button = tuple[str, str] | InlineKeyboardButton
Rows = Sequence[Sequence[Button]]


def keyboard(rows: Rows) -> InlineKeyboardMarkup:
    """InlineKeyboardMarkup from rows of (label, callback data) tuples (or ready buttons).

    Rows of plain tuples are cached: the same menus go out on every tap, and PTB's objects are frozen
    once built (safe to share), while building them costs more than the handler's own work."""
    try:
        key = tuple(tuple(row) for row in rows)
        hash(key)
    except TypeError:                 # lists inside, or unhashable buttons: build it afresh
        return _keyboard(rows)
    return _cached_keyboard(key)


@lru_cache(maxsize=2048)
def _cached_keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    return _SharedKeyboard(_keyboard(rows).inline_keyboard)


class _SharedKeyboard(InlineKeyboardMarkup):
    """A cached keyboard. PTB serialises reply_markup with to_dict() on every send, button by button;
    this one is frozen like every PTB object (it cannot change), so its dict is built once."""

    __slots__ = ("_as_dict",)

    def __init__(self, inline_keyboard: Any, **kwargs: Any):
        super().__init__(inline_keyboard, **kwargs)
        with self._unfrozen():
            self._as_dict = super().to_dict()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        return dict(self._as_dict)      # a new outer dict: a caller may add to it, never to the buttons


def _keyboard(rows: Rows) -> InlineKeyboardMarkup:
    out = []
    for row in rows:
        buttons = []
        for item in row:
            if isinstance(item, InlineKeyboardButton):
                buttons.append(item)
                continue
            label, data = item
            if len(data.encode("utf-8")) > CALLBACK_DATA_MAX:
                raise ValueError(f"callback data over {CALLBACK_DATA_MAX} bytes: {data[:20]}…")
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out)


def as_markup(kb: Any) -> Any:
    if kb is None or isinstance(kb, (InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove)):
        return kb
    return keyboard(kb)


def confirm_keyboard(tr: Translator, yes_data: str, no_data: str = CANCEL) -> list[list[tuple[str, str]]]:
    """One row: ✅ Confirm / ✖ Cancel."""
    return [[(tr.gettext("✅ Confirm"), yes_data), (tr.gettext("✖ Cancel"), no_data)]]


def back_cancel_row(tr: Translator, back_data: str | None) -> list[tuple[str, str]]:
    """« Back (when there is a previous step) and ✖ Cancel."""
    row = [(tr.gettext("« Back"), back_data)] if back_data else []
    return [*row, (tr.gettext("✖ Cancel"), CANCEL)]


def nav_row(page: int, pages: int, data_for_page: Callable[[int], str]) -> list[tuple[str, str]]:
    """‹ n/m › for a 0-based page (the middle button does nothing)."""
    nav = [("‹", data_for_page(page - 1))] if page > 0 else []
    nav.append((f"{page + 1}/{pages}", NOOP))
    nav += [("›", data_for_page(page + 1))] if page < pages - 1 else []
    return nav


def paginate(items: Sequence[Any], page: int, per_page: int, render_line: Callable[[Any], str], cb_prefix: str,
             *, header: str = "", empty: str = "—", item_button: Callable[[Any], tuple[str, str]] | None = None,
             limit: int = MESSAGE_MAX) -> tuple[str, list[list[tuple[str, str]]]]:
    """One page of a list: (HTML text under `limit` characters, keyboard rows).

    render_line returns one HTML line per item (escape user text, keep it short: `short()`);
    item_button optionally gives each item a button row; the last row navigates with
    `cb(cb_prefix, page)`. `page` is 0-based and clamped (a forged page number is harmless).
    """
    pages = max(1, math.ceil(len(items) / per_page)) if per_page > 0 else 1
    page = min(max(page, 0), pages - 1)
    chunk = list(items[page * per_page:(page + 1) * per_page])
    lines = [render_line(item) for item in chunk] or [empty]
    head = header + "\n" if header else ""
    budget = limit - len(head) - 16
    text_lines: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:  # never cut inside a line (HTML stays well-formed)
            text_lines.append("…")
            break
        text_lines.append(line)
        used += len(line) + 1
    rows: list[list[tuple[str, str]]] = []
    if item_button is not None:
        rows.extend([item_button(item)] for item in chunk[: len(text_lines)])
    if pages > 1:
        rows.append(nav_row(page, pages, lambda p: cb(cb_prefix, p)))
    return head + "\n".join(text_lines), rows
