"""What the member report flows show: each step's question and keyboard, and the summary to confirm.

HTML throughout; user text reaches these messages only through `reports_text.detail_lines`, which
escapes it. Callback data is built with `cb()` (≤ 64 bytes): m:<flow>:<step>:<value>, m:<flow>:back,
m:<flow>:ok.
"""

from __future__ import annotations

from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.handlers.common import HandlerCtx
from bot.handlers.markup import back_cancel_row, cb
from bot.handlers.member_steps import CHOICE, DATE, PHONE, PLEDGE, YESNO, Flow, Step, details_of
from bot.i18n import N_
from bot.services.status_reports.pledge import render_pledge
from bot.services.status_reports.text import detail_lines

CONFIRM = "confirm"

# The reply-keyboard buttons of the phone step, in every language (a typed label is read as the button).
SHARE_LABEL = N_("📱 Share my contact")
BACK_LABEL = N_("« Back")
CANCEL_LABEL = N_("✖ Cancel")


def state_of(flow: Flow, step: str) -> str:
    return f"{flow.code}.{step}"


# ---- prompts ---------------------------------------------------------------------------------------

def nav(ctx: HandlerCtx, flow: Flow) -> list[tuple[str, str]]:
    return back_cancel_row(ctx.tr, cb("m", flow.code, "back"))


def step_prompt(ctx: HandlerCtx, flow: Flow, step: Step, draft: dict[str, Any]) -> tuple[str, Any]:
    """The question and its keyboard."""
    _ = ctx._
    title = f"<b>{ctx._(flow.title)}</b>"
    text = ctx._(step.prompt, max=step.max_len) if "{max}" in step.prompt else ctx._(step.prompt)
    rows: list[list[tuple[str, str]]] = []
    if step.kind == DATE:
        quick = []
        if step.quick_past:
            quick = [(_("Today"), cb("m", flow.code, step.key, "today")),
                     (_("Yesterday"), cb("m", flow.code, step.key, "yday"))]
        if step.optional:
            quick.append((_("Not sure yet"), cb("m", flow.code, step.key, "skip")))
        rows.append(quick)
    elif step.kind == CHOICE:
        for option in step.options():
            rows.append([(option.label(ctx.tr), cb("m", flow.code, step.key, option.value))])
    elif step.kind == YESNO:
        rows.append([(_("Yes, I request it"), cb("m", flow.code, step.key, "yes")),
                     (_("No"), cb("m", flow.code, step.key, "no"))])
    elif step.kind == PLEDGE:
        text = f"{text}\n\n{render_pledge(ctx.tr)}"
        rows.append([(_("🤝 I promise"), cb("m", flow.code, step.key, "yes"))])
    elif step.kind == PHONE:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(_(SHARE_LABEL), request_contact=True)], [_(BACK_LABEL), _(CANCEL_LABEL)]],
            resize_keyboard=True, one_time_keyboard=False)
        return f"{title}\n{text}", keyboard
    rows.append(nav(ctx, flow))
    return f"{title}\n{text}", rows


def summary(ctx: HandlerCtx, flow: Flow, draft: dict[str, Any]) -> tuple[str, Any]:
    lines = [f"<b>{ctx._(flow.title)}</b>", ctx._("Please check, then confirm:"),
             *detail_lines(flow.kind, details_of(flow, draft), ctx.tr)]
    rows = [[(ctx._("✅ Confirm"), cb("m", flow.code, "ok"))], nav(ctx, flow)]
    return "\n".join(lines), rows
