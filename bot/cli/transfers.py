"""`branchbot province ORG_ID PROVINCE` and `branchbot transfer-in …`: what the 回执 statistics table
(seed 001 附件4) needs besides the transfers out — the organization's province and the transfers in."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import command, operator_tr, session
from bot.domain.dates import parse_user_date
from bot.i18n import N_
from bot.services import transfers_in as svc_in
from bot.services.context import OPERATOR


@command
async def cmd_province(args: argparse.Namespace) -> int:
    tr = operator_tr()
    async with session(args) as ctx:
        name = await svc_in.set_province(ctx.svc, OPERATOR, args.org_id, args.province)
    print(tr.gettext(N_("Organization {org} is in {province}"), org=args.org_id, province=name))
    return 0


@command
async def cmd_transfer_in(args: argparse.Namespace) -> int:
    tr = operator_tr()
    async with session(args) as ctx:
        today = ctx.svc.clock.today()
        sent = parse_user_date(args.receipt_sent, today) if args.receipt_sent else None
        new_id = await svc_in.record_transfer_in(ctx.svc, OPERATOR, args.member, parse_user_date(args.on, today),
                                                 args.from_org, args.province, sent, args.note)
    print(tr.gettext(N_("Transfer in {id} recorded"), id=new_id))
    return 0


def register(sub: Any) -> None:
    h = operator_tr().gettext
    p = sub.add_parser("province", help=h(N_("set the province an organization (and its subtree) is in")))
    p.add_argument("org_id", type=int, metavar="ORG_ID")
    p.add_argument("province", metavar="PROVINCE")
    p.set_defaults(func=cmd_province)

    p = sub.add_parser("transfer-in", help=h(N_("record a member's organizational relationship transferred in")))
    p.add_argument("--member", type=int, required=True, metavar="ID")
    p.add_argument("--on", required=True, metavar="DATE", help=h(N_("the day the relationship arrived")))
    p.add_argument("--from-org", required=True, metavar="ORG", help=h(N_("the organization it came from")))
    p.add_argument("--province", required=True, metavar="PROVINCE", help=h(N_("that organization's province")))
    p.add_argument("--receipt-sent", metavar="DATE", help=h(N_("the day the 回执 was sent back")))
    p.add_argument("--note", metavar="TEXT")
    p.set_defaults(func=cmd_transfer_in)
