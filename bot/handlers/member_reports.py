"""Members report status changes from their phones: going out, back, moved, new work unit, new phone,
abroad, a correction, and the one-tap check-in (报平安).

The reports share ONE persistent ConversationHandler ("member_reports"): each report is its own
short guided flow (steps in `bot.handlers.member_steps`), and tapping another report in the menu
mid-way starts that one cleanly, instead of leaving two conversations waiting for the same text.

Callback data: m:menu:<action> (the core's menu, entry points) and m:<flow>:<step>:<value>,
m:<flow>:back, m:<flow>:ok — all re-checked: a value is accepted only if offered at this step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.domain.codes import ReportKind
from bot.domain.errors import DomainError, PermissionDenied
from bot.handlers.common import MENU, Context, HandlerCtx, answer, edit_or_reply, member_required, reply, send_menu
from bot.handlers.markup import parse_cb
from bot.handlers.conversations import conversation
from bot.handlers.member_prompts import BACK_LABEL, CANCEL_LABEL, CONFIRM, state_of, step_prompt, summary
from bot.handlers.member_steps import (
    CHOICE, DATE, DRAFT, FLOW_BY_ACTION, FLOWS, PHONE, PLEDGE, TEXT, YESNO, Flow, Step, missing, read_choice,
    read_text,
)
from bot.i18n import N_, SUPPORTED, translator
from bot.services.status_reports import use_cases as report_service
from bot.storage import members as member_repo

NAME = "member_reports"
END = ConversationHandler.END
# Only new messages are answers: an edit of an earlier message is not a new answer.
NEW = filters.UpdateType.MESSAGE

def _draft(context: Context) -> dict[str, Any]:
    data = context.user_data
    assert isinstance(data, dict)
    value = data.get(DRAFT)
    return value if isinstance(value, dict) else {}


def _flow_of(draft: dict[str, Any]) -> Flow | None:
    return FLOWS.get(draft.get("flow", ""))


async def _show(update: Update, ctx: HandlerCtx, text: str, keyboard: Any, *, new: bool = False) -> None:
    """Edit the pressed message, or send a new one (typed answers, reply keyboards, errors)."""
    if new or update.callback_query is None or isinstance(keyboard, ReplyKeyboardMarkup):
        await reply(update, ctx, text, keyboard)
    else:
        await edit_or_reply(update, ctx, text, keyboard)


async def _ask(update: Update, ctx: HandlerCtx, flow: Flow, step: Step | None, draft: dict[str, Any], *,
               error: str | None = None, new: bool = False) -> str:
    """Show a step (None: the summary) and return its state; an error goes on top of the question."""
    if step is None:
        text, keyboard = summary(ctx, flow, draft)
        state = state_of(flow, CONFIRM)
    else:
        text, keyboard = step_prompt(ctx, flow, step, draft)
        state = state_of(flow, step.key)
    if error:
        text = f"⚠️ {error}\n\n{text}"
        new = True
    await _show(update, ctx, text, keyboard, new=new)
    return state


async def _advance(update: Update, ctx: HandlerCtx, flow: Flow, after: str, draft: dict[str, Any]) -> str:
    step = flow.next_step(after, draft)
    if update.callback_query is None and flow.step(after) is not None and flow.step(after).kind == PHONE:
        # the number is in: take the reply keyboard away before the inline summary
        await reply(update, ctx, ctx._("Thank you."), ReplyKeyboardRemove())
    return await _ask(update, ctx, flow, step, draft)


async def _lost(update: Update, context: Context, ctx: HandlerCtx) -> int:
    """The draft is gone (or does not match the state): start over politely."""
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)
    await send_menu(update, ctx, ctx._("That report was interrupted. Please choose it again from the menu."),
                    edit=update.callback_query is not None)
    return END


# ---- entry points ----------------------------------------------------------------------------------

@member_required
async def start_flow(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data if update.callback_query else None)
    action = parts[2] if len(parts) == 3 else ""
    if action == "checkin":
        return await check_in(update, context, ctx)
    flow = FLOW_BY_ACTION.get(action)
    if flow is None:
        return await _lost(update, context, ctx)
    assert isinstance(context.user_data, dict)
    context.user_data[DRAFT] = draft = {"flow": flow.code}
    if flow.kind is ReportKind.RETURNED:
        # the summary shows where the member is recorded as away (the service keeps that block as history)
        member = await member_repo.get(ctx.db, ctx.actor.member_id)
        draft["was_at"] = member.flow.destination if member and member.flow else None
    return await _ask(update, ctx, flow, flow.next_step(None, draft), draft)


def _deliver_now(context: Context) -> None:
    """Wake the outbox sender so the secretary and the officer are told at once (not at its next poll)."""
    try:
        from bot.reminders import reminders_of
    except ImportError:
        return
    reminders = reminders_of(context.application)
    sender = getattr(reminders, "sender", None)
    if sender is not None:
        sender.kick()


async def check_in(update: Update, context: Context, ctx: HandlerCtx) -> int:
    """报平安: one tap, a thank-you."""
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)
    try:
        await report_service.check_in(ctx.services, ctx.actor)
    except DomainError as err:
        await edit_or_reply(update, ctx, ctx.error_text(err), [[(ctx._("Menu"), MENU)]])
        return END
    _deliver_now(context)
    await edit_or_reply(update, ctx, ctx._("Thank you! Your branch knows you are well. 🌟"),
                        [[(ctx._("Menu"), MENU)]])
    return END


# ---- answers ---------------------------------------------------------------------------------------

def _current(context: Context, flow_code: str) -> tuple[Flow | None, dict[str, Any]]:
    draft = _draft(context)
    flow = _flow_of(draft)
    if flow is None or flow.code != flow_code:
        return None, draft
    return flow, draft


async def _stale(update: Update, ctx: HandlerCtx) -> None:
    """A button of an earlier step (or forged data): say so, change nothing, stay where we are."""
    await answer(update, ctx, ctx._("That button belongs to an earlier step. Please use the latest message."))
    return None


@member_required
async def on_button(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    """m:<flow>:<step>:<value> — a choice, a quick date, yes/no, the pledge."""
    parts = parse_cb(update.callback_query.data)
    if len(parts) != 4:
        return None
    flow, draft = _current(context, parts[1])
    if flow is None:
        return await _lost(update, context, ctx)
    step = flow.step(parts[2])
    if step is None or draft.get("_step") != step.key:
        return await _stale(update, ctx)
    value = parts[3]
    today = ctx.clock.today()
    if step.kind == DATE:
        if value == "today" and step.quick_past:
            draft[step.key] = today.isoformat()
        elif value == "yday" and step.quick_past:
            draft[step.key] = (today - timedelta(days=1)).isoformat()
        elif value == "skip" and step.optional:
            draft[step.key] = None
        else:
            return await _stale(update, ctx)
    elif step.kind == CHOICE:
        chosen = read_choice(step, value)
        if chosen is None:
            return await _stale(update, ctx)  # forged: the value was not offered here
        draft[step.key] = chosen
    elif (step.kind == YESNO and value in ("yes", "no")) or (step.kind == PLEDGE and value == "yes"):
        draft[step.key] = value
    else:
        return await _stale(update, ctx)
    keep = flow.step("keep")
    if keep is not None and not keep.applies(draft):
        draft.pop("keep", None)
    return await _advance(update, ctx, flow, step.key, draft)


@member_required
async def on_text(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    """A typed answer: text, a date or a mobile number."""
    flow, step, draft = _step_waiting(context)
    if flow is None or step is None:
        return await _lost(update, context, ctx)
    text = update.effective_message.text or ""
    if step.kind == PHONE and _is_label(text, BACK_LABEL):
        await reply(update, ctx, ctx._("Back to the menu."), ReplyKeyboardRemove())
        return await _back_to_menu(update, context, ctx)
    if step.kind == PHONE and _is_label(text, CANCEL_LABEL):
        context.user_data.pop(DRAFT, None)
        await reply(update, ctx, ctx._("Cancelled. Nothing was saved."), ReplyKeyboardRemove())
        return END
    if step.kind not in (TEXT, DATE, PHONE):
        return await _ask(update, ctx, flow, step, draft, error=ctx._("Please use the buttons."))
    try:
        draft[step.key] = read_text(step, text, ctx.clock.today(), draft)
    except DomainError as err:
        return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    if step.kind == PHONE:
        draft["source"] = "typed"
        draft.pop("contact_user_id", None)
    return await _advance(update, ctx, flow, step.key, draft)


@member_required
async def on_contact(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    """Telegram's "share my contact": only the sender's own contact is taken."""
    flow, step, draft = _step_waiting(context)
    if flow is None or step is None:
        return await _lost(update, context, ctx)
    if step.kind != PHONE:
        return await _ask(update, ctx, flow, step, draft, error=ctx._("Please answer the question above."))
    contact = update.effective_message.contact
    if contact is None or contact.user_id is None or contact.user_id != ctx.user_id:
        err = PermissionDenied(N_("Please share your own contact, not someone else's"))
        return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    try:
        draft[step.key] = read_text(step, contact.phone_number or "", ctx.clock.today(), draft)
    except DomainError as err:
        return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    draft["source"] = "contact"
    draft["contact_user_id"] = contact.user_id
    return await _advance(update, ctx, flow, step.key, draft)


@member_required
async def on_other_message(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    """A photo, sticker … where an answer was expected: ask again, keep the conversation."""
    flow, step, draft = _step_waiting(context)
    if flow is None or (step is None and draft.get("_step") != CONFIRM):
        return await _lost(update, context, ctx)
    if step is None or step.kind not in (TEXT, DATE, PHONE):
        return await _ask(update, ctx, flow, step, draft, error=ctx._("Please use the buttons."))
    return await _ask(update, ctx, flow, step, draft, error=ctx._("Please answer the question above."))


def _step_waiting(context: Context) -> tuple[Flow | None, Step | None, dict[str, Any]]:
    draft = _draft(context)
    flow = _flow_of(draft)
    key = draft.get("_step")
    step = flow.step(key) if flow and isinstance(key, str) else None
    return flow, step, draft


def _is_label(text: str, msgid: str) -> bool:
    return text.strip() in {translator(loc).gettext(msgid) for loc in SUPPORTED}


async def _back_to_menu(update: Update, context: Context, ctx: HandlerCtx) -> int:
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)
    await send_menu(update, ctx, edit=update.callback_query is not None)
    return END


@member_required
async def on_back(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data)
    flow, draft = _current(context, parts[1] if len(parts) > 1 else "")
    if flow is None:
        return await _lost(update, context, ctx)
    here = draft.get("_step")
    if here != CONFIRM and flow.step(str(here)) is None:
        return await _lost(update, context, ctx)
    step = flow.previous_step(None if here == CONFIRM else here, draft)
    if step is None:
        return await _back_to_menu(update, context, ctx)
    return await _ask(update, ctx, flow, step, draft)


@member_required
async def on_confirm(update: Update, context: Context, ctx: HandlerCtx) -> Any:
    parts = parse_cb(update.callback_query.data)
    flow, draft = _current(context, parts[1] if len(parts) > 1 else "")
    if flow is None or missing(flow, draft):
        return await _lost(update, context, ctx)
    if draft.get("_step") != CONFIRM:
        return await _stale(update, ctx)
    try:
        result = await flow.save(ctx.services, ctx.actor, draft)
    except PermissionDenied as err:
        context.user_data.pop(DRAFT, None)
        await edit_or_reply(update, ctx, ctx.error_text(err), [[(ctx._("Menu"), MENU)]])
        return END
    except DomainError as err:
        step = flow.step(err.field or "")
        if step is not None and step.applies(draft):
            return await _ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
        return await _ask(update, ctx, flow, None, draft, error=ctx.error_text(err))
    context.user_data.pop(DRAFT, None)
    _deliver_now(context)
    done = ctx._("Saved. Your branch secretary has been told.") if result.notified else ctx._("Saved.")
    if flow.kind is ReportKind.ABROAD and result.details.get("keep_relationship_requested"):
        done += "\n" + ctx._("Your request to keep the organizational relationship awaits the branch's decision.")
    await edit_or_reply(update, ctx, f"<b>{ctx._(flow.title)}</b>\n{done}", [[(ctx._("Menu"), MENU)]])
    if flow.kind is ReportKind.OUTFLOW:
        await _send_card(update, ctx)
    return END


async def _send_card(update: Update, ctx: HandlerCtx) -> None:
    """The 联心卡 (seed 004 measure 六) for the road."""
    from bot.handlers.profile import card_text
    from bot.services import profile as profile_service

    try:
        card = await profile_service.branch_card(ctx.services, ctx.actor)
    except DomainError:
        return
    await reply(update, ctx, ctx._("Take your branch's contact card with you:") + "\n\n" + card_text(ctx.tr, card))


# ---- wiring ----------------------------------------------------------------------------------------

def _remember_step(fn: Any) -> Any:
    """Keep the waiting step in the draft (typed answers find their step without trusting anything else)."""

    async def wrapper(update: Update, context: Context) -> Any:
        state = await fn(update, context)
        if isinstance(state, str) and "." in state and isinstance(context.user_data, dict):
            draft = context.user_data.get(DRAFT)
            if isinstance(draft, dict):
                draft["_step"] = state.split(".", 1)[1]
        return state

    wrapper.__name__ = getattr(fn, "__name__", "handler")
    return wrapper


def _states() -> dict[object, list[Any]]:
    states: dict[object, list[Any]] = {}
    typed = NEW & filters.TEXT & ~filters.COMMAND
    other = NEW & ~filters.COMMAND & ~filters.TEXT & ~filters.CONTACT
    for flow in FLOWS.values():
        buttons = CallbackQueryHandler(_remember_step(on_button), pattern=rf"^m:{flow.code}:[a-z_]+:[a-z_]+$")
        back = CallbackQueryHandler(_remember_step(on_back), pattern=rf"^m:{flow.code}:back$")
        for step in flow.steps:
            handlers: list[Any] = [buttons, back, MessageHandler(typed, _remember_step(on_text))]
            if step.kind == PHONE:
                handlers.append(MessageHandler(NEW & filters.CONTACT, _remember_step(on_contact)))
            handlers.append(MessageHandler(other | (NEW & filters.CONTACT), _remember_step(on_other_message)))
            states[state_of(flow, step.key)] = handlers
        states[state_of(flow, CONFIRM)] = [
            CallbackQueryHandler(_remember_step(on_confirm), pattern=rf"^m:{flow.code}:ok$"), back,
            MessageHandler(typed | other | (NEW & filters.CONTACT), _remember_step(on_other_message)),
        ]
    return states


def build_conversation() -> ConversationHandler:
    entry = CallbackQueryHandler(_remember_step(start_flow),
                                 pattern=r"^m:menu:(outflow|returned|moved|work_unit|phone|abroad|checkin|correction)$")
    return conversation(NAME, [entry], _states(), draft_key=DRAFT, flows=FLOWS)


def register(app: Application) -> None:
    app.add_handler(build_conversation())
