"""Lost-contact cases in the bot: the case list (by state, overdue first), the approval queue of committee
and org_dept users, and the case card (also what a notification's button opens).

Callback data (prefix `k:`, reserved for cases): k:l:<state|open>:<page> the list; k:q:<page> the approval
queue; k:open:<case id> a card; k:go:<flow>:<case id> starts a step's flow (bot.handlers.flows.cases), whose
answers are k:f:<flow>:….
Every id is re-checked by bot.services.cases: a forged or stale button gets the same refusal as a case
that does not exist, or the step's own refusal.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import disposition
from bot.domain.errors import DomainError
from bot.handlers import cases_view as view
from bot.handlers import commands_menu
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, officer_required
from bot.handlers.markup import cb, int_part, paginate, parse_cb
from bot.i18n import N_
from bot.services.cases import queries

PER_PAGE = 8
FILTERS = ("open", disposition.SEARCHING, disposition.UNREACHABLE, disposition.INVESTIGATED, "chain")


async def refuse(update: Update, ctx: HandlerCtx, err: DomainError) -> None:
    """A localized refusal in place of the screen (nothing changed)."""
    await edit_or_reply(update, ctx, "⛔ " + ctx.error_text(err), [[(ctx._("« Cases"), cb("k:l", "open", 0))]])


def _filter_row(ctx: HandlerCtx, current: str) -> list[tuple[str, str]]:
    labels = {"open": N_("All open"), disposition.SEARCHING: N_("Searching"),
              disposition.UNREACHABLE: N_("Cannot be reached"), disposition.INVESTIGATED: N_("To propose"),
              "chain": N_("In approval")}
    return [(("• " if f == current else "") + ctx._(labels[f]), cb("k:l", f, 0)) for f in FILTERS]


async def show_list(update: Update, ctx: HandlerCtx, which: str, page: int) -> None:
    """Open cases (or one state, or those in the approval chain), overdue first."""
    state = which if which in disposition.STATES else None
    result = await queries.list_cases(ctx.services, ctx.actor, state=state, page=0, size=10_000)
    items = [c for c in result.items if which != "chain" or c.state in disposition.CHAIN_STATES]
    text, rows = paginate(items, page, PER_PAGE, lambda c: view.line(ctx.tr, c), f"k:l:{which}",
                          header=ctx._("<b>Lost-contact cases</b> ({n})", n=len(items)),
                          empty=ctx._("No cases here."), item_button=view.line_button)
    filters = _filter_row(ctx, which)
    await edit_or_reply(update, ctx, text, [*rows, filters[:3], filters[3:]])


@officer_required
async def cases_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        await show_list(update, ctx, "open", 0)
    except DomainError as err:
        await refuse(update, ctx, err)


@officer_required
async def list_page(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = parse_cb(update.callback_query.data)
    which = parts[2] if len(parts) > 2 and parts[2] in FILTERS else "open"
    try:
        await show_list(update, ctx, which, max(0, int_part(parts, 3) or 0))
    except DomainError as err:
        await refuse(update, ctx, err)


async def show_queue(update: Update, ctx: HandlerCtx, page: int) -> None:
    result = await queries.approval_queue(ctx.services, ctx.actor, page=0, size=10_000)
    text, rows = paginate(result.items, page, PER_PAGE, lambda c: view.line(ctx.tr, c), "k:q",
                          header=ctx._("<b>Waiting for your review or approval</b> ({n})", n=result.total),
                          empty=ctx._("Nothing waits for you."), item_button=view.line_button)
    await edit_or_reply(update, ctx, text, [*rows, [(ctx._("« Cases"), cb("k:l", "open", 0))]])


@officer_required
async def approvals_command(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        page = 0 if update.callback_query is None else max(0, int_part(parse_cb(update.callback_query.data), 2) or 0)
        await show_queue(update, ctx, page)
    except DomainError as err:
        await refuse(update, ctx, err)


async def show_card(update: Update, ctx: HandlerCtx, case_id: int | None, notice: str | None = None) -> None:
    card = await queries.case_card(ctx.services, ctx.actor, case_id)
    actions = await queries.actions_for(ctx.services, ctx.actor, card)
    text = view.card_text(ctx.tr, card)
    await edit_or_reply(update, ctx, (notice + "\n\n" if notice else "") + text, view.card_rows(ctx.tr, card, actions))


@officer_required
async def open_card(update: Update, context: Context, ctx: HandlerCtx) -> None:
    try:
        await show_card(update, ctx, int_part(parse_cb(update.callback_query.data), 2))
    except DomainError as err:
        await refuse(update, ctx, err)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cases", cases_command))
    app.add_handler(CommandHandler("approvals", approvals_command))
    app.add_handler(CallbackQueryHandler(list_page, pattern=r"^k:l:"))
    app.add_handler(CallbackQueryHandler(approvals_command, pattern=r"^k:q:"))
    # any k:open:… (even malformed) gets the same refusal as another subtree's case
    app.add_handler(CallbackQueryHandler(open_card, pattern=r"^k:open"))
    commands_menu.add_command("cases", N_("Lost-contact cases"))
    commands_menu.add_command("approvals", N_("Cases waiting for my review or approval"))
