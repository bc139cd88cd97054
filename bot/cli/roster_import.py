"""`branchbot import FILE --branch ID [--good-only] [--update]`: the report a secretary reads.

Every bad row is listed (a 2,000-row file with 300 bad rows prints 300 lines: the operator corrects them all
in one pass), then per sheet what was read and skipped, then what the file would change in the register.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli import common
from bot.cli.common import CliError, command, operator_tr, session
from bot.domain.codes import CodedEnum, Education, Gender, LostContactReason, MemberType, Occupation, PartyPost
from bot.forms.roster import BY_KEY
from bot.i18n import N_, Translator
from bot.services import importing
from bot.services.context import OPERATOR

CODED_FIELDS: dict[str, type[CodedEnum]] = {
    "gender": Gender, "education": Education, "member_type": MemberType, "party_post": PartyPost,
    "occupation": Occupation, "lost_reason": LostContactReason,
}
FIELD_LABELS = {"birth_date": N_("Birth date"), "id_number": N_("ID number"), "gender": N_("Gender"),
                "member_type": N_("Type"), "name": N_("Name")}


class ProgressLine(common.ProgressLine):
    """`\\r导入 3200/10000` on stderr, only when stderr is a terminal."""

    def __init__(self, tr: Translator, stream: Any = None):
        super().__init__(tr, N_("Importing {done}/{total}"), N_("Importing {done}"), stream)


def _where(tr: Translator, err: importing.RowError, many_sheets: bool) -> str:
    reason = err.error.localized(tr)
    if err.whole_sheet:
        return tr.gettext(N_("Sheet {sheet}: {text}"), sheet=err.sheet, text=reason) if err.sheet else reason
    if many_sheets and err.sheet:
        if err.header:
            return tr.gettext(N_("Sheet {sheet}, row {row}, {column}: {reason}"), sheet=err.sheet, row=err.row,
                              column=err.header, reason=reason)
        return tr.gettext(N_("Sheet {sheet}, row {row}: {reason}"), sheet=err.sheet, row=err.row, reason=reason)
    if err.header:
        return tr.gettext(N_("Row {row}, {column}: {reason}"), row=err.row, column=err.header, reason=reason)
    return tr.gettext(N_("Row {row}: {reason}"), row=err.row, reason=reason)


def _value(tr: Translator, name: str, value: Any) -> str:
    if value is None:
        return "—"
    enum = CODED_FIELDS.get(name)
    if enum is not None:
        try:
            return enum(value).label(tr)
        except ValueError:
            pass
    return str(value)


def _change_line(tr: Translator, u: importing.Update, many_sheets: bool) -> str:
    parts = []
    for c in u.changes:
        label = BY_KEY[c.column].header if c.column in BY_KEY else tr.gettext(FIELD_LABELS.get(c.field, c.field))
        parts.append(f"{label} {_value(tr, c.field, c.before)} → {_value(tr, c.field, c.after)}")
    where = (tr.gettext(N_("Sheet {sheet}, row {row}"), sheet=u.row.sheet, row=u.row.row) if many_sheets and
             u.row.sheet else tr.gettext(N_("Row {row}"), row=u.row.row))
    return tr.gettext(N_("{where}: {name} (member {id}): {changes}"), where=where, name=u.member.name,
                      id=u.member.id, changes=tr.gettext(N_("; ")).join(parts))


def _print_sheets(tr: Translator, report: importing.ImportReport, many: bool) -> None:
    for s in report.sheets:
        if s.hidden and s.problem is not None:
            print(tr.gettext(N_("Sheet {sheet}: {text}"), sheet=s.name, text=s.problem.localized(tr)))
        elif many and s.problem is not None and not s.refused:
            print(tr.gettext(N_("Sheet {sheet}: no roster header (姓名 …), not read"), sheet=s.name))
        elif many and not s.refused:
            print(tr.gettext(N_("Sheet {sheet}: {rows} rows read, {bad} with errors"), sheet=s.name, rows=s.rows,
                             bad=s.bad_rows))
        if s.totals:
            rows = "、".join(str(r) for r in s.totals)
            text = tr.gettext(N_("Skipped {n} total rows (合计, 小计 …), not members: rows {rows}"), n=len(s.totals),
                              rows=rows)
            print(tr.gettext(N_("Sheet {sheet}: {text}"), sheet=s.name, text=text) if many else text)
        if s.ignored_columns and not s.refused:
            text = tr.gettext(N_("Columns left out (not roster columns): {columns}"),
                              columns="、".join(s.ignored_columns))
            print(tr.gettext(N_("Sheet {sheet}: {text}"), sheet=s.name, text=text) if many else text)


def _print_register(tr: Translator, report: importing.ImportReport, many: bool) -> None:
    if not (report.updates or report.unchanged or report.missing):
        return   # a first import: nothing to compare with
    print(tr.gettext(N_("Against the register: {new} new, {changed} changed, {unchanged} unchanged, {missing} not in"
                        " the file."), new=report.new, changed=len(report.updates), unchanged=report.unchanged,
                     missing=len(report.missing)))
    for u in report.updates:
        print("  " + _change_line(tr, u, many))
    if report.missing:
        names = "、".join(f"{m.name} ({m.id})" for m in report.missing)
        print(tr.gettext(N_("In the register but not in the file (left as they are; record a transfer or a"
                            " departure for them): {names}"), names=names))


@command
async def cmd_import(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        path = Path(args.file)
        if not path.is_file():
            raise CliError(tr.gettext(N_("No such file: {path}"), path=str(path)))
        progress = ProgressLine(tr)
        try:
            report = await importing.import_roster(ctx.svc, OPERATOR, path, args.branch, good_only=args.good_only,
                                                   progress=progress, update=args.update)
        finally:
            progress.end()
    many = len(report.sheets) > 1
    for err in report.errors:
        print(_where(tr, err, many))
    for note in report.notes:
        print(_where(tr, note, many))
    _print_sheets(tr, report, many)
    good = report.good_rows
    print(tr.gettext(N_("Read {rows} rows: {good} good, {bad} with errors."), rows=report.rows, good=good,
                     bad=report.bad_rows))
    _print_register(tr, report, many)
    if report.written:
        print(tr.gettext(N_("Imported {n} members into {branch} (id {id})."), n=report.imported,
                         branch=report.branch_name, id=report.branch_id))
        if report.updated:
            print(tr.gettext(N_("Updated {n} members; each changed field is in the audit trail."), n=report.updated))
        return 0
    if report.errors and not args.good_only and not good:
        print(tr.gettext(N_("Nothing was written: correct the rows above.")))
        return 1
    if report.errors and not args.good_only:
        print(tr.gettext(N_("Nothing was written: correct the rows above, or run again with --good-only to import"
                            " the {good} good rows."), good=good))
        return 1
    if report.needs_update:
        print(tr.gettext(N_("Nothing was written: run again with --update to apply the changes above.")))
        return 1
    if report.unchanged and not report.new:
        print(tr.gettext(N_("Nothing to import: the members of the file are in the register, unchanged.")))
        return 1 if report.errors else 0
    print(tr.gettext(N_("Nothing was imported: the file has no good member rows.")))
    return 1


def register(sub: Any) -> None:
    """Add `import` to the `branchbot` parser."""
    h = operator_tr().gettext
    p = sub.add_parser("import", help=h(N_("import a 支部党员名册 (.xlsx, .xls or .csv) into a branch")))
    p.add_argument("file", metavar="FILE")
    p.add_argument("--branch", type=int, required=True, metavar="ID", help=h(N_("the branch the members belong to")))
    p.add_argument("--good-only", action="store_true",
                   help=h(N_("import the good rows even if other rows have errors")))
    p.add_argument("--update", action="store_true",
                   help=h(N_("apply the changes to members already in the register (empty cells change nothing)")))
    p.set_defaults(func=cmd_import)
