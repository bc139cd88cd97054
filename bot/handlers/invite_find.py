"""邀请党员 → 🔎 Find by name: the branch's members not yet connected whose name holds what was typed.

j:find:<branch> asks for the name (a one-step conversation); the results page through j:fp:<branch>:<page>
with the name kept in user_data. The branch is re-checked by the service on every page.
"""

from __future__ import annotations

from types import SimpleNamespace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot.domain.errors import DomainError
from bot.handlers.common import Context, HandlerCtx, edit_or_reply, officer_required
from bot.handlers.conversations import conversation, draft
from bot.handlers.invites import show_members
from bot.handlers.markup import CANCEL, int_part, parse_cb
from bot.handlers.secretary_flow import refuse
from bot.i18n import N_
from bot.services import invites as invite_svc

DRAFT = "j_find"
QUERY = "j_find_query"        # {"branch": id, "name": text}: for the ‹ › pages of the results
ASK = "j_find_name"
NAME_MAX = 40
T_TITLE = N_("Find a member to invite")


@officer_required
async def ask(update: Update, context: Context, ctx: HandlerCtx) -> object:
    branch_id = int_part(parse_cb(update.callback_query.data if update.callback_query else None), 2)
    try:
        if branch_id is None:
            raise DomainError(N_("You are not allowed to do that"))
        await invite_svc.require_branch_node(ctx.services, ctx.actor, branch_id)
    except DomainError as err:
        await refuse(update, ctx, err)
        return ConversationHandler.END
    draft(context, DRAFT).update(flow="jfind", branch=branch_id)
    await edit_or_reply(update, ctx, ctx._("Type the member's name, or a part of it:"),
                        [[(ctx._("✖ Cancel"), CANCEL)]])
    return ASK


@officer_required
async def got_name(update: Update, context: Context, ctx: HandlerCtx) -> object:
    name = " ".join((update.message.text or "").split())[:NAME_MAX] if update.message else ""
    branch_id = draft(context, DRAFT).get("branch")
    if isinstance(context.user_data, dict):
        context.user_data.pop(DRAFT, None)
        context.user_data[QUERY] = {"branch": branch_id, "name": name}
    try:
        await show_members(update, ctx, int(branch_id), 0, bound=False, name=name or None)
    except (DomainError, TypeError, ValueError) as err:
        await refuse(update, ctx, err if isinstance(err, DomainError) else DomainError(
            N_("You are not allowed to do that")))
    return ConversationHandler.END


@officer_required
async def results_page(update: Update, context: Context, ctx: HandlerCtx) -> None:
    parts = parse_cb(update.callback_query.data if update.callback_query else None)
    branch_id, page_no = int_part(parts, 2), int_part(parts, 3) or 0
    query = context.user_data.get(QUERY) if isinstance(context.user_data, dict) else None
    name = query.get("name") if isinstance(query, dict) and query.get("branch") == branch_id else None
    try:
        if branch_id is None:
            raise DomainError(N_("You are not allowed to do that"))
        await show_members(update, ctx, branch_id, page_no, bound=False, name=name)
    except DomainError as err:
        await refuse(update, ctx, err)


def register(app: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(conversation("j_find", entry_points=[CallbackQueryHandler(ask, pattern=r"^j:find:")],
                                 states={ASK: [MessageHandler(text, got_name)]}, draft_key=DRAFT,
                                 flows={"jfind": SimpleNamespace(title=T_TITLE)}))
    app.add_handler(CallbackQueryHandler(results_page, pattern=r"^j:fp:"))
