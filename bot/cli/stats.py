"""`branchbot stats --org ID [--as-of DATE] [--json]`: the node at a glance, as /stats shows it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.common import command, display_width, operator_tr, pad, session
from bot.domain.dates import parse_user_date
from bot.i18n import N_
from bot.services import stats as stats_svc
from bot.services.context import OPERATOR
from bot.services.stats_chart import state_label


@command
async def cmd_stats(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        at = parse_user_date(args.as_of, ctx.svc.clock.today()) if args.as_of else None
        s = await stats_svc.node_stats_for(ctx.svc, OPERATOR, args.org, at)
        branches, total = await stats_svc.branches_needing_search(ctx.svc, OPERATOR, args.org, at, limit=args.top)
    if args.json:
        data = s.as_json()
        data["branches"] = [b.__dict__ for b in branches]
        data["branches_total"] = total
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    lines = [
        (tr.gettext(N_("Members on the register")), s.members), (tr.gettext(N_("In contact")), s.in_contact),
        (tr.gettext(N_("Out of contact over one month")), s.out_of_control),
        (tr.gettext(N_("Lost contact over six months")), s.lost), (tr.gettext(N_("Flow members")), s.flow),
        (tr.gettext(N_("Transfers without receipt")), s.transfers_without_receipt),
        (tr.gettext(N_("Search attempts this month")), s.attempts_this_month),
    ]
    lines += [(tr.gettext(N_("Open cases: {state}"), state=state_label(k, tr)), v) for k, v in s.open_cases.items()]
    print(tr.gettext(N_("{org} on {date}"), org=s.org_name, date=s.as_of.isoformat()))
    width = max(display_width(label) for label, _ in lines)
    for label, value in lines:
        print(f"  {pad(label, width)}  {value}")
    if total > 1:
        print(tr.gettext(N_("Branches by lost members with no search attempt in the last 30 days:")))
        for b in branches:
            print("  " + tr.gettext(N_("{name}: {unsearched} of {lost} lost members not searched for"),
                                    name=b.name, unsearched=b.unsearched, lost=b.lost))
    return 0


def register(sub: Any) -> None:
    h = operator_tr().gettext
    p = sub.add_parser("stats", help=h(N_("an organization node at a glance (what /stats shows)")))
    p.add_argument("--org", type=int, required=True, metavar="ID")
    p.add_argument("--as-of", metavar="DATE", help=h(N_("the day to count on (default: today)")))
    p.add_argument("--json", action="store_true", help=h(N_("print JSON")))
    p.add_argument("--top", type=int, default=10, metavar="N", help=h(N_("how many branches to list")))
    p.set_defaults(func=cmd_stats)
