"""How each kind of step looks: its question, its keyboard, and the summary to confirm.

HTML throughout: prompts are our msgids; user text reaches these messages only through a flow's `summary`
and `Listing.head`, which escape it (item labels are button labels: plain text). Callback data (≤ 64 bytes,
built with `cb`): <prefix>:<flow>:<step>:<value> answers a step, <prefix>:<flow>:back, <prefix>:<flow>:ok.
Values: today / yday / skip (DATE, TEXT), an option's value (CHOICE), m<id> (PICK), t<id> / all / none /
done (CHECKLIST), p<n> (a page of a PICK or CHECKLIST).
"""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.handlers.common import HandlerCtx
from bot.handlers.markup import back_cancel_row, cb, nav_row
from bot.handlers.wizard.model import (
    CHECKLIST, CHOICE, CONFIRM, DATE, PER_PAGE, PHONE, PICK, TEXT, UI, Draft, Flow, Item, Listing, Rows, Step,
    clamp_page, page_count,
)
from bot.i18n import N_

# The reply-keyboard buttons of a PHONE step; a typed label is read as the button (in any language).
SHARE_LABEL = N_("📱 Share my contact")
BACK_LABEL = N_("« Back")
CANCEL_LABEL = N_("✖ Cancel")
CHECK_PER_ROW = 2


def answer_data(flow: Flow, step: Step, value: Any) -> str:
    return cb(flow.home.prefix, flow.code, step.key, value)


def back_data(flow: Flow) -> str:
    return cb(flow.home.prefix, flow.code, "back")


def ok_data(flow: Flow) -> str:
    return cb(flow.home.prefix, flow.code, CONFIRM)


def nav(ctx: HandlerCtx, flow: Flow) -> list[tuple[str, str]]:
    """« Back and ✖ Cancel, under every step and the summary."""
    return back_cancel_row(ctx.tr, back_data(flow))


def ui(draft: Draft) -> dict[str, Any]:
    """The engine's part of the draft: the page and the typed search of the step on screen."""
    value = draft.get(UI)
    if not isinstance(value, dict):
        value = draft[UI] = {}
    return value


def question(ctx: HandlerCtx, flow: Flow, step: Step) -> str:
    text = ctx._(step.prompt, max=step.max_len) if "{max}" in step.prompt else ctx._(step.prompt)
    return f"<b>{ctx._(flow.title)}</b>\n{text}"


async def listing(ctx: HandlerCtx, step: Step, draft: Draft) -> tuple[Listing, int, list[Item]]:
    """The step's listing now, the page on screen (clamped) and that page's items."""
    assert step.items is not None
    state = ui(draft)
    query = state.get("query") if isinstance(state.get("query"), str) else None
    page = state.get("page") if isinstance(state.get("page"), int) else 0
    found = await step.items(ctx, draft, query, page)
    total = len(found.items) if found.total is None else found.total
    page = clamp_page(page, total)
    chunk = found.items[page * PER_PAGE:(page + 1) * PER_PAGE] if found.total is None else found.items[:PER_PAGE]
    state["page"] = page
    return found, page, chunk


def offered_ids(found: Listing, chunk: list[Item]) -> list[int]:
    """The ids a tap may name: the whole list when the engine pages it, else the page on screen."""
    return [i for i, _label in (found.items if found.total is None else chunk)]


async def prompt(ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft) -> tuple[str, Any]:
    """The question of a step and its keyboard (inline rows; a ReplyKeyboardMarkup for PHONE)."""
    _ = ctx._
    text = question(ctx, flow, step)
    if step.note is not None:
        text += "\n\n" + step.note(ctx, draft)
    rows: Rows = []
    if step.kind == DATE:
        quick = [(_("Today"), answer_data(flow, step, "today")),
                 (_("Yesterday"), answer_data(flow, step, "yday"))] if step.quick else []
        if step.optional:
            quick.append((_(step.skip_label), answer_data(flow, step, "skip")))
        rows.append(quick)
    elif step.kind == CHOICE:
        assert step.options is not None
        buttons = [(label, answer_data(flow, step, value)) for value, label in step.options(ctx, draft)]
        rows.extend(buttons[i:i + step.per_row] for i in range(0, len(buttons), step.per_row))
    elif step.kind == TEXT and step.optional:
        rows.append([(_(step.skip_label), answer_data(flow, step, "skip"))])
    elif step.kind == PICK:
        found, page, chunk = await listing(ctx, step, draft)
        text += "\n\n" + found.head
        buttons = [(label, answer_data(flow, step, f"m{item_id}")) for item_id, label in chunk]
        rows.extend(buttons[i:i + step.per_row] for i in range(0, len(buttons), step.per_row))
        rows.extend(_pages(flow, step, found, page))
    elif step.kind == CHECKLIST:
        text, more = await _checklist(ctx, flow, step, draft, text)
        rows.extend(more)
    elif step.kind == PHONE:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(_(SHARE_LABEL), request_contact=True)], [_(BACK_LABEL), _(CANCEL_LABEL)]],
            resize_keyboard=True, one_time_keyboard=False)
        return text, keyboard
    rows.append(nav(ctx, flow))
    return text, rows


def _pages(flow: Flow, step: Step, found: Listing, page: int) -> Rows:
    total = len(found.items) if found.total is None else found.total
    pages = page_count(total)
    return [nav_row(page, pages, lambda p: answer_data(flow, step, f"p{p}"))] if pages > 1 else []


async def _checklist(ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft, text: str) -> tuple[str, Rows]:
    _ = ctx._
    found, page, chunk = await listing(ctx, step, draft)
    if step.key not in draft:   # the first time on screen: the preset ticks (e.g. the secretary signs)
        draft[step.key] = step.preset(ctx, draft, found.items) if step.preset else []
    ticked = set(draft.get(step.key) or [])
    shown = ticked & set(offered_ids(found, chunk)) if found.total is None else ticked
    text += "\n\n" + found.head + "\n" + _("Ticked: {n}", n=len(shown))
    buttons = [(("☑ " if item_id in ticked else "☐ ") + label, answer_data(flow, step, f"t{item_id}"))
               for item_id, label in chunk]
    rows: Rows = [buttons[i:i + CHECK_PER_ROW] for i in range(0, len(buttons), CHECK_PER_ROW)]
    rows.extend(_pages(flow, step, found, page))
    if step.bulk:
        rows.append([(_("Tick all"), answer_data(flow, step, "all")),
                     (_("Untick all"), answer_data(flow, step, "none"))])
    rows.append([(_("Done ✔"), answer_data(flow, step, "done"))])
    return text, rows


def summary(ctx: HandlerCtx, flow: Flow, draft: Draft) -> tuple[str, Rows]:
    """The summary to confirm: the flow's lines, ✅ Confirm, « Back and ✖ Cancel."""
    lines = [f"<b>{ctx._(flow.title)}</b>", ctx._("Please check, then confirm:"), *flow.summary(ctx, draft)]
    return "\n".join(lines), [[(ctx._("✅ Confirm"), ok_data(flow))], nav(ctx, flow)]


def home_rows(ctx: HandlerCtx, flow: Flow) -> Rows:
    """The one button back to the flow's home (under a result or a refusal)."""
    label, data = flow.home.button
    return [[(ctx._(label), data)]]
