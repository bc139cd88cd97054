"""What the flow modules share: the homes their flows belong to (who may run them, the menu they return to,
their callback prefix), the buttons under a result, and the filter of a typed search. Summary lines are
built with bot.handlers.labels (date_text, line, field)."""

from __future__ import annotations

from bot.handlers.common import INVITE_HINT, MENU, NOT_A_MEMBER, NOT_AVAILABLE, HandlerCtx, menu_rows
from bot.handlers.markup import cb
from bot.handlers.secretary_members import branch_menu, menu_button
from bot.handlers.wizard import Draft, Home, Rows
from bot.i18n import N_

BRANCH_WORK = "s:menu"


# ---- guards ----------------------------------------------------------------------------------------

def members_only(ctx: HandlerCtx) -> str | None:
    """A member record bound to this Telegram account (an officer without one is told so)."""
    if ctx.actor.member_id is not None:
        return None
    return NOT_A_MEMBER if ctx.is_bound else INVITE_HINT


def officers_only(ctx: HandlerCtx) -> str | None:
    """A secretary / organizer / committee role somewhere (the services check the branch of each record)."""
    if ctx.is_officer:
        return None
    return NOT_AVAILABLE if ctx.is_bound else INVITE_HINT


# ---- homes -----------------------------------------------------------------------------------------

def _main_menu(ctx: HandlerCtx) -> tuple[str, Rows]:
    return ctx._("What would you like to do?"), menu_rows(ctx)


MEMBER_HOME = Home(prefix="m", guard=members_only, menu=_main_menu, button=(N_("Menu"), MENU),
                   interrupted=N_("That report was interrupted. Please choose it again from the menu."))

OFFICER_HOME = Home(prefix="s:f", guard=officers_only, menu=branch_menu, button=(N_("Branch work"), BRANCH_WORK),
                    interrupted=N_("That was interrupted. Please start it again from the branch menu."))


# ---- result rows -----------------------------------------------------------------------------------

def member_rows(ctx: HandlerCtx, d: Draft) -> Rows:
    """Under a result about one member: open the member, or back to the branch work."""
    return [[(ctx._("Open the member"), cb("s:m", d["member_id"])), *menu_button(ctx)]]


def filtered(items: list[tuple[int, str]], query: str | None) -> list[tuple[int, str]]:
    """The items whose label contains the typed text (case-insensitive), all when nothing was typed."""
    return [i for i in items if query.lower() in i[1].lower()] if query else items
