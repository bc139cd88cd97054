"""Operator commands about people: list and show members, grant roles (import: roster_import.py; invites:
bot/cli/invite.py)."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from bot.cli import common
from bot.cli.common import CliError, command, display_width, operator_tr, pad, parse_code, session
from bot.cli.listing import Column, RowWriter, add_list_options, wants_everything
from bot.domain.codes import ContactLevel, Gender, MemberType, Role
from bot.domain.phone import mask_mobile
from bot.i18n import N_, Translator
from bot.services import admin as admin_svc
from bot.services.context import OPERATOR


def mask_id_number(value: str | None) -> str:
    """First 4 and last 4 characters visible (the CLI never prints a whole ID number)."""
    if not value:
        return "—"
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:]


# --- members ------------------------------------------------------------------------------------------

def member_columns(tr: Translator) -> list[Column]:
    """The member list's columns; JSON keeps the code keys, the table and csv show labels."""
    def label(enum: Any) -> Callable[[Any], str]:
        return lambda v: enum(v).label(tr) if v else "—"

    return [Column("id", N_("ID"), 6), Column("name", N_("Name"), 12), Column("gender", N_("Gender"), 6, label(Gender)),
            Column("id_number", N_("ID number"), 20), Column("mobile", N_("Mobile"), 13),
            Column("type", N_("Type"), 10, label(MemberType)), Column("branch_id", N_("Branch"), 6),
            Column("last_contact_on", N_("Last contact"), 12)]


def member_json(row: Any) -> dict[str, Any]:
    """One member as the list prints it (masked: never a whole ID number or mobile)."""
    from bot.storage.members import member_from_row

    m = member_from_row(row)
    return {"id": m.id, "name": m.name, "gender": m.gender.value if m.gender else None,
            "id_number": mask_id_number(m.id_number) if m.id_number else None,
            "mobile": mask_mobile(m.mobile) if m.mobile else None, "type": m.member_type.value,
            "branch_id": m.branch_id, "last_contact_on": row["last_contact_on"]}


ALL_PAGE_SIZE = 500   # rows fetched per query when printing everything


@command
async def cmd_member_list(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        if args.unbound:
            return await _unbound_list(ctx, args)
        tr = ctx.tr
        everything = wants_everything(args)
        page_no = args.page or 1
        size = ALL_PAGE_SIZE if everything else admin_svc.PAGE_SIZE
        page = await admin_svc.list_members(ctx.svc, OPERATOR, args.branch, page_no, page_size=size)
        if not page.rows and page.total:
            raise CliError(tr.gettext(N_("There is no page {page}: pages 1–{pages} ({total} members)"),
                                      page=page_no, pages=page.pages, total=page.total))
        if not page.rows and args.format == "table":
            print(tr.gettext(N_("No members")))
            return 0
        with RowWriter(args.format, member_columns(tr), tr) as out:
            while True:
                for row in page.rows:
                    out.row(member_json(row))
                if not everything or page.page >= page.pages:
                    break
                page = await admin_svc.list_members(ctx.svc, OPERATOR, args.branch, page.page + 1, page_size=size)
        if args.format != "table":
            return 0
        if everything:
            print(tr.gettext(N_("{total} members"), total=page.total))
        else:
            print(tr.gettext(N_("Page {page} of {pages} ({total} members)"), page=page.page, pages=page.pages,
                             total=page.total))
            if page.pages > 1 and args.page is None:
                print(tr.gettext(N_("--page N for another page, --all for every row")))
    return 0


async def _unbound_list(ctx: Any, args: argparse.Namespace) -> int:
    """Who is still missing: one branch's unbound members (a page), or every branch's count."""
    from bot.services import invites as invite_svc

    tr = ctx.tr
    if args.branch is None:
        for b in await invite_svc.bindings(ctx.svc, OPERATOR):
            print(tr.gettext(N_("{branch} (id {id}): connected to the bot {bound}/{total}"), branch=b.branch_name,
                             id=b.branch_id, bound=b.bound, total=b.total))
        return 0
    count = await invite_svc.binding(ctx.svc, OPERATOR, args.branch)
    page = await invite_svc.unbound_page(ctx.svc, OPERATOR, args.branch, (args.page or 1) - 1)
    widths = (6, 12, 20)
    if page.items:
        heads = (tr.gettext(N_("ID")), tr.gettext(N_("Name")), tr.gettext(N_("ID number")))
        print("  ".join(pad(h, w) for h, w in zip(heads, widths)).rstrip())
    for line in page.items:
        print("  ".join(pad(c, w) for c, w in zip((str(line.id), line.name, line.masked_id), widths)).rstrip())
    print(tr.gettext(N_("{branch}: connected to the bot {bound}/{total}"), branch=count.branch_name,
                     bound=count.bound, total=count.total))
    if page.pages > 1:
        print(tr.gettext(N_("Page {page} of {pages} ({total} members)"), page=page.page + 1, pages=page.pages,
                         total=page.total))
    return 0


@command
async def cmd_member_show(args: argparse.Namespace) -> int:
    from datetime import date

    async with session(args) as ctx:
        tr = ctx.tr
        view = await admin_svc.show_member(ctx.svc, OPERATOR, args.id)
        m, row = view.member, view.row

        def d(value: Any) -> str:
            if value is None:
                return "—"
            return tr.date(value if isinstance(value, date) else date.fromisoformat(value))

        def code(value: Any) -> str:
            return value.label(tr) if value is not None else "—"

        level = ContactLevel.by_code(row["contact_level"])
        lines = [
            (N_("Member number"), f"{m.id}"),
            (N_("Name"), m.name),
            (N_("Gender"), code(m.gender)),
            (N_("Ethnicity"), m.ethnicity or "—"),
            (N_("Native place"), m.native_place or "—"),
            (N_("Birth date"), d(m.birth_date)),
            (N_("ID number"), mask_id_number(m.id_number)),
            (N_("Mobile"), m.mobile or "—"),
            (N_("Other contacts"), m.other_contacts or "—"),
            (N_("Education"), code(m.education)),
            (N_("Joined the Party"), d(m.joined_on)),
            (N_("Confirmed as full member"), d(m.confirmed_on)),
            (N_("Type"), m.member_type.label(tr)),
            (N_("Party post"), code(m.party_post)),
            (N_("Occupation"), code(m.occupation)),
            (N_("Work unit"), m.work_unit or "—"),
            (N_("Household registration"), m.household_register or "—"),
            (N_("Residence"), m.residence or "—"),
            (N_("Branch"), f"{view.branch.name} ({view.branch.id})" if view.branch else str(m.branch_id)),
            (N_("Last organizational life"), d(row["last_meeting_on"])),
            (N_("Last dues"), d(row["last_dues_on"])),
            (N_("Last contact"), d(row["last_contact_on"])),
            (N_("Contact level"), level.label(tr)),
            (N_("Telegram account"), str(view.tg_id) if view.tg_id else tr.gettext(N_("not bound"))),
            (N_("Remarks"), m.remarks or "—"),
        ]
        labels = [tr.gettext(label) for label, _ in lines]
        width = max(display_width(x) for x in labels) + 2
        for label, (_, value) in zip(labels, lines):
            print(pad(label, width) + value)
    return 0


# --- roles --------------------------------------------------------------------------------------------

@command
async def cmd_grant(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        role = parse_code(Role, args.role, tr)
        changed = await admin_svc.set_role(ctx.svc, OPERATOR, args.tg_id, role, args.org_id, revoke=args.revoke)
        org = await admin_svc.get_org(ctx.svc, args.org_id)
        params = dict(tg_id=args.tg_id, role=role.label(tr), org=org.name, id=org.id)
        if args.revoke:
            msg = N_("Revoked {role} over {org} (id {id}) from Telegram user {tg_id}") if changed else \
                N_("Telegram user {tg_id} does not hold {role} over {org} (id {id})")
        else:
            msg = N_("Granted {role} over {org} (id {id}) to Telegram user {tg_id}") if changed else \
                N_("Telegram user {tg_id} already holds {role} over {org} (id {id})")
        print(tr.gettext(msg, **params))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} < 1")
    return value


def register(sub: Any) -> None:
    """Add `member` and `grant` to the `branchbot` parser (import: roster_import.py; invite: invite.py)."""
    h = operator_tr().gettext
    member = sub.add_parser("member", help=h(N_("look members up")))
    member_sub = member.add_subparsers(dest="member_command", required=True)
    p = member_sub.add_parser("list", help=h(N_("list members (a page at a time on a terminal, every row into a "
                                                "pipe or a file)")))
    p.add_argument("--branch", type=int, metavar="ID", help=h(N_("only this branch (default: every branch)")))
    p.add_argument("--page", type=_positive, default=None, metavar="N", help=h(N_("print page N (20 rows)")))
    p.add_argument("--unbound", action="store_true",
                   help=h(N_("only the members not yet connected to the bot (without --branch: each branch's count)")))
    add_list_options(p, h)
    p.set_defaults(func=cmd_member_list)
    p = member_sub.add_parser("show", help=h(N_("one member's record (ID number masked)")))
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_member_show)

    p = sub.add_parser("grant", help=h(N_("grant (or --revoke) a role over an organization")))
    p.add_argument("tg_id", type=int, metavar="TG_ID")
    p.add_argument("role", choices=[r.value for r in Role])
    p.add_argument("org_id", type=int, metavar="ORG_ID")
    p.add_argument("--revoke", action="store_true")
    p.set_defaults(func=cmd_grant)

