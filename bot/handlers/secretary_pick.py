"""Picking a member in a secretary flow: by a typed name, or from the 失联 list; the pick re-checked."""

from __future__ import annotations

from typing import Any

from bot.domain.codes import ContactLevel
from bot.handlers.common import HandlerCtx
from bot.handlers.markup import esc, short
from bot.handlers.secretary_flow import PICK, Item, Step
from bot.handlers.secretary_members import LEVEL_ICON
from bot.i18n import N_
from bot.services import roster

PICK_LIMIT = 500   # candidates offered in a picker (paged ten at a time)


def member_items(summaries: list[roster.MemberSummary]) -> list[Item]:
    return [(s.id, f"{LEVEL_ICON[s.level]} {short(s.name, 30)}") for s in summaries]


async def pick_member_items(ctx: HandlerCtx, draft: dict, query: str | None, *,
                            default_level: ContactLevel | None = None) -> tuple[str, list[Item]]:
    """Members matching a typed name; with no name yet, the 失联 list (or everyone) to tap."""
    if query:
        page = await roster.list_members(ctx.services, ctx.actor, 0, name=query, size=PICK_LIMIT)
        head = ctx._("Members named “{name}”: {n}. Tap one, or type another name.", name=esc(query), n=page.total)
        return head, member_items(page.items)
    if default_level is not None:
        page = await roster.out_of_contact(ctx.services, ctx.actor, default_level, 0, size=PICK_LIMIT)
        head = ctx._("Lost contact (失联): {n}. Tap one, or type a name to search all members.", n=page.total)
        return head, member_items(page.items)
    page = await roster.list_members(ctx.services, ctx.actor, 0, size=PICK_LIMIT)
    return ctx._("Tap a member, or type a name:"), member_items(page.items)


async def accept_member(ctx: HandlerCtx, draft: dict, member_id: Any) -> None:
    """The picked member, re-checked (a forged id gets the plain refusal)."""
    member = await roster.visible_member(ctx.services, ctx.actor, member_id)
    draft.update(member_id=member.id, member_name=member.name, branch_id=member.branch_id)


async def preset_member(ctx: HandlerCtx, draft: dict, member_id: int) -> None:
    await accept_member(ctx, draft, member_id)
    draft["_fixed"] = True


def member_step(**kw: Any) -> Step:
    level = kw.pop("default_level", None)
    return Step("member_id", PICK, N_("Which member? Type the name (or a part of it), or tap below."),
                items=lambda ctx, d, q: pick_member_items(ctx, d, q, default_level=level),
                accept=accept_member, skip_if=lambda d: bool(d.get("_fixed")), **kw)


