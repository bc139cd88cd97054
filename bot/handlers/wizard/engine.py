"""The one wizard engine: a single persistent ConversationHandler runs every flow of a Registry.

One handler means one conversation at a time per user and chat: starting a flow replaces the open one
(a flow of another home, e.g. a member report over a search attempt, is closed with a note, since the
user did not see it go). The state — "<flow>.<step>" or "<flow>.ok" — is PTB's, persisted in SQLite; each
state's handlers are bound to their flow and step, so the step on screen is known without a copy of it in
the draft. The draft lives in user_data[DRAFT] (JSON-able), is dropped on save, /cancel, ✖ Cancel and the
timeout (bot.handlers.conversations), and survives a restart with the state.

Every update re-runs the flow's guard (a role may have been revoked). Callback data is untrusted: a button
of another flow, of an earlier step, or a value the step does not offer now is answered as stale and
changes nothing; ids are re-checked by the flow's hooks (services).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.domain.dates import parse_user_date
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.phone import normalise_mobile
from bot.handlers.common import (
    Context, HandlerCtx, answer, ctx_of, edit_or_reply, refuse, refuse_in_group, reply,
)
from bot.handlers.conversations import conversation
from bot.handlers.wizard import render
from bot.handlers.wizard.model import (
    CHECKLIST, CHOICE, CONFIRM, DATE, DRAFT, PHONE, PICK, TEXT, TYPED, Draft, Flow, Step, answer_parts,
    offered_option,
)
from bot.handlers.wizard.registry import Registry
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_, SUPPORTED, translator
from bot.services.status_reports.text import clean_text

NAME = "wizard"
END = ConversationHandler.END
NEW = filters.UpdateType.MESSAGE      # an edit of an earlier message is not a new answer
STALE = N_("That button belongs to an earlier step. Please use the latest message.")
CLOSED_NOTICE = N_("Your unfinished “{what}” was closed; nothing in it had been saved.")
USE_BUTTONS = N_("Please use the buttons.")
ANSWER_ABOVE = N_("Please answer the question above.")
NOT_ALLOWED = N_("You are not allowed to do that")


# ---- the draft and the screen ----------------------------------------------------------------------

def _draft(context: Context) -> Draft:
    data = context.user_data
    value = data.get(DRAFT) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _drop(context: Context) -> None:
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)


async def _show(update: Update, ctx: HandlerCtx, text: str, keyboard: Any, *, error: str | None = None) -> None:
    """Edit the pressed message, or send a new one (typed answers, reply keyboards, errors on top)."""
    if error:
        await reply(update, ctx, f"⚠️ {error}\n\n{text}", keyboard)
    elif update.callback_query is None or isinstance(keyboard, ReplyKeyboardMarkup):
        await reply(update, ctx, text, keyboard)
    else:
        await edit_or_reply(update, ctx, text, keyboard)


async def ask(update: Update, ctx: HandlerCtx, flow: Flow, step: Step | None, draft: Draft, *,
              error: str | None = None) -> str:
    """Show a step (None: the summary) and return its state."""
    if step is None:
        text, keyboard = render.summary(ctx, flow, draft)
    else:
        text, keyboard = await render.prompt(ctx, flow, step, draft)
    await _show(update, ctx, text, keyboard, error=error)
    return flow.state(step.key if step else CONFIRM)


async def _leave(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, msgid: str | None = None) -> int:
    """End the flow at its home menu (« Back on the first step), or with `msgid` above it (a lost draft)."""
    _drop(context)
    text, rows = flow.home.menu(ctx)
    await _show(update, ctx, ctx._(msgid) if msgid else text, rows)
    return END


async def _stale(update: Update, ctx: HandlerCtx) -> None:
    await answer(update, ctx, ctx._(STALE))


async def _guarded(update: Update, ctx: HandlerCtx, flow: Flow) -> bool:
    """The flow may run for this user here; otherwise the refusal was shown."""
    if not ctx.chat_is_private:
        await refuse_in_group(update, ctx)
        return False
    refusal = (flow.guard or flow.home.guard)(ctx)
    if inspect.isawaitable(refusal):
        refusal = await refusal
    if refusal:
        await reply(update, ctx, ctx._(refusal))
        return False
    return True


# ---- moving on -------------------------------------------------------------------------------------

async def _answer(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft,
                  value: Any, extra: Draft | None = None) -> Any:
    """Take an answer: the step's accept hook sees the draft with it (and may refuse or fill in more);
    a refused answer leaves the draft as it was."""
    trial = {**draft, step.key: value}
    for key, extra_value in (extra or {}).items():   # None removes: e.g. no contact user when typed
        if extra_value is None:
            trial.pop(key, None)
        else:
            trial[key] = extra_value
    if step.accept is not None:
        try:
            await step.accept(ctx, trial, value)
        except PermissionDenied as err:
            await refuse(update, ctx, err)
            return None
        except DomainError as err:
            return await ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    draft.clear()
    draft.update(trial)
    return await _advance(update, context, ctx, flow, step, draft)


async def _advance(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft) -> Any:
    flow.settle(draft)
    following = flow.next_step(step.key, draft)
    if step.kind == PHONE and update.callback_query is None:
        # the number is in: take the reply keyboard away before the inline question or summary
        await reply(update, ctx, ctx._("Thank you."), ReplyKeyboardRemove())
    if following is None and not flow.confirm:
        return await save(update, context, ctx, flow, draft)
    render.ui(draft).clear()
    return await ask(update, ctx, flow, following, draft)


async def _back(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, here: str, draft: Draft) -> Any:
    step = flow.step(here)
    previous = flow.previous_step(None if here == CONFIRM else here, draft)
    typed_on_phone = step is not None and step.kind == PHONE and update.callback_query is None
    if previous is None:
        if typed_on_phone:
            await reply(update, ctx, ctx._("Back to the menu."), ReplyKeyboardRemove())
        return await _leave(update, context, ctx, flow)
    if typed_on_phone:
        await reply(update, ctx, ctx._("Going back."), ReplyKeyboardRemove())
    render.ui(draft).clear()
    return await ask(update, ctx, flow, previous, draft)


async def save(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, draft: Draft) -> Any:
    """Run the flow's save; show its result (or ask again the step a refusal names); then `after`."""
    screen = Screen(update, context, ctx)
    try:
        text, rows = await flow.save(ctx, draft, screen)
    except PermissionDenied as err:
        _drop(context)
        await screen.show(ctx.error_text(err), render.home_rows(ctx, flow))
        return END
    except DomainError as err:
        step = flow.step(flow.aliases.get(err.field or "", err.field or ""))
        if step is not None and step.applies(draft):
            render.ui(draft).clear()
            return await ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
        if flow.confirm:
            return await ask(update, ctx, flow, None, draft, error=ctx.error_text(err))
        _drop(context)
        await screen.show(ctx.error_text(err), render.home_rows(ctx, flow))
        return END
    saved = dict(draft)
    _drop(context)
    await screen.show(text, rows)
    if flow.after is not None:
        await flow.after(ctx, saved, screen)
    return END


# ---- starting a flow -------------------------------------------------------------------------------

async def start(update: Update, context: Context, registry: Registry, flow: Flow, *, item_id: int | None = None,
                typed: str | None = None) -> Any:
    """Start `flow` (from its button, a button carrying an id, or its command with typed arguments)."""
    ctx = await ctx_of(update, context)
    if not await _guarded(update, ctx, flow):
        return None
    draft: Draft = {"flow": flow.code}
    try:
        if item_id is not None:
            assert flow.start_with is not None
            await flow.start_with(ctx, draft, item_id)
        if flow.init is not None:
            await flow.init(ctx, draft)
    except DomainError as err:
        await refuse(update, ctx, err)
        return None
    open_flow = registry.get(_draft(context).get("flow"))
    if open_flow is not None and open_flow.home.prefix != flow.home.prefix:
        await context.bot.send_message(ctx.chat_id, ctx._(CLOSED_NOTICE, what=ctx._(open_flow.title)))
    assert isinstance(context.user_data, dict)
    context.user_data[DRAFT] = draft
    first = flow.next_step(None, draft)
    if typed and first is not None and first.kind in (PICK, TEXT):
        return await _typed(update, context, ctx, flow, first, draft, typed)
    if first is None and not flow.confirm:
        return await save(update, context, ctx, flow, draft)
    return await ask(update, ctx, flow, first, draft)


def start_handlers(registry: Registry) -> list[BaseHandler]:
    """The entry points: every flow's start button (with an id where it takes one) and command."""

    async def from_button(update: Update, context: Context) -> Any:
        flow, item_id = registry.by_start(update.callback_query.data or "")
        if flow is None:   # the pattern let it through, the lookup did not (cannot happen): stale
            return await _stale(update, await ctx_of(update, context))
        return await start(update, context, registry, flow, item_id=item_id)

    async def from_command(update: Update, context: Context) -> Any:
        command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]
        flow = registry.by_command(command)
        assert flow is not None   # only the registry's commands reach here
        return await start(update, context, registry, flow, typed=" ".join(context.args or []) or None)

    entry: list[BaseHandler] = [CallbackQueryHandler(from_button, pattern=registry.start_pattern())]
    if registry.commands():
        entry.append(CommandHandler(registry.commands(), from_command))
    return entry


# ---- answers ---------------------------------------------------------------------------------------

async def on_button(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, here: str, draft: Draft) -> Any:
    """<prefix>:<flow>:<step>:<value>, <prefix>:<flow>:back and <prefix>:<flow>:ok."""
    parts = answer_parts(flow, update.callback_query.data or "")
    if parts == ["back"]:
        return await _back(update, context, ctx, flow, here, draft)
    if parts == [CONFIRM] and here == CONFIRM:
        return await save(update, context, ctx, flow, draft)
    step = flow.step(here)
    if parts is None or len(parts) != 2 or step is None or parts[0] != step.key:
        return await _stale(update, ctx)
    value = parts[1]
    try:
        if step.kind in (PICK, CHECKLIST) and value[:1] == "p" and value[1:].isdigit():
            render.ui(draft)["page"] = int(value[1:])
            return await ask(update, ctx, flow, step, draft)
        if step.kind == PICK and value[:1] == "m" and value[1:].isdigit():
            return await _answer(update, context, ctx, flow, step, draft, int(value[1:]))
        if step.kind == CHECKLIST:
            return await _tick(update, context, ctx, flow, step, draft, value)
        if step.kind == DATE and step.quick and value in ("today", "yday"):
            today = ctx.clock.today()
            chosen = (today if value == "today" else today - timedelta(days=1)).isoformat()
            return await _answer(update, context, ctx, flow, step, draft, _parsed(step, chosen, ctx, draft))
        if step.kind in (DATE, TEXT) and step.optional and value == "skip":
            return await _answer(update, context, ctx, flow, step, draft, None)
        if step.kind == CHOICE and step.options is not None and offered_option(step.options(ctx, draft), value):
            return await _answer(update, context, ctx, flow, step, draft, value)
    except DomainError as err:
        return await ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    return await _stale(update, ctx)


def _parsed(step: Step, value: Any, ctx: HandlerCtx, draft: Draft) -> Any:
    return step.parse(value, ctx, draft) if step.parse is not None else value


async def _tick(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft,
                value: str) -> Any:
    found, _page, chunk = await render.listing(ctx, step, draft)
    offered = render.offered_ids(found, chunk)
    ticked = [i for i in (draft.get(step.key) or []) if isinstance(i, int)]
    if found.total is None:
        ticked = [i for i in ticked if i in offered]
    if value[:1] == "t" and value[1:].isdigit() and int(value[1:]) in offered:
        item = int(value[1:])
        ticked = [i for i in ticked if i != item] if item in ticked else [*ticked, item]
    elif value == "all" and step.bulk:
        ticked = [*ticked, *(i for i in offered if i not in ticked)]
    elif value == "none" and step.bulk:
        ticked = [i for i in ticked if i not in offered]
    elif value == "done":
        draft[step.key] = ticked
        return await _answer(update, context, ctx, flow, step, draft, ticked)
    else:   # an id this list does not offer: forged, or another branch's
        await refuse(update, ctx, PermissionDenied(NOT_ALLOWED))
        return None
    draft[step.key] = ticked
    return await ask(update, ctx, flow, step, draft)


async def _typed(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, step: Step, draft: Draft,
                 text: str, extra: Draft | None = None) -> Any:
    """A typed answer (or a command's arguments, or a shared contact's number) for the step on screen."""
    try:
        if step.kind == PICK:
            render.ui(draft).update(query=clean_text(text, step.key, max_len=40), page=0)
            return await ask(update, ctx, flow, step, draft)
        if step.kind == DATE:
            day = parse_user_date(clean_text(text, step.key, max_len=40), ctx.clock.today(),
                                  allow_future=step.allow_future)
            value = _parsed(step, day.isoformat(), ctx, draft)
        elif step.kind == TEXT:
            value = _parsed(step, clean_text(text, step.key, max_len=step.max_len, multiline=step.multiline), ctx,
                            draft)
        elif step.kind == PHONE:
            cleaned = clean_text(text, step.key, max_len=40)
            value = step.parse(cleaned, ctx, draft) if step.parse is not None else normalise_mobile(cleaned)
            extra = extra or {"source": "typed", "contact_user_id": None}
        else:
            return await ask(update, ctx, flow, step, draft, error=ctx._(USE_BUTTONS))
    except DomainError as err:
        return await ask(update, ctx, flow, step, draft, error=ctx.error_text(err))
    return await _answer(update, context, ctx, flow, step, draft, value, extra)


def _is_label(text: str, msgid: str) -> bool:
    return text.strip() in {translator(loc).gettext(msgid) for loc in SUPPORTED}


async def on_text(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, here: str, draft: Draft) -> Any:
    step = flow.step(here)
    if step is None:   # the summary waits for a button
        return await ask(update, ctx, flow, None, draft, error=ctx._(USE_BUTTONS))
    text = update.effective_message.text or ""
    if step.kind == PHONE and _is_label(text, render.BACK_LABEL):
        return await _back(update, context, ctx, flow, here, draft)
    if step.kind == PHONE and _is_label(text, render.CANCEL_LABEL):
        _drop(context)
        await reply(update, ctx, ctx._("Cancelled. Nothing was saved."), ReplyKeyboardRemove())
        return END
    return await _typed(update, context, ctx, flow, step, draft, text)


async def on_contact(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, here: str, draft: Draft) -> Any:
    """Telegram's "share my contact" at a PHONE step: only the sender's own contact is taken."""
    step = flow.step(here)
    if step is None or step.kind != PHONE:
        return await on_other(update, context, ctx, flow, here, draft)
    contact = update.effective_message.contact
    if contact is None or contact.user_id is None or contact.user_id != ctx.user_id:
        error = ctx.error_text(PermissionDenied(N_("Please share your own contact, not someone else's")))
        return await ask(update, ctx, flow, step, draft, error=error)
    return await _typed(update, context, ctx, flow, step, draft, contact.phone_number or "",
                        {"source": "contact", "contact_user_id": contact.user_id})


async def on_other(update: Update, context: Context, ctx: HandlerCtx, flow: Flow, here: str, draft: Draft) -> Any:
    """A photo, a sticker … where an answer was expected: ask again, keep the conversation."""
    step = flow.step(here)
    typed = step is not None and (step.kind in TYPED or step.kind == PICK)
    return await ask(update, ctx, flow, step, draft, error=ctx._(ANSWER_ABOVE if typed else USE_BUTTONS))


# ---- wiring ----------------------------------------------------------------------------------------

Answer = Callable[[Update, Context, HandlerCtx, Flow, str, Draft], Awaitable[Any]]


def _bound(fn: Answer, flow: Flow, here: str) -> Callable[[Update, Context], Awaitable[Any]]:
    """A state's handler: the guard, the draft of this flow (else the flow was interrupted), then `fn`."""

    async def handler(update: Update, context: Context) -> Any:
        ctx = await ctx_of(update, context)
        if not await _guarded(update, ctx, flow):
            _drop(context)
            return END
        draft = _draft(context)
        if draft.get("flow") != flow.code or (here == CONFIRM and flow.missing(draft)):
            return await _leave(update, context, ctx, flow, flow.home.interrupted)
        return await fn(update, context, ctx, flow, here, draft)

    handler.__name__ = f"{fn.__name__}[{flow.state(here)}]"
    return handler


def build_conversation(registry: Registry, name: str = NAME) -> ConversationHandler:
    """The one ConversationHandler of every flow in `registry` (persistent under `name`)."""
    answers = registry.answer_pattern()
    typed = NEW & filters.TEXT & ~filters.COMMAND
    contact = NEW & filters.CONTACT
    other = NEW & ~filters.COMMAND & ~filters.TEXT & ~filters.CONTACT
    states: dict[object, list[BaseHandler]] = {}
    for state, flow, here in registry.states():
        states[state] = [
            CallbackQueryHandler(_bound(on_button, flow, here), pattern=answers),
            MessageHandler(typed, _bound(on_text, flow, here)),
            MessageHandler(contact, _bound(on_contact, flow, here)),
            MessageHandler(other, _bound(on_other, flow, here)),
        ]
    return conversation(name, start_handlers(registry), states, draft_key=DRAFT)
