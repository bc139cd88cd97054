"""Operator commands about the installation: init, org, template, audit, backup (people are in
bot/cli/members.py). Each prints in the operator's language (BRANCHBOT_LANGUAGE)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any, Callable

from bot.cli.common import CliError, check_database_file, command, db_path, operator_tr, parse_code, session
from bot.cli.listing import Column, RowWriter, add_list_options
from bot.config import Settings
from bot.domain.codes import OrgCategory, OrgLevel
from bot.i18n import N_, Translator, translator
from bot.services import admin as admin_svc
from bot.services.context import OPERATOR


# --- init ---------------------------------------------------------------------------------------------

@command
async def cmd_init(args: argparse.Namespace) -> int:
    settings = Settings()
    tr = translator(settings.default_language)
    path = db_path(args, settings)
    key_missing = not settings.audit_key and not Path(settings.audit_key_file).exists()
    check_database_file(path, tr, create=True)
    if key_missing and path.exists():
        with sqlite3.connect(path) as conn:
            has_trail = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").fetchone() and \
                conn.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone()
        conn.close()
        if has_trail:
            # A new key would make the existing trail unverifiable: never paper over a lost key.
            raise CliError(tr.gettext(N_("The database {path} has an audit trail but the audit key file {key} is"
                                         " missing: restore the key file instead of creating a new one"),
                                      path=str(path), key=str(settings.audit_key_file)))
    settings.audit_key_bytes(create=True)
    if key_missing:
        print(tr.gettext(N_("Audit key created: {path} (keep it safe and back it up apart from the database)"),
                         path=str(settings.audit_key_file)))
    async with session(args, create=True) as ctx:
        row = await ctx.db.fetchone("SELECT MAX(version) FROM schema_migrations")
        print(tr.gettext(N_("Database ready: {path} (schema version {version})"), path=str(path), version=row[0]))
    return 0


# --- org ----------------------------------------------------------------------------------------------

def category_choices(tr: Translator) -> str:
    """The nine 党组织类别 with their codes, one a line (what a missing --category error shows)."""
    def line(m: OrgCategory) -> str:
        label = m.label(tr)
        return f"  {m.code} {m.mark} {m.value:<20} {m.zh}" + (f"  ({label})" if label != m.zh else "")

    return "\n".join(line(m) for m in OrgCategory)


@command
async def cmd_org_add(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        if not args.category:
            raise CliError(tr.gettext(N_("Give the 党组织类别 with --category, by its code or key:")) + "\n"
                           + category_choices(tr))
        level = parse_code(OrgLevel, args.level, tr)
        category = parse_code(OrgCategory, args.category, tr)
        org_id = await admin_svc.add_org(ctx.svc, OPERATOR, args.name, level, category, args.parent)
        print(tr.gettext(N_("Organization {id} added: {name} ({level})"), id=org_id, name=args.name.strip(),
                         level=level.label(tr)))
    return 0


def org_columns(tr: Translator) -> list[Column]:
    def label(enum: Any) -> Callable[[Any], str]:
        return lambda v: enum(v).label(tr)

    return [Column("id", N_("ID"), 6), Column("name", N_("Name"), 24), Column("level", N_("Level"), 16, label(OrgLevel)),
            Column("category", N_("Category"), 16, label(OrgCategory)), Column("parent_id", N_("Above"), 6),
            Column("depth", N_("Depth"), 6), Column("members", N_("Member count"), 6)]


@command
async def cmd_org_list(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        tr = ctx.tr
        nodes = await admin_svc.org_tree(ctx.svc, OPERATOR)
        if args.format != "table":
            # Flat rows for a spreadsheet or a script; the tree is in parent_id and depth.
            with RowWriter(args.format, org_columns(tr), tr) as out:
                for node in nodes:
                    o = node.org
                    out.row({"id": o.id, "name": o.name, "level": o.level.value, "category": o.category.value,
                             "parent_id": o.parent_id, "depth": node.depth, "members": node.members})
            return 0
        if not nodes:
            print(tr.gettext(N_("No organizations yet: add one with “branchbot org add”")))
            return 0
        for node in nodes:
            prefix = "".join("   " if last else "│  " for last in node.ancestors_last[1:])
            if node.depth:
                prefix += "└─ " if node.last else "├─ "
            o = node.org
            line = f"{prefix}{o.id}  {o.name}  [{o.level.label(tr)} · {o.category.label(tr)}]"
            if node.members or o.level is OrgLevel.BRANCH:
                line += "  " + tr.gettext(N_("members: {n}"), n=node.members)
            print(line)
    return 0


# --- template -----------------------------------------------------------------------------------------

def cmd_template_roster(args: argparse.Namespace) -> int:
    from bot.forms.roster_file import write_template

    tr = operator_tr()
    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        raise CliError(tr.gettext(N_("The template is an .xlsx workbook: give a file name ending in .xlsx")))
    try:
        write_template(path)
    except OSError as exc:
        raise CliError(tr.gettext(N_("Cannot write {path}: {reason}"), path=str(path), reason=exc.strerror or exc))
    print(tr.gettext(N_("Roster template written: {path}"), path=str(path)))
    return 0


# --- audit and backup ---------------------------------------------------------------------------------

AUDIT_KINDS = {
    "edited": N_("the row was changed after it was written"),
    "deleted": N_("rows are missing"),
    "reordered": N_("rows are out of order"),
    "truncated": N_("rows were cut off the end"),
    "head": N_("the chain head is missing or was altered"),
}


@command
async def cmd_audit_verify(args: argparse.Namespace) -> int:
    async with session(args) as ctx:
        problems = await ctx.db.verify_audit()
        if problems:
            first = problems[0]
            print(ctx.tr.gettext(N_("Audit trail broken at row {row}: {kind} ({what})"), row=first.row_id,
                                 kind=first.kind, what=ctx.tr.gettext(AUDIT_KINDS.get(first.kind, first.detail))))
            return 1
        count = (await ctx.db.fetchone("SELECT COUNT(*) FROM audit_log"))[0]
        print(ctx.tr.gettext(N_("OK, {n} rows"), n=count))
    return 0


@command
async def cmd_backup(args: argparse.Namespace) -> int:
    tr = operator_tr()
    dest = Path(args.dest)
    if dest.exists():
        raise CliError(tr.gettext(N_("{path} already exists: choose a new file name"), path=str(dest)))
    async with session(args) as ctx:
        if dest.resolve() == ctx.db_path.resolve():
            raise CliError(tr.gettext(N_("{path} already exists: choose a new file name"), path=str(dest)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        await ctx.db.backup(dest)
    with sqlite3.connect(dest) as conn:   # read the copy back: a backup nobody can open is no backup
        members = conn.execute("SELECT COUNT(*) FROM members").fetchone()[0]
        audit = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    conn.close()
    print(tr.gettext(N_("Backup written: {path} ({members} members, {audit} audit rows)"), path=str(dest),
                     members=members, audit=audit))
    return 0


# --- registration -------------------------------------------------------------------------------------

def register(sub: Any) -> None:
    """Add the operator subcommands to the `branchbot` parser."""
    tr = operator_tr()
    h = tr.gettext

    p = sub.add_parser("init", help=h(N_("create or upgrade the database and the audit key")))
    p.set_defaults(func=cmd_init)

    org = sub.add_parser("org", help=h(N_("the organization tree")))
    org_sub = org.add_subparsers(dest="org_command", required=True)
    p = org_sub.add_parser("add", help=h(N_("add an organization")))
    p.add_argument("name", metavar="NAME")
    p.add_argument("--level", default=OrgLevel.BRANCH.value, choices=[m.value for m in OrgLevel],
                   help=h(N_("its place in the tree (default: branch)")))
    p.add_argument("--category", metavar="CATEGORY",
                   help=h(N_("党组织类别: a key ({keys}) or its code 1–9"),
                          keys=", ".join(m.value for m in OrgCategory)))
    p.add_argument("--parent", type=int, metavar="ID", help=h(N_("the id of the organization above it")))
    p.set_defaults(func=cmd_org_add)
    p = org_sub.add_parser("list", help=h(N_("print the organization tree")))
    add_list_options(p, h)
    p.set_defaults(func=cmd_org_list)

    tpl = sub.add_parser("template", help=h(N_("write a blank form")))
    tpl_sub = tpl.add_subparsers(dest="template_command", required=True)
    p = tpl_sub.add_parser("roster", help=h(N_("a blank 支部党员名册 .xlsx with its 填表说明")))
    p.add_argument("file", metavar="FILE.xlsx")
    p.set_defaults(func=cmd_template_roster)

    audit = sub.add_parser("audit", help=h(N_("the audit trail")))
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    p = audit_sub.add_parser("verify", help=h(N_("check the audit chain (exit 1 if it is broken)")))
    p.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("backup", help=h(N_("a consistent copy of the database, taken while it runs")))
    p.add_argument("dest", metavar="DEST")
    p.set_defaults(func=cmd_backup)
