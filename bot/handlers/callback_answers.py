"""Each callback query answered exactly once, on every path (a handler's, an error's, none at all).

Telegram refuses a second answer (400 "query is too old … or query ID is invalid") and shows a spinner
until the first one. A flag on the handler's context was not enough: a handler that builds a second
context (/lang does, to speak the new language), or the error handler, answered again. So what was
answered is kept per update, in a context variable the update processor sets for each update
(`per_update`); every answer goes through `answer_once`; and when the handling is over, `ensure_answered`
answers what nobody did (a stale or forged button a handler ignored), so no spinner is left turning.
"""

from __future__ import annotations

import contextvars
import logging
from contextlib import contextmanager
from typing import Any, Iterator

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

log = logging.getLogger(__name__)

_answered: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("answered_queries", default=None)


@contextmanager
def per_update() -> Iterator[set[str]]:
    """The answers of one update's handling (the update processor wraps each update in this)."""
    answered: set[str] = set()
    token = _answered.set(answered)
    try:
        yield answered
    finally:
        _answered.reset(token)


def was_answered(query: CallbackQuery) -> bool:
    answered = _answered.get()
    return answered is not None and query.id in answered


async def answer_once(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> bool:
    """Answer unless this update's handling already did; True when this call answered it.

    A failed answer stays counted: the request may have reached Telegram (a timeout), and a second
    one would be refused. (Outside an update processor, e.g. a unit test, it always answers.)"""
    answered = _answered.get()
    if answered is not None:
        if query.id in answered:
            return False
        answered.add(query.id)
    await query.answer(text=text, show_alert=alert)
    return True


async def ensure_answered(update: Any) -> None:
    """At the end of an update's handling: answer its callback query if nothing did."""
    if not isinstance(update, Update) or update.callback_query is None or was_answered(update.callback_query):
        return
    try:
        await answer_once(update.callback_query)
    except TelegramError as exc:   # too late, or Telegram down: nothing more to do for this press
        log.warning("could not answer a callback query at the end of its update: %s", type(exc).__name__)
