"""Labelled values in messages ("Member: 王XX", "Date: 2026年11月20日"): the value escaped unless it is ours."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.handlers.common import HandlerCtx
from bot.handlers.markup import esc


def date_text(ctx: HandlerCtx, iso: str | None) -> str:
    """An ISO date in the user's language ("—" when there is none)."""
    return ctx.tr.date(date.fromisoformat(iso)) if iso else "—"


def line(ctx: HandlerCtx, label_msgid: str, value: Any) -> str:
    """"Label: value" with the value escaped (it may be user text)."""
    return field(ctx, label_msgid, esc(value) if value not in (None, "") else "—")


def field(ctx: HandlerCtx, label_msgid: str, html_value: str) -> str:
    """"Label: value" for a value that is already HTML (escaped, or our own markup)."""
    return ctx._(label_msgid) + ": " + html_value
