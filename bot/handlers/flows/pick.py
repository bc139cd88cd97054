"""Picking a member in an officer's flow: by a typed name, or from the 失联 list; the pick re-checked by
bot.services.roster (a forged id of another branch's member gets the plain refusal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.codes import ContactLevel
from bot.handlers.common import HandlerCtx
from bot.handlers.markup import esc, short
from bot.handlers.secretary_members import LEVEL_ICON
from bot.handlers.wizard import PICK, Draft, Item, Listing, Step
from bot.i18n import N_
from bot.services import roster

PICK_LIMIT = 500   # candidates offered in a picker (paged ten at a time)


def member_items(summaries: list[roster.MemberSummary]) -> list[Item]:
    return [(s.id, f"{LEVEL_ICON[s.level]} {short(s.name, 30)}") for s in summaries]


async def pick_member_items(ctx: HandlerCtx, draft: Draft, query: str | None, *,
                            default_level: ContactLevel | None = None) -> Listing:
    """Members matching a typed name; with no name yet, the 失联 list (or everyone) to tap."""
    if query:
        page = await roster.list_members(ctx.services, ctx.actor, 0, name=query, size=PICK_LIMIT)
        head = ctx._("Members named “{name}”: {n}. Tap one, or type another name.", name=esc(query), n=page.total)
        return Listing(head, member_items(page.items))
    if default_level is not None:
        page = await roster.out_of_contact(ctx.services, ctx.actor, default_level, 0, size=PICK_LIMIT)
        head = ctx._("Lost contact (失联): {n}. Tap one, or type a name to search all members.", n=page.total)
        return Listing(head, member_items(page.items))
    page = await roster.list_members(ctx.services, ctx.actor, 0, size=PICK_LIMIT)
    return Listing(ctx._("Tap a member, or type a name:"), member_items(page.items))


async def accept_member(ctx: HandlerCtx, draft: Draft, member_id: Any) -> None:
    """The picked member, re-checked (a forged id gets the plain refusal)."""
    member = await roster.visible_member(ctx.services, ctx.actor, member_id)
    draft.update(member_id=member.id, member_name=member.name, branch_id=member.branch_id)


def given_at_start(draft: Draft) -> bool:
    """skip_if of the step a start button answers (a member's card, a transfer awaiting its 回执 …)."""
    return bool(draft.get("_fixed"))


def preset_by(accept: Callable[[HandlerCtx, Draft, Any], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """start_with from a step's accept hook: the id of the button is accepted (re-checked) as that step's
    answer, and the step is then skipped (given_at_start)."""

    async def start_with(ctx: HandlerCtx, draft: Draft, item_id: int) -> None:
        await accept(ctx, draft, item_id)
        draft["_fixed"] = True

    return start_with


def given_pick(key: str, prompt: str, items: Any, accept: Any) -> Step:
    """A PICK step that the start button may answer instead (the flow's start_with=preset_by(accept))."""
    return Step(key, PICK, prompt, items=items, accept=accept, skip_if=given_at_start)


preset_member = preset_by(accept_member)


def member_step(default_level: ContactLevel | None = None) -> Step:
    """"Which member?": type a name or tap one (the 失联 list first when `default_level` is LOST)."""

    async def items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
        return await pick_member_items(ctx, d, query, default_level=default_level)

    return given_pick("member_id", N_("Which member? Type the name (or a part of it), or tap below."), items,
                      accept_member)
