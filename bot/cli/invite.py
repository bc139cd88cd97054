"""`branchbot invite`: one member's or officer's invite, the invite sheet of every unbound member of a branch
(xlsx with a QR code per row), and the branch's join link for its group chat (print, renew, revoke)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from bot.cli.common import CliError, Ctx, command, operator_tr, parse_code, session
from bot.cli.members import _positive
from bot.domain.codes import Role
from bot.forms.invite_sheet import invite_sheet
from bot.i18n import N_
from bot.services import admin as admin_svc
from bot.services import invites as invite_svc
from bot.services.context import OPERATOR


def bot_username(args: argparse.Namespace, ctx: Ctx) -> str:
    username = (args.bot_username or ctx.settings.bot_username or "").strip().lstrip("@")
    if not username:
        raise CliError(ctx.tr.gettext(N_("The bot's username is not set: set BRANCHBOT_BOT_USERNAME or pass"
                                         " --bot-username")))
    return username


@command
async def cmd_invite(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        modes = [args.member is not None, args.role is not None, args.unbound, args.join]
        if sum(modes) != 1:
            raise CliError(tr.gettext(N_("Give one of --member ID, --role ROLE --org ID, --branch ID --unbound -o"
                                         " FILE.xlsx, or --join --branch ID")))
        if (args.revoke and not args.join) or (args.renew and not (args.join or args.unbound)):
            raise CliError(tr.gettext(N_("--revoke goes with --join, --renew with --join or --unbound")))
        if (args.unbound or args.join) and args.branch is None:
            raise CliError(tr.gettext(N_("Name the branch with --branch ID")))
        if args.unbound:
            return await _bulk(args, ctx)
        if args.join:
            return await _join(args, ctx)
        return await _one(args, ctx)


async def _one(args: argparse.Namespace, ctx: Ctx) -> int:
    tr = ctx.tr
    username = bot_username(args, ctx)
    role = parse_code(Role, args.role, tr) if args.role else None
    if role is not None and args.org is None:
        raise CliError(tr.gettext(N_("A role invite names the organization (--org)")))
    invite = await admin_svc.create_invite(ctx.svc, OPERATOR, member_id=args.member, role=role,
                                           org_id=args.org, days=args.days)
    until = tr.datetime(invite.expires_at, tz=ctx.svc.clock.tz)
    if invite.member_id is not None:
        view = await admin_svc.show_member(ctx.svc, OPERATOR, invite.member_id)
        print(tr.gettext(N_("One-time invite for member {name} (id {id}), valid until {until}:"),
                         name=view.member.name, id=invite.member_id, until=until))
    else:
        org = await admin_svc.get_org(ctx.svc, invite.org_id)
        print(tr.gettext(N_("One-time invite for the role {role} over {org} (id {id}), valid until {until}:"),
                         role=role.label(tr), org=org.name, id=org.id, until=until))
    print(invite_svc.deep_link(username, invite.code))
    return 0


async def _bulk(args: argparse.Namespace, ctx: Ctx) -> int:
    tr = ctx.tr
    if not args.output:
        raise CliError(tr.gettext(N_("Name the file to write with -o FILE.xlsx")))
    out = Path(args.output)
    if out.suffix.lower() != ".xlsx":
        raise CliError(tr.gettext(N_("The invite sheet is an .xlsx file: {path}"), path=str(out)))
    if not out.parent.is_dir():
        raise CliError(tr.gettext(N_("No such folder: {path}"), path=str(out.parent)))
    username = bot_username(args, ctx)
    links = await invite_svc.bulk_invites(ctx.svc, OPERATOR, args.branch, days=args.days, renew=args.renew)
    org = await admin_svc.get_org(ctx.svc, args.branch)
    title = tr.gettext(N_("{branch}: invites for the members not yet connected ({date})"), branch=org.name,
                       date=tr.date(ctx.svc.clock.today()))
    out.write_bytes(invite_sheet(title, links, lambda code: invite_svc.deep_link(username, code), tr,
                                 ctx.svc.clock.tz))
    new = sum(1 for link in links if link.new)
    print(tr.gettext(N_("Wrote {path}: {n} members not yet connected ({new} new invites, {kept} printed again)."),
                     path=str(out), n=len(links), new=new, kept=len(links) - new))
    return 0


async def _join(args: argparse.Namespace, ctx: Ctx) -> int:
    tr = ctx.tr
    if args.revoke:
        revoked = await invite_svc.revoke_join_link(ctx.svc, OPERATOR, args.branch)
        print(tr.gettext(N_("The join link of the branch was revoked.") if revoked
                         else N_("The branch has no join link in force.")))
        return 0
    username = bot_username(args, ctx)
    days = args.days if args.days_given else invite_svc.JOIN_LINK_DAYS
    link = await invite_svc.join_link(ctx.svc, OPERATOR, args.branch, days=days, renew=args.renew)
    until = tr.datetime(link.expires_at, tz=ctx.svc.clock.tz)
    print(tr.gettext(N_("Join link of {branch} for its group chat, valid until {until}:"), branch=link.branch_name,
                     until=until))
    print(invite_svc.deep_link(username, link.payload))
    return 0


class _Days(argparse.Action):
    """--days, remembering it was given (the join link's default differs from an invite's)."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option_string: Any = None) -> None:
        namespace.days = values
        namespace.days_given = True


def register(sub: Any) -> None:
    """Add `invite` to the `branchbot` parser."""
    h: Callable[..., str] = operator_tr().gettext
    p = sub.add_parser("invite", help=h(N_("invite links: one member or officer, every unbound member of a branch"
                                           " (xlsx with QR codes), or the branch's join link")))
    p.add_argument("--member", type=int, metavar="ID", help=h(N_("a one-time invite for this member")))
    p.add_argument("--role", choices=[r.value for r in Role], help=h(N_("a one-time invite for an officer role")))
    p.add_argument("--org", type=int, metavar="ID", help=h(N_("the organization of the role")))
    p.add_argument("--branch", type=int, metavar="ID", help=h(N_("the branch (with --unbound or --join)")))
    p.add_argument("--unbound", action="store_true",
                   help=h(N_("an invite for every member of the branch not yet connected, written to -o FILE.xlsx")))
    p.add_argument("-o", "--output", metavar="FILE.xlsx", help=h(N_("the invite sheet to write")))
    p.add_argument("--renew", action="store_true",
                   help=h(N_("replace the links already handed out (they stop working)")))
    p.add_argument("--join", action="store_true", help=h(N_("the branch's join link for its group chat")))
    p.add_argument("--revoke", action="store_true", help=h(N_("with --join: stop the join link")))
    p.add_argument("--days", type=_positive, default=7, metavar="N", action=_Days,
                   help=h(N_("days the invite stays valid (7; a join link 30)")))
    p.add_argument("--bot-username", metavar="NAME", help=h(N_("the bot's Telegram username")))
    p.set_defaults(func=cmd_invite, days_given=False)
