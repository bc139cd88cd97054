"""The daily contact scan (seed 004 measure 二; seed 002 on 失联) and the checks that run with it.

For each organization node due for a scan:

- members crossing one month without contact (失控): their officer (or the branch secretary) is
  asked to reach them, and a bound member gets a one-tap 报平安 check-in;
- members crossing six months (失联): contact_level=2 (the 失联 register), a lost-contact case is
  opened (state 'searching', audited), and the secretary is told a formal search must begin;
- then transfers without 回执, idle cases, flow members, the 2019 removal date (scan_items) and
  campaign deadlines (deadlines).

"Told once per crossing": members.contact_level records the level last flagged, so only members whose
level rises are selected (bot.storage.members.record_contact sets it back to 0 on a newer contact).

No contact on record at all: the rules call such a member lost, but right after an import that would
open a case for everyone whose dates were not filled in. The scan uses the day the member was entered
(created_at, as an instant compared with the branch's local midnight) as the baseline instead: one
month after entry with still no contact → 失控, six months → 失联.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Sequence

from bot.domain.codes import ContactLevel
from bot.domain.dates import add_months
from bot.domain.disposition import SEARCHING
from bot.i18n import DEFAULT_LOCALE
from bot.services import scan_items
from bot.services.context import SCHEDULER, Actor, Services
from bot.services.deadlines import deadline_reminders
from bot.services.scan_batch import Batch, Contacts, Flag, Recipient, ScanRun, locale_of
from bot.services.scan_messages import LINE_LAST_CONTACT, LINE_NO_CONTACT, Line, esc, render_check_in
from bot.services.scan_settings import ReminderSettings, all_effective_settings
from bot.storage import scan_repo

SCAN_JOB = "scan"


@dataclass
class ScanReport:
    at: datetime
    dry_run: bool
    orgs: int
    counts: dict[str, int] = field(default_factory=dict)
    messages: int = 0


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its transaction back."""


def contact_cutoff(today: date, months: int) -> date:
    """The first last-contact date still within `months` on `today`: a member whose last contact is
    before it has been out of contact for more than `months` (the same boundary as rules.contact_level)."""
    d = add_months(today, -months) - timedelta(days=4)
    while add_months(d, months) >= today:      # never needed by more than the clamping, but be exact
        d -= timedelta(days=1)
    while add_months(d, months) < today:
        d += timedelta(days=1)
    return d


def local_midnight(d: date, conf: ReminderSettings) -> datetime:
    return datetime.combine(d, time(0), tzinfo=conf.tz)


def _contact_line(r: Any, today: date, conf: ReminderSettings) -> tuple[Line, str | None, int]:
    """The list line for a member row, their last contact (ISO) and the days since it (or since entry)."""
    last = r["last_contact_on"]
    if last:
        days = (today - date.fromisoformat(last)).days
        return Line(LINE_LAST_CONTACT, {"name": esc(r["name"]), "date": last, "days": days}), last, days
    entered = datetime.fromisoformat(r["created_at"]).astimezone(conf.tz).date()
    days = (today - entered).days
    return Line(LINE_NO_CONTACT, {"name": esc(r["name"]), "date": entered.isoformat()}), None, days


async def _crossings(run: ScanRun, conf: ReminderSettings, today: date, branch_ids: Sequence[int] | None,
                     from_levels: tuple[int, ...], cut: date, handle: Callable, with_users: bool) -> None:
    """Select the members crossing `cut` from each level, chunk by chunk in branch order: each chunk holds
    whole branches (the last branch of a full chunk waits for the next one), so each recipient gets one
    message per branch and kind rather than one per chunk. A branch larger than a chunk is split."""
    for level in from_levels:
        from_branch = 0
        while True:
            async with run.tx() as tx:
                rows = await scan_repo.level_candidates(tx, level, cut, local_midnight(cut, conf), branch_ids,
                                                        from_branch, run.chunk, with_users)
                full = len(rows) == run.chunk
                if full:
                    from_branch = rows[-1]["branch_id"]
                    whole = [r for r in rows if r["branch_id"] != from_branch]
                    rows = whole or rows
                if rows:
                    await handle(run, tx, conf, today, rows)
            if not full:
                break


async def _flag_lost(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, rows: list[Any]) -> None:
    ids = [r["id"] for r in rows]
    await scan_repo.set_levels(tx, ids, ContactLevel.LOST.code, today, tx.now_iso)
    has_case = await scan_repo.members_with_open_case(tx, ids)
    opened = await scan_repo.open_cases(tx, [i for i in ids if i not in has_case], today, SEARCHING)
    case_of = {mid: cid for cid, mid in opened}
    # One audit row per chunk for the levels raised and one for the cases opened (every id listed): a
    # backlog of 150,000 members would otherwise spend seconds on per-row HMACs.
    audits = [("scan", today.isoformat(), "lost", None, {"level": ContactLevel.LOST.code, "members": ids})]
    if opened:
        audits.append(("case", None, "open_many", None, {"state": SEARCHING, "opened_on": today.isoformat(),
                                                          "by": "scan", "cases": [list(p) for p in opened]}))
    await tx.audit_many(audits)
    batch, flags = Batch(today), []
    for r in rows:
        item, last, days = _contact_line(r, today, conf)
        flag = run.flag("lost", r["branch_id"], member_id=r["id"], name=r["name"], level=ContactLevel.LOST.value,
                        last_contact_on=last, days_since_contact=days, detail={"case_id": case_of.get(r["id"])})
        batch.add("lost", r["branch_id"], run.contacts.responsible(r["branch_id"]), {"months": conf.lost_months},
                  item, f"member:{r['id']}", flag)
        flags.append(flag)
    await run.finish(tx, batch, flags)


def officer_or_responsible(run: ScanRun, r: Any) -> list[Recipient]:
    """The member's 指定专人 if bound to the bot and not blocked, else whoever answers for the branch."""
    if r["o_tg"] is not None and not r["o_blocked"]:
        return [Recipient(r["o_tg"], locale_of(r["o_locale"], r["o_lang"], run.default_locale))]
    return run.contacts.responsible(r["branch_id"])


async def _flag_out_of_control(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, rows: list[Any]) -> None:
    ids = [r["id"] for r in rows]
    await scan_repo.set_levels(tx, ids, ContactLevel.OUT_OF_CONTROL.code, today, tx.now_iso)
    await tx.audit("scan", today.isoformat(), "out_of_control", None,
                   {"level": ContactLevel.OUT_OF_CONTROL.code, "members": ids})
    batch, flags = Batch(today), []
    for r in rows:
        item, last, days = _contact_line(r, today, conf)
        flag = run.flag("out_of_control", r["branch_id"], member_id=r["id"], name=r["name"],
                        level=ContactLevel.OUT_OF_CONTROL.value, last_contact_on=last, days_since_contact=days)
        batch.add("out_of_control", r["branch_id"], officer_or_responsible(run, r),
                  {"months": conf.out_of_control_months}, item, f"member:{r['id']}", flag)
        if r["m_tg"] is not None and not r["m_blocked"]:
            text, buttons = render_check_in(locale_of(r["m_locale"], r["m_lang"], run.default_locale), r["name"],
                                            r["id"])
            batch.single(f"check_in:{r['id']}:{today.isoformat()}", r["m_tg"], "check_in", text, buttons,
                         f"member:{r['id']}", flag)
        flags.append(flag)
    await run.finish(tx, batch, flags)


async def scan_group(run: ScanRun, conf: ReminderSettings, org_ids: Sequence[int] | None) -> None:
    """Every check for the nodes sharing one set of settings (None: all nodes, no filter needed)."""
    today = run.now.astimezone(conf.tz).date()
    th = conf.thresholds
    await _crossings(run, conf, today, org_ids, (1, 0), contact_cutoff(today, th.lost_months), _flag_lost, False)
    await _crossings(run, conf, today, org_ids, (0,), contact_cutoff(today, th.out_of_control_months),
                     _flag_out_of_control, True)
    await scan_items.transfers_without_receipt(run, conf, today, org_ids)
    await scan_items.idle_cases(run, conf, today, org_ids)
    await scan_items.flow_members(run, conf, today, org_ids)
    await scan_items.removals_due(run, conf, today, org_ids)
    await deadline_reminders(run, conf, today, org_ids)


async def run_scan(services: Services, actor: Actor = SCHEDULER, *, org_ids: Sequence[int] | None = None,
                   dry_run: bool = False, default_locale: str = DEFAULT_LOCALE, sink: Callable[[Flag], Any] | None = None,
                   chunk: int = 5000, record_job: bool = True) -> ScanReport:
    """Run the scan now for the given organization nodes (default: all) and return what it raised.

    Each flag is passed to `sink` as it is raised. With dry_run everything is computed inside one
    transaction that is rolled back: the report is what a real run would do, and nothing is written.
    """
    db = services.db
    now = services.clock.now()
    settings = await all_effective_settings(db, services.clock.tz.key)
    orgs, roles = await scan_repo.contacts_rows(db)
    run = ScanRun(db, now, Contacts(orgs, roles, default_locale), actor.label, default_locale, sink, chunk)
    scope = sorted(settings) if org_ids is None else sorted(o for o in set(org_ids) if o in settings)
    groups: dict[ReminderSettings, list[int]] = {}
    for oid in scope:
        groups.setdefault(settings[oid], []).append(oid)
    everything = org_ids is None and len(groups) == 1

    async def body() -> None:
        for conf, ids in groups.items():
            await scan_group(run, conf, None if everything else ids)
        if record_job and not dry_run and scope:
            async with db.write(actor.label) as tx:
                await scan_repo.record_runs(tx, SCAN_JOB, [str(o) for o in scope], now)

    if dry_run:
        try:
            async with db.write(actor.label) as tx:
                run.shared_tx = tx
                await body()
                raise _DryRun
        except _DryRun:
            pass
    else:
        await body()
    return ScanReport(now, dry_run, len(scope), dict(run.counts), run.messages)
