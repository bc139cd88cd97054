"""`branchbot scan [--now DATETIME] [--dry-run] [--json]`: run the contact scan once and print its flags.

--now sets the clock (naive times are in BRANCHBOT_TIMEZONE); the scan then works as on that day.
A run with --now does not record itself in job_runs (a date in the future would otherwise hold
the bot's own scan back until then). --dry-run computes everything and writes nothing.
--json prints one JSON object per member flagged (and one per campaign deadline reminded).
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli.common import CliError, command, operator_tr, session
from bot.clock import Clock, FrozenClock
from bot.config import Settings
from bot.domain.codes import ContactLevel
from bot.i18n import N_
from bot.services.context import OPERATOR
from bot.services.scan.batch import Flag
from bot.services.scan.run import run_scan
from bot.storage.db import Database

T_SUMMARY = N_("Scan at {at}{dry}: {flags} flag(s), {messages} message(s) queued")
T_DRY = N_(" (dry run: nothing written)")
T_MEMBER = N_("member {id} {name}: {level}, {days} days since last contact — {flags}")
T_OTHER = N_("{kind} at organization {org}: {detail}")
T_TO = N_("  → {kind} to {chat_id}")
T_BAD_NOW = N_("Not a date and time I can read: {value} (try 2026-11-23T09:00)")


def parse_now(text: str, tz: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        try:
            at = datetime.combine(date.fromisoformat(text.strip()), datetime.min.time())
        except ValueError:
            raise CliError(operator_tr().gettext(T_BAD_NOW, value=text[:40])) from None
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo(tz))


def merge_by_member(flags: list[Flag]) -> list[dict[str, Any]]:
    """One object per member flagged (several checks may flag the same member), deadlines apart."""
    members: dict[int, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    for f in flags:
        if f.member_id is None:
            others.append({"type": f.kind, "org_id": f.org_id, **f.detail,
                           "reminders": [r.to_json() for r in f.reminders]})
            continue
        entry = members.setdefault(f.member_id, {
            "type": "member", "member_id": f.member_id, "name": f.name, "branch_id": f.org_id, "level": None,
            "last_contact_on": None, "days_since_contact": None, "flags": [], "details": {}, "reminders": []})
        entry["flags"].append(f.kind)
        if f.level is not None:
            entry["level"] = f.level
        if f.days_since_contact is not None:
            entry["days_since_contact"] = f.days_since_contact
            entry["last_contact_on"] = f.last_contact_on
        if f.detail:
            entry["details"][f.kind] = f.detail
        entry["reminders"].extend(r.to_json() for r in f.reminders)
    return list(members.values()) + others


async def fill_levels(db: Database, entries: list[dict[str, Any]], today: date) -> None:
    """Members flagged by another check than the levels: their current level and days since contact."""
    missing = [e for e in entries if e["type"] == "member" and e["level"] is None]
    for i in range(0, len(missing), 900):
        part = {e["member_id"]: e for e in missing[i:i + 900]}
        rows = await db.fetchall(f"SELECT m.id, COALESCE(l.level, 0), m.last_contact_on FROM members m"
                                 " LEFT JOIN contact_levels l ON l.member_id = m.id"
                                 f" WHERE m.id IN ({','.join('?' * len(part))})", list(part))
        for mid, level, last in rows:
            part[mid]["level"] = ContactLevel.by_code(level).value
            if last:
                part[mid]["last_contact_on"] = last
                part[mid]["days_since_contact"] = (today - date.fromisoformat(last)).days


@command
async def scan_command(args: argparse.Namespace) -> int:
    settings = Settings()
    clock: Clock = (FrozenClock(parse_now(args.now, settings.timezone), settings.timezone) if args.now
                    else Clock(settings.timezone))
    flags: list[Flag] = []
    async with session(args, clock=clock) as ctx:
        tr = ctx.tr
        report = await run_scan(ctx.svc, OPERATOR, dry_run=args.dry_run, default_locale=settings.default_language,
                                sink=flags.append, record_job=not args.now)
        entries = merge_by_member(flags)
        await fill_levels(ctx.db, entries, clock.today())
    if args.json:
        for entry in entries:
            print(json.dumps(entry, ensure_ascii=False, sort_keys=True))
        return 0
    print(tr.gettext(T_SUMMARY, at=clock.now().astimezone(clock.tz).strftime("%Y-%m-%d %H:%M %Z"),
                     dry=tr.gettext(T_DRY) if args.dry_run else "", flags=len(flags), messages=report.messages))
    for e in entries:
        if e["type"] == "member":
            level = ContactLevel(e["level"]).label(tr) if e["level"] else "—"
            print(tr.gettext(T_MEMBER, id=e["member_id"], name=e["name"], level=level,
                             days=e["days_since_contact"] if e["days_since_contact"] is not None else "—",
                             flags=", ".join(e["flags"])))
        else:
            detail = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("type", "org_id", "reminders"))
            print(tr.gettext(T_OTHER, kind=e["type"], org=e["org_id"], detail=detail))
        for r in e["reminders"]:
            print(tr.gettext(T_TO, kind=r["kind"], chat_id=r["chat_id"]))
    return 0


def register(sub: Any) -> None:
    """Add `scan` to the `branchbot` parser."""
    h = operator_tr().gettext
    p = sub.add_parser("scan", help=h(N_("run the contact scan once and print what it flags")))
    p.add_argument("--now", metavar="DATETIME",
                   help=h(N_("act as if it were this date and time (ISO, branch timezone if naive)")))
    p.add_argument("--dry-run", action="store_true", help=h(N_("compute everything, write nothing")))
    p.add_argument("--json", action="store_true", help=h(N_("one JSON object per member flagged")))
    p.set_defaults(func=scan_command)

