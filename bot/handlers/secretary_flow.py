"""What a secretary flow is made of: steps and flows (declared by secretary_search, secretary_records and
secretary_members, run by the engine in secretary_steps), the registry of flows, and the small renderers
and refusals the flow modules share.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any

from telegram import Update

from bot.domain.codes import CodedEnum
from bot.domain.errors import DomainError
from bot.handlers.common import HandlerCtx, answer, reply
from bot.handlers.markup import esc

PICK, CHECKLIST, CHOICE, DATE, TEXT = "pick", "checklist", "choice", "date", "text"


# (id, label) of something a PICK or CHECKLIST step offers; labels are plain text (buttons).
Item = tuple[int, str]


@dataclass
class Step:
    key: str
    kind: str
    prompt: str                                  # a msgid
    optional: bool = False                       # TEXT: a Skip button
    max_len: int = 200
    multiline: bool = False
    options: Callable[[dict], list[CodedEnum]] | None = None          # CHOICE
    # TEXT: cleaned typed text → value; DATE: the ISO date → value (raise DomainError to refuse)
    parse: Callable[[str, HandlerCtx, dict], Any] | None = None
    # PICK: (ctx, draft, typed query or None) → (a line above the buttons, the items offered)
    items: Callable[[HandlerCtx, dict, str | None], Awaitable[tuple[str, list[Item]]]] | None = None
    # PICK: validate the chosen id through a service and fill the draft; CHECKLIST: validate the ticks
    accept: Callable[[HandlerCtx, dict, Any], Awaitable[None]] | None = None
    # CHECKLIST: the ids ticked at first (e.g. the secretary's own member among the signers)
    preset: Callable[[HandlerCtx, dict, list[Item]], list[int]] | None = None
    skip_if: Callable[[dict], bool] | None = None
    bulk: bool = False                          # CHECKLIST: "all" / "none" buttons

    def applies(self, draft: dict) -> bool:
        return not (self.skip_if and self.skip_if(draft))


@dataclass
class Flow:
    code: str                                    # two letters, in callback data
    title: str                                   # a msgid
    steps: list[Step]
    summary: Callable[[HandlerCtx, dict], list[str]]
    # (ctx, draft, user_data) → (HTML text, keyboard rows) of the result message
    save: Callable[[HandlerCtx, dict, dict], Awaitable[tuple[str, list]]]
    command: str | None = None
    start_with: Callable[[HandlerCtx, dict, int], Awaitable[None]] | None = None   # s:go:<flow>:<id>
    init: Callable[[HandlerCtx, dict], Awaitable[None]] | None = None               # before the first step
    confirm: bool = True
    aliases: dict[str, str] = dc_field(default_factory=dict)                       # error field → step key

    def step(self, key: str | None) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def next_step(self, after: str | None, draft: dict) -> Step | None:
        keys = [s.key for s in self.steps]
        start = keys.index(after) + 1 if after in keys else 0
        return next((s for s in self.steps[start:] if s.applies(draft)), None)

    def previous_step(self, before: str | None, draft: dict) -> Step | None:
        keys = [s.key for s in self.steps]
        end = keys.index(before) if before in keys else len(keys)
        return next((s for s in reversed(self.steps[:end]) if s.applies(draft)), None)


FLOWS: dict[str, Flow] = {}


def add_flow(flow: Flow) -> Flow:
    FLOWS[flow.code] = flow
    return flow


def page_rows(items: list[tuple[str, str]], page: int, per_page: int, data_for_page: Callable[[int], str],
              per_row: int = 1) -> tuple[list[list[tuple[str, str]]], int]:
    """Buttons of one page (clamped) and the ‹ n/m › row; returns (rows, page)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    chunk = items[page * per_page:(page + 1) * per_page]
    rows = [list(chunk[i:i + per_row]) for i in range(0, len(chunk), per_row)]
    if pages > 1:
        rows.append(nav_row(page, pages, data_for_page))
    return rows, page


def nav_row(page: int, pages: int, data_for_page: Callable[[int], str]) -> list[tuple[str, str]]:
    """‹ n/m › for a 0-based page."""
    nav = [("‹", data_for_page(page - 1))] if page > 0 else []
    nav.append((f"{page + 1}/{pages}", "c:noop"))
    nav += [("›", data_for_page(page + 1))] if page < pages - 1 else []
    return nav


async def refuse(update: Update, ctx: HandlerCtx, err: DomainError) -> None:
    """A refusal that reveals nothing: the same words for a record that is not there and one that is not
    the caller's; on a button, as the button's answer (nothing else changes)."""
    if update.callback_query is not None:
        await answer(update, ctx, ctx.error_text(err), alert=True)
    else:
        await reply(update, ctx, ctx.error_text(err))


def menu_button(ctx: HandlerCtx) -> list[tuple[str, str]]:
    return [(ctx._("Branch work"), "s:menu")]


def date_text(ctx: HandlerCtx, iso: str | None) -> str:
    return ctx.tr.date(date.fromisoformat(iso)) if iso else "—"


def line(ctx: HandlerCtx, label_msgid: str, value: Any) -> str:
    """"Label: value" with the value escaped (it may be user text)."""
    return field(ctx, label_msgid, esc(value) if value not in (None, "") else "—")


def field(ctx: HandlerCtx, label_msgid: str, html_value: str) -> str:
    """"Label: value" for a value that is already HTML (escaped, or our own markup)."""
    return ctx._(label_msgid) + ": " + html_value
