"""`branchbot summary FORM --org ID [--as-of DATE] [--format xlsx|csv] [--by-branch] -o FILE`.

The summary tables (附件6 lost-summary, 附件7 disposition-summary, 统计表 A–X disposition-stats) until the
forms engine's `branchbot export` lists them (bot.forms.summary.registry.SUMMARY_FORMS is what it reads).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli import CliError
from bot.cli.admin import command, operator_tr, session
from bot.domain.dates import parse_user_date
from bot.domain.summary_checks import SummaryIdentityError
from bot.forms.summary.registry import SUMMARY_FORMS
from bot.i18n import N_
from bot.services import summaries
from bot.services.context import OPERATOR


def parse_as_of(text: str | None, today: date) -> date | None:
    """--as-of as people type dates (2026-11-30, 2026年11月30日); never in the future."""
    return parse_user_date(text, today) if text else None


@command
async def cmd_summary(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        fmt = args.format or ("csv" if str(args.output).lower().endswith(".csv") else "xlsx")
        out = Path(args.output)
        tmp = out.with_name(out.name + ".part")
        try:
            result = await summaries.export_summary(
                ctx.svc, OPERATOR, args.form, args.org, tmp, as_of=parse_as_of(args.as_of, ctx.svc.clock.today()),
                fmt=fmt, by_branch=args.by_branch)
        except SummaryIdentityError as exc:
            tmp.unlink(missing_ok=True)
            raise CliError(tr.gettext(N_("Not written, the table does not add up: {reason}"),
                                      reason=exc.localized(tr))) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(out)
    print(tr.gettext(N_("{form} for {org} on {date}: {rows} rows written to {path}"), form=SUMMARY_FORMS[args.form].title,
                     org=result.org_name, date=result.as_of.isoformat(), rows=result.rows, path=str(out)))
    return 0


def register(sub: Any) -> None:
    tr = operator_tr()
    h = tr.gettext
    p = sub.add_parser("summary", help=h(N_("a summary table (附件6, 附件7, 统计表 A–X) for an organization's subtree")))
    p.add_argument("form", choices=list(SUMMARY_FORMS), metavar="FORM",
                   help=h(N_("one of: {names}"), names=", ".join(SUMMARY_FORMS)))
    p.add_argument("--org", type=int, required=True, metavar="ID", help=h(N_("the organization node (its whole subtree)")))
    p.add_argument("--as-of", metavar="DATE", help=h(N_("the 填表日期 (default: today)")))
    p.add_argument("--format", choices=summaries.FORMATS, help=h(N_("xlsx (default) or csv")))
    p.add_argument("--by-branch", action="store_true", help=h(N_("csv: one row per branch instead of per 职业")))
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=h(N_("the file to write")))
    p.set_defaults(func=cmd_summary)
