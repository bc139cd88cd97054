"""Issue 15's flows: inviting one member of a branch (the branch's members not yet connected, paged, searchable
by typing a part of the name) and joining through the branch's join link (`/start join_<code>`: name, the last
six characters of the ID number, the mobile number, then the one answer of bot.services.joining).

What a joining user types is never echoed whole (the summary masks the number and the mobile) and never logged;
the draft holding it is dropped when the flow ends.
"""

from __future__ import annotations

from typing import Any

from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.phone import mask_mobile, normalise_mobile
from bot.forms.invite_sheet import qr_png
from bot.handlers.common import INVITE_HINT, MENU, HandlerCtx, ctx_of, menu_rows
from bot.handlers.flows.common import OFFICER_HOME
from bot.handlers.invites import deliver_now, invite_caption
from bot.handlers.markup import cb, esc, short
from bot.handlers.wizard import PER_PAGE, PHONE, PICK, TEXT, Draft, Flow, Home, Listing, Result, Step
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import invites as invite_svc
from bot.services import joining
from bot.storage.invites import JOIN_PREFIX

# ---- inviting one member --------------------------------------------------------------------------------


async def _branch(ctx: HandlerCtx, draft: Draft, branch_id: int) -> None:
    draft["branch_name"] = await invite_svc.require_branch_node(ctx.services, ctx.actor, branch_id)
    draft["branch_id"] = branch_id


async def _unbound(ctx: HandlerCtx, draft: Draft, query: str | None, page: int) -> Listing:
    found = await invite_svc.unbound_page(ctx.services, ctx.actor, int(draft["branch_id"]), page, query, PER_PAGE)
    head = ctx._("Not yet connected in {branch}: {n}. Tap a member for their invite link and QR code, ready to "
                 "forward; or type a part of the name.", branch=esc(draft["branch_name"]), n=found.total)
    return Listing(head, [(line.id, f"{short(line.name, 24)} · {line.masked_id}") for line in found.items],
                   found.total)


async def _send_invite(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    invite = await invite_svc.member_invite(ctx.services, ctx.actor, int(d["member"]))
    link = invite_svc.deep_link(screen.context.bot.username or ctx.settings.bot_username or "", invite.code)
    await screen.send_document(qr_png(link), f"invite-{invite.member_id}.png", invite_caption(ctx, invite, link))
    branch = int(d["branch_id"])
    return (ctx._("The invite for {name} is above: forward it to them.", name=esc(invite.name)),
            [[(ctx._("📨 Invite another"), cb("j:pick", branch))], [(ctx._("« Back"), cb("j:menu", branch))]])


INVITE = Flow(
    code="jinv", title=N_("Invite a member"), home=OFFICER_HOME, start="j:pick", start_with=_branch, confirm=False,
    steps=(Step("member", PICK, N_("Whom to invite?"), items=_unbound),), save=_send_invite)


# ---- joining through the branch's join link ---------------------------------------------------------------

T_TITLE = N_("Joining the branch")
T_INTRO = N_("You are joining {branch}: to connect your Telegram account to your record on the branch register, "
             "answer three questions. /cancel stops at any time.")
T_BAD_SIX = N_("That is not six characters of an ID number: type the last six (digits, or X at the end):")
T_BAD_MOBILE = N_("That is not a mobile number: type the 11 digits (13… to 19…):")
T_SENT = N_("Thank you. If these details match the register of {branch}, your branch secretary will be asked to "
            "confirm, and you will hear from me here. If you hear nothing, speak to your branch secretary.")


def _nobody(ctx: HandlerCtx) -> str | None:
    return None     # a stranger may join: the link and the register decide


def _join_menu(ctx: HandlerCtx) -> Result:
    return (ctx._("What would you like to do?"), menu_rows(ctx)) if ctx.is_bound else (ctx._(INVITE_HINT), [])


JOIN_HOME = Home(prefix="jw", guard=_nobody, menu=_join_menu, button=(N_("Menu"), MENU),
                 interrupted=N_("Joining was interrupted: open the branch's join link again."))


async def _check_link(ctx: HandlerCtx, draft: Draft, payload: Any) -> None:
    """The payload of /start: a join link in force, a user not yet bound, not throttled — else the refusal
    ends the flow (PermissionDenied) before anything is asked."""
    text = str(payload or "")
    code = text[len(JOIN_PREFIX):] if text.startswith(JOIN_PREFIX) else ""
    assert ctx.user_id is not None
    try:
        start = await joining.start_join(ctx.services, ctx.user_id, code)
    except DomainError as err:
        raise PermissionDenied(err.message, field=err.field, **err.params) from None
    draft.update(code=code, branch=start.branch_name)


def _six(value: Any, ctx: HandlerCtx, draft: Draft) -> str:
    six = joining.clean_last_six(str(value))
    if not joining.valid_last_six(six):
        raise DomainError(T_BAD_SIX, field="six")
    return six


def _mobile(value: Any, ctx: HandlerCtx, draft: Draft) -> str:
    try:
        return normalise_mobile(str(value))
    except DomainError:
        # Not the domain's message: it quotes what was typed, and a phone number is never echoed.
        raise DomainError(T_BAD_MOBILE, field="mobile") from None


def _summary(ctx: HandlerCtx, d: Draft) -> list[str]:
    return [ctx._("Name: {name}", name=esc(d.get("name"))),
            ctx._("ID number ending: {six}", six="••••" + str(d.get("six") or "")[-2:]),
            ctx._("Mobile: {mobile}", mobile=mask_mobile(str(d.get("mobile") or ""))),
            ctx._("Send to {branch}?", branch=esc(d.get("branch")))]


async def _submit(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    assert ctx.user_id is not None
    user = screen.update.effective_user
    try:
        outcome = await joining.submit_join(ctx.services, ctx.user_id, d["code"], d["name"], d["six"], d["mobile"],
                                            account=user.full_name if user else "")
    except DomainError as err:       # a link revoked meanwhile, the throttle: the flow ends with it
        raise PermissionDenied(err.message, field=None, **err.params) from None
    d["_joined"] = outcome.joined
    # No buttons under the answer (None: an empty keyboard is refused by Telegram).
    if outcome.joined:
        return ctx._(joining.T_JOINED_AUTO, name=esc(outcome.member_name), branch=esc(outcome.branch_name)), \
            None  # type: ignore[return-value]
    deliver_now(screen.context)      # the secretaries' request, now rather than at the sender's next poll
    return ctx._(T_SENT, branch=esc(outcome.branch_name)), None  # type: ignore[return-value]


async def _menu_if_joined(ctx: HandlerCtx, d: Draft, screen: Screen) -> None:
    if d.get("_joined"):
        member = await ctx_of(screen.update, screen.context)   # now a member: their own menu
        await screen.send(member._("What would you like to do?"), menu_rows(member))


JOIN = Flow(
    code="join", title=T_TITLE, home=JOIN_HOME, start="j:join", command="start",
    steps=(Step("link", TEXT, N_("Open your branch's join link."), skip_if=lambda d: bool(d.get("code")),
                accept=_check_link),
           Step("name", TEXT, N_("1/3 · Your name, as on the register:"), max_len=40,
                note=lambda ctx, d: ctx._(T_INTRO, branch=esc(d.get("branch")))),
           Step("six", TEXT, N_("2/3 · The last six characters of your ID number (digits, or X at the end):"),
                max_len=20, parse=_six),
           Step("mobile", PHONE, N_("3/3 · The mobile number the branch has for you:"), parse=_mobile)),
    summary=_summary, save=_submit, after=_menu_if_joined)

FLOWS: tuple[Flow, ...] = (INVITE, JOIN)
