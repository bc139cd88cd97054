"""`branchbot export FORM --org ID [--member ID] [--as-of DATE] [--format xlsx|csv|docx] [--variant V] -o FILE`
and `branchbot export --list`: fill an official form from the register (the operator may export any node).

Without -o the file gets its official name (支部党员名册-创意园党支部-2026-12-01.xlsx) in the current folder.
A long export shows its progress on stderr when that is a terminal.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, ProgressLine, command, display_width, operator_tr, pad, session
from bot.domain.dates import parse_user_date
from bot.forms.output import FORMATS
from bot.forms.registry import FormRequest
from bot.i18n import N_, Translator
from bot.services import forms as forms_svc
from bot.services.context import OPERATOR

T_DONE = N_("{title} for {scope}: {rows} row(s) written to {path}")
T_PROGRESS = N_("Exporting {done}/{total}")
T_PROGRESS_NO_TOTAL = N_("Exporting {done}")
T_NEED_FORM = N_("Name a form (see “branchbot export --list”) and --org")
T_NEED_ORG = N_("--org is required: the organization the form is filled for")


def list_forms(tr: Translator) -> int:
    specs = forms_svc.forms_list()
    width = max(display_width(s.name) for s in specs)
    for s in specs:
        variants = f"  --variant {'/'.join(s.variants)}" if s.variants else ""
        print(f"{s.number:>2}  {pad(s.name, width)}  {s.title}  [{', '.join(s.formats)}]{variants}")
    return 0


def _date(text: str | None, today: date, tr: Translator) -> date | None:
    return parse_user_date(text, today) if text else None


@command
async def cmd_export(args: argparse.Namespace) -> int:
    tr = operator_tr()
    if args.list:
        return list_forms(tr)
    if not args.form:
        raise CliError(tr.gettext(T_NEED_FORM))
    if args.org is None:
        raise CliError(tr.gettext(T_NEED_ORG))
    spec = forms_svc.form(args.form)
    async with session(args) as ctx:
        today = ctx.svc.clock.today()
        req = FormRequest(form=spec.name, org_id=args.org, as_of=_date(args.as_of, today, tr) or today,
                          fmt=args.format or spec.default_format, member_ids=tuple(args.member or ()),
                          variant=args.variant, since=_date(args.since, today, tr), preparer=args.preparer or "",
                          phone=args.phone or "", by_branch=args.by_branch)
        progress = ProgressLine(tr, T_PROGRESS, T_PROGRESS_NO_TOTAL)
        target = Path(args.output) if args.output else None
        if target is None:
            # the official name needs the scope: write to a temporary name, then rename
            tmp = Path(f".branchbot-export-{spec.name}.{req.fmt}")
            result = await forms_svc.export_form(ctx.svc, OPERATOR, req, tmp, progress)
            target = Path(result.filename)
            tmp.replace(target)
        else:
            result = await forms_svc.export_form(ctx.svc, OPERATOR, req, target, progress)
        progress.end()
    print(tr.gettext(T_DONE, title=result.title, scope=result.scope_name, rows=result.rows, path=str(target)))
    return 0


def register(sub: Any) -> None:
    h = operator_tr().gettext
    p = sub.add_parser("export", help=h(N_("fill an official form (register or per-member record) from the register")))
    p.add_argument("form", nargs="?", metavar="FORM", help=h(N_("the form's name (see --list)")))
    p.add_argument("--list", action="store_true", help=h(N_("list the forms: number, name, official title, formats")))
    p.add_argument("--org", type=int, metavar="ID", help=h(N_("the organization the form is filled for (its whole"
                                                                " subtree)")))
    p.add_argument("--member", type=int, action="append", metavar="ID",
                   help=h(N_("per-member forms: this member (repeat for several; default: every one that qualifies)")))
    p.add_argument("--as-of", metavar="DATE", help=h(N_("the 填表日期 (default: today)")))
    p.add_argument("--since", metavar="DATE", help=h(N_("start of the period a register covers (default: 1 January"
                                                          " of the 填表日期's year)")))
    p.add_argument("--format", choices=FORMATS, help=h(N_("file format (default: the form's first)")))
    p.add_argument("--variant", metavar="V", help=h(N_("a variant of the form (see --list)")))
    p.add_argument("--preparer", metavar="NAME", help=h(N_("the 填表人 printed in the footer")))
    p.add_argument("--phone", metavar="PHONE", help=h(N_("the 填表人's 联系电话")))
    p.add_argument("--by-branch", action="store_true",
                   help=h(N_("summary tables: the per-branch table first (the csv is that table)")))
    p.add_argument("-o", "--output", metavar="FILE", help=h(N_("where to write (default: the official file name)")))
    p.set_defaults(func=cmd_export)
