"""The step engine of the secretaries' guided flows (search attempt, contact regained, attendance, 党费,
transfer, 回执, responsible officer, find by name).

All flows share ONE persistent ConversationHandler ("secretary"), so starting another flow mid-way
replaces the first instead of leaving two conversations waiting for the same typed text. A flow is a
list of steps; the draft (JSON-able: ISO dates, enum values, ids) lives in user_data[DRAFT] and
survives a restart with the conversation state.

Callback data: s:go:<flow>[:<id>] starts a flow; s:f:<flow>:<step>:<value> answers a step;
s:f:<flow>:back and s:f:<flow>:ok. A value is accepted only if this step offers it now, and every
id is re-checked by the services (never trusted from the button).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.dates import parse_user_date
from bot.domain.errors import DomainError, PermissionDenied
from bot.handlers.common import Context, HandlerCtx, answer, edit_or_reply, officer_required, reply
from bot.handlers.markup import back_cancel_row, cb, parse_cb
from bot.handlers.conversations import conversation
from bot.handlers.secretary_flow import (
    CHECKLIST, CHOICE, DATE, FLOWS, PICK, TEXT, Flow, Step, add_flow, menu_button, page_rows, refuse,
)
from bot.i18n import N_
from bot.services.status_reports.text import clean_text

NAME = "secretary"
DRAFT = "s_draft"
END = ConversationHandler.END
CONFIRM = "ok"
PER_PAGE = 10


# ---- rendering -------------------------------------------------------------------------------------

def _draft(context: Context) -> dict[str, Any]:
    data = context.user_data
    value = data.get(DRAFT) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _btn(flow: Flow, step: Step, value: Any) -> str:
    return cb("s:f", flow.code, step.key, value)


def _nav(ctx: HandlerCtx, flow: Flow) -> list[tuple[str, str]]:
    return back_cancel_row(ctx.tr, cb("s:f", flow.code, "back"))


async def _prompt(ctx: HandlerCtx, flow: Flow, step: Step, draft: dict) -> tuple[str, list]:
    _ = ctx._
    text = f"<b>{_(flow.title)}</b>\n" + (_(step.prompt, max=step.max_len) if "{max}" in step.prompt
                                          else _(step.prompt))
    rows: list[list[tuple[str, str]]] = []
    if step.kind == DATE:
        rows.append([(_("Today"), _btn(flow, step, "today")), (_("Yesterday"), _btn(flow, step, "yday"))])
    elif step.kind == CHOICE:
        assert step.options is not None
        options = [(o.label(ctx.tr), _btn(flow, step, o.value)) for o in step.options(draft)]
        rows.extend(options[i:i + 2] for i in range(0, len(options), 2))
    elif step.kind == TEXT and step.optional:
        rows.append([(_("Skip"), _btn(flow, step, "skip"))])
    elif step.kind == PICK:
        assert step.items is not None
        query = draft.get("_q") if draft.get("_q_step") == step.key else None
        head, items = await step.items(ctx, draft, query)
        text += "\n\n" + head
        buttons = [(label, _btn(flow, step, f"m{item_id}")) for item_id, label in items]
        more, page = page_rows(buttons, int(draft.get("_page", 0)), PER_PAGE, lambda p: _btn(flow, step, f"p{p}"))
        draft["_page"] = page
        rows.extend(more)
    elif step.kind == CHECKLIST:
        assert step.items is not None
        head, items = await step.items(ctx, draft, None)
        if step.key not in draft:
            draft[step.key] = step.preset(ctx, draft, items) if step.preset else []
        ticked = set(draft.get(step.key) or [])
        text += "\n\n" + head + "\n" + _("Ticked: {n}", n=len(ticked & {i for i, _l in items}))
        buttons = [(("☑ " if item_id in ticked else "☐ ") + label, _btn(flow, step, f"t{item_id}"))
                   for item_id, label in items]
        more, page = page_rows(buttons, int(draft.get("_page", 0)), PER_PAGE, lambda p: _btn(flow, step, f"p{p}"),
                               per_row=2)
        draft["_page"] = page
        rows.extend(more)
        if step.bulk:
            rows.append([(_("Tick all"), _btn(flow, step, "all")), (_("Untick all"), _btn(flow, step, "none"))])
        rows.append([(_("Done ✔"), _btn(flow, step, "done"))])
    rows.append(_nav(ctx, flow))
    return text, rows


async def _ask(update: Update, ctx: HandlerCtx, flow: Flow, step: Step | None, draft: dict, *,
               error: str | None = None) -> str:
    """Show a step (None: the summary) and return its conversation state; an error goes on top."""
    if step is None:
        lines = [f"<b>{ctx._(flow.title)}</b>", ctx._("Please check, then confirm:"), *flow.summary(ctx, draft)]
        text, rows = "\n".join(lines), [[(ctx._("✅ Confirm"), cb("s:f", flow.code, CONFIRM))], _nav(ctx, flow)]
        draft["_step"] = CONFIRM
    else:
        if draft.get("_step") != step.key:
            draft["_page"] = 0
        draft["_step"] = step.key
        text, rows = await _prompt(ctx, flow, step, draft)
    if error:
        await reply(update, ctx, f"⚠️ {error}\n\n{text}", rows)
    elif update.callback_query is None:
        await reply(update, ctx, text, rows)
    else:
        await edit_or_reply(update, ctx, text, rows)
    return f"{flow.code}.{draft['_step']}"


async def _advance(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, after: str, draft: dict) -> Any:
    step = flow.next_step(after, draft)
    if step is None and not flow.confirm:
        return await _save(update, context, ctx, flow, draft)
    return await _ask(update, ctx, flow, step, draft)


async def _lost(update: Update, context: Context, ctx: HandlerCtx) -> int:
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)
    await edit_or_reply(update, ctx, ctx._("That was interrupted. Please start it again from the branch menu."),
                        [menu_button(ctx)])
    return END


# ---- handlers --------------------------------------------------------------------------------------

COMMAND_FLOWS: dict[str, str] = {}


@officer_required
async def start(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    """s:go:<flow>[:<id>] or a command (/search [name] …)."""
    query = update.callback_query
    preset_id: str | None = None
    typed: str | None = None
    if query is not None:
        parts = parse_cb(query.data)
        code = parts[2] if len(parts) >= 3 else ""
        preset_id = parts[3] if len(parts) == 4 else None
    else:
        command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0].lower()
        code = COMMAND_FLOWS.get(command, "")
        typed = " ".join(context.args or []) or None
    flow = FLOWS.get(code)
    if flow is None:
        return await _lost(update, context, ctx)
    draft: dict[str, Any] = {"flow": flow.code}
    if preset_id is not None:
        if flow.start_with is None:
            return await _lost(update, context, ctx)
        try:
            await flow.start_with(ctx, draft, int(preset_id) if preset_id.isdigit() else -1)
        except DomainError as err:
            await refuse(update, ctx, err)
            return END
    if flow.init is not None:
        try:
            await flow.init(ctx, draft)
        except DomainError as err:
            await refuse(update, ctx, err)
            return END
    assert isinstance(context.user_data, dict)
    context.user_data[DRAFT] = draft
    first = flow.next_step(None, draft)
    if typed and first is not None and first.kind in (PICK, TEXT):
        draft["_step"] = first.key
        return await _typed(update, context, ctx, flow, first, draft, typed)
    return await _ask(update, ctx, flow, first, draft)


def _current(context: Context, code: str) -> tuple[Flow | None, dict]:
    draft = _draft(context)
    flow = FLOWS.get(str(draft.get("flow")))
    return (flow, draft) if flow is not None and flow.code == code else (None, draft)


async def _stale(update: Update, ctx: HandlerCtx) -> None:
    await answer(update, ctx, ctx._("That button belongs to an earlier step. Please use the latest message."))


@officer_required
async def on_button(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data)
    if len(parts) != 5:
        return await _stale(update, ctx)
    flow, draft = _current(context, parts[2])
    if flow is None:
        return await _lost(update, context, ctx)
    step = flow.step(parts[3])
    if step is None or draft.get("_step") != step.key:
        return await _stale(update, ctx)
    value, today = parts[4], ctx.clock.today()
    try:
        if step.kind == DATE and value in ("today", "yday"):
            chosen = (today if value == "today" else today - timedelta(days=1)).isoformat()
            draft[step.key] = step.parse(chosen, ctx, draft) if step.parse else chosen
        elif step.kind == CHOICE and step.options and value in {o.value for o in step.options(draft)}:
            draft[step.key] = value
        elif step.kind == TEXT and step.optional and value == "skip":
            draft[step.key] = None
        elif step.kind in (PICK, CHECKLIST) and value[:1] == "p" and value[1:].isdigit():
            draft["_page"] = int(value[1:])
            return await _ask(update, ctx, flow, step, draft)
        elif step.kind == PICK and value[:1] == "m" and value[1:].isdigit():
            assert step.accept is not None
            await step.accept(ctx, draft, int(value[1:]))
        elif step.kind == CHECKLIST:
            return await _checklist(update, context, ctx, flow, step, draft, value)
        else:
            return await _stale(update, ctx)
    except PermissionDenied as err:
        await refuse(update, ctx, err)
        return None
    except DomainError as err:
        return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    return await _advance(update, context, ctx, flow, step.key, draft)


async def _checklist(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: dict, value: str) -> Any:
    assert step.items is not None
    _head, items = await step.items(ctx, draft, None)
    offered = [i for i, _l in items]
    ticked = [i for i in (draft.get(step.key) or []) if i in offered]
    if value[:1] == "t" and value[1:].isdigit() and int(value[1:]) in offered:
        item = int(value[1:])
        ticked = [i for i in ticked if i != item] if item in ticked else [*ticked, item]
    elif value == "all" and step.bulk:
        ticked = offered
    elif value == "none" and step.bulk:
        ticked = []
    elif value == "done":
        draft[step.key] = ticked
        if step.accept is not None:
            try:
                await step.accept(ctx, draft, ticked)
            except DomainError as err:
                return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
        return await _advance(update, context, ctx, flow, step.key, draft)
    else:   # an id this list does not offer: forged or from another branch
        await refuse(update, ctx, PermissionDenied(N_("You are not allowed to do that")))
        return None
    draft[step.key] = ticked
    return await _ask(update, ctx, flow, step, draft)


async def _typed(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: dict,
                 text: str) -> Any:
    try:
        if step.kind == PICK:
            draft["_q"], draft["_q_step"], draft["_page"] = clean_text(text, step.key, max_len=40), step.key, 0
            return await _ask(update, ctx, flow, step, draft)
        if step.kind == DATE:
            chosen = parse_user_date(text, ctx.clock.today()).isoformat()
            draft[step.key] = step.parse(chosen, ctx, draft) if step.parse else chosen
        elif step.kind == TEXT:
            value = clean_text(text, step.key, max_len=step.max_len, multiline=step.multiline)
            draft[step.key] = step.parse(value, ctx, draft) if step.parse else value
        else:
            return await _ask(update, ctx, flow, step, draft, error=ctx._("Please use the buttons."))
    except DomainError as err:
        return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    return await _advance(update, context, ctx, flow, step.key, draft)


@officer_required
async def on_text(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    draft = _draft(context)
    flow = FLOWS.get(str(draft.get("flow")))
    if flow is None:
        return await _lost(update, context, ctx)
    if draft.get("_step") == CONFIRM:
        return await _ask(update, ctx, flow, None, draft, error=ctx._("Please use the buttons."))
    step = flow.step(draft.get("_step"))
    if step is None:
        return await _lost(update, context, ctx)
    return await _typed(update, context, ctx, flow, step, draft, update.effective_message.text or "")


@officer_required
async def on_other(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    draft = _draft(context)
    flow = FLOWS.get(str(draft.get("flow")))
    if flow is None:
        return await _lost(update, context, ctx)
    step = flow.step(draft.get("_step"))
    return await _ask(update, ctx, flow, step, draft, error=ctx._("Please answer the question above."))


@officer_required
async def on_back(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data)
    flow, draft = _current(context, parts[2] if len(parts) > 2 else "")
    if flow is None:
        return await _lost(update, context, ctx)
    here = draft.get("_step")
    if here != CONFIRM and flow.step(here) is None:
        return await _lost(update, context, ctx)
    step = flow.previous_step(None if here == CONFIRM else here, draft)
    if step is None:
        context.user_data.pop(DRAFT, None)
        from bot.handlers.secretary_members import show_menu

        await show_menu(update, ctx)
        return END
    draft.pop("_q", None)
    return await _ask(update, ctx, flow, step, draft)


@officer_required
async def on_confirm(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data)
    flow, draft = _current(context, parts[2] if len(parts) > 2 else "")
    if flow is None:
        return await _lost(update, context, ctx)
    if draft.get("_step") != CONFIRM:
        return await _stale(update, ctx)
    return await _save(update, context, ctx, flow, draft)


async def _save(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, draft: dict) -> Any:
    user_data = context.user_data if isinstance(context.user_data, dict) else {}
    try:
        text, rows = await flow.save(ctx, draft, user_data)
    except PermissionDenied as err:
        user_data.pop(DRAFT, None)
        await edit_or_reply(update, ctx, ctx.error_text(err), [menu_button(ctx)])
        return END
    except DomainError as err:
        key = flow.aliases.get(err.field or "", err.field or "")
        step = flow.step(key)
        if step is not None and step.applies(draft):
            return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
        return await _ask(update, ctx, flow, None, draft, error=ctx.error_text(err))
    user_data.pop(DRAFT, None)
    await edit_or_reply(update, ctx, text, rows)
    return END


# ---- wiring ----------------------------------------------------------------------------------------

def build_conversation(flows: list[Flow]) -> ConversationHandler:
    for flow in flows:
        add_flow(flow)
        if flow.command:
            COMMAND_FLOWS[flow.command] = flow.code
    codes = "|".join(f.code for f in flows)
    typed = filters.TEXT & ~filters.COMMAND
    other = ~filters.COMMAND & ~filters.TEXT
    entry: list[BaseHandler] = [CallbackQueryHandler(start, pattern=rf"^s:go:({codes})(:\d+)?$")]
    entry += [CommandHandler(f.command, start) for f in flows if f.command]
    states: dict[object, list[BaseHandler]] = {}
    for flow in flows:
        buttons = CallbackQueryHandler(on_button, pattern=rf"^s:f:{flow.code}:[a-z_]+:[a-z0-9_]+$")
        back = CallbackQueryHandler(on_back, pattern=rf"^s:f:{flow.code}:back$")
        for step in flow.steps:
            states[f"{flow.code}.{step.key}"] = [buttons, back, MessageHandler(typed, on_text),
                                                 MessageHandler(other, on_other)]
        states[f"{flow.code}.{CONFIRM}"] = [
            CallbackQueryHandler(on_confirm, pattern=rf"^s:f:{flow.code}:{CONFIRM}$"), back, buttons,
            MessageHandler(typed, on_text), MessageHandler(other, on_other)]
    return conversation(NAME, entry, states, draft_key=DRAFT, flows=FLOWS)


# ---- small shared renderers -------------------------------------------------------------------------
