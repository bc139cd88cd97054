"""The daily contact scan (seed 004 measure 二; seed 002 on 失联) and the checks that run with it.

For each organization node due for a scan:

- members crossing one month without contact (失控): their officer (or the branch secretary) is
  asked to reach them, and a bound member gets a one-tap 报平安 check-in;
- members crossing six months (失联): level 2 in contact_levels (the 失联 register), a lost-contact case is
  opened (state 'searching', audited), and the secretary is told a formal search must begin;
- then transfers without 回执, idle cases, flow members, the 2019 removal date (scan_items) and
  campaign deadlines (deadlines).

"Told once per crossing": contact_levels records the level last flagged, so only members whose level
rises are selected (bot.storage.members.record_contact deletes the row on a newer contact).

The first scan of a node reads every member past a threshold. Each later run reads a window: the
members whose last contact (or entry) lies between the previous run's cutoff and today's (job_runs
state, per node: missed days widen the window, a changed threshold moves its edge), plus the members
whose record changed since that run, tested in full — a backdated contact may put a member back
below a threshold already passed, and the next run tells that crossing again, never skipping it.

No contact on record at all: the rules call such a member lost, but right after an import that would
open a case for everyone whose dates were not filled in. The scan uses the day the member was entered
(created_at, as an instant compared with the branch's local midnight) as the baseline instead: one
month after entry with still no contact → 失控, six months → 失联.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Awaitable, Callable, Iterator, Sequence

from bot.clock import utc_iso
from bot.domain.codes import ContactLevel
from bot.domain.dates import add_months
from bot.domain.disposition import SEARCHING
from bot.i18n import DEFAULT_LOCALE
from bot.services.scan import items as scan_items
from bot.services.context import SCHEDULER, Actor, Services
from bot.services.deadlines import deadline_reminders
from bot.services.scan.batch import Batch, Contacts, Flag, Recipient, ScanRun, locale_of
from bot.services.scan.messages import LINE_LAST_CONTACT, LINE_NO_CONTACT, Line, check_in_payload, esc, template
from bot.services.scan.settings import ReminderSettings, all_effective_settings
from bot.storage import scan_repo
from bot.storage.scan_repo import BRANCH, CREATED, ID, LAST, M_LANG, M_TG, NAME, O_LANG, O_TG, Window

SCAN_JOB = "scan"
WINDOW_JOB = "scan_window"     # job_runs.state: the cutoffs of the last run, per node


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


class DaysSince(dict):
    """Days from each ISO date to `today`, computed once per date (a chunk of 20,000 members has a few
    hundred distinct last-contact dates)."""

    def __init__(self, today: date):
        super().__init__()
        self.today = today

    def __missing__(self, iso: str) -> int:
        days = self[iso] = (self.today - date.fromisoformat(iso)).days
        return days


def _contact_line(r: Any, days_since: DaysSince, conf: ReminderSettings,
                  to: list[Recipient]) -> tuple[Line | str, str | None, int]:
    """The list line for a member row, their last contact (ISO) and the days since it (or since entry).

    For a single recipient (the usual case: one secretary) the line is rendered at once in their
    language, a string instead of a Line to render later: the backlog has 150,000 of them."""
    last = r[LAST]
    if last:
        days = days_since[last]
        msgid, params = LINE_LAST_CONTACT, {"name": esc(r[NAME]), "date": last, "days": days}
    else:
        entered = datetime.fromisoformat(r[CREATED]).astimezone(conf.tz).date()
        days = (days_since.today - entered).days
        msgid, params = LINE_NO_CONTACT, {"name": esc(r[NAME]), "date": entered.isoformat()}
    if len(to) == 1:
        return template(to[0].locale, msgid).format_map(params), last, days
    return Line(msgid, params), last, days


def _by_branch(rows: Sequence[tuple[int, int, int]]) -> dict[int, list[tuple[int, list[int]]]]:
    """Per level, the crossing members' ids grouped by branch (branches in order, members in order)."""
    out: dict[int, dict[int, list[int]]] = {}
    seen: set[int] = set()
    for level, branch, mid in rows:
        if mid in seen:              # read twice by the window (in its range and changed since the last run)
            continue
        seen.add(mid)
        per = out.get(level)
        if per is None:
            per = out[level] = {}
        ids = per.get(branch)
        if ids is None:
            per[branch] = [mid]
        else:
            ids.append(mid)
    return {lv: [(b, sorted(ids)) for b, ids in sorted(per.items())] for lv, per in out.items()}


def _chunks(branches: list[tuple[int, list[int]]], size: int) -> Iterator[list[int]]:
    """Chunks of about `size` members made of whole branches (a branch larger than `size` is split)."""
    part: list[int] = []
    for _branch, ids in branches:
        if part and len(part) + len(ids) > size:
            yield part
            part = []
        for i in range(0, len(ids), size):
            part.extend(ids[i:i + size])
            if len(part) >= size:
                yield part
                part = []
    if part:
        yield part


async def _crossings(run: ScanRun, conf: ReminderSettings, today: date, branch_ids: Sequence[int] | None,
                     cuts: dict[int, scan_repo.Cut], window: Window | None) -> None:
    """Flag the members crossing each threshold, 失联 first, chunk by chunk: each chunk holds whole
    branches, so each recipient gets one message per branch and kind rather than one per chunk."""
    reader = run.shared_tx if run.shared_tx is not None else run.db
    candidates = await scan_repo.crossing_candidates(reader, list(cuts.values()), branch_ids, window)
    grouped = _by_branch(candidates)
    del candidates
    steps = ((ContactLevel.LOST.code, _flag_lost, False), (ContactLevel.OUT_OF_CONTROL.code, _flag_out_of_control, True))
    for level, handle, with_users in steps:
        for part in _chunks(grouped.get(level, []), run.chunk):
            async with run.tx() as tx:
                rows = await scan_repo.crossing_rows(tx, part, cuts[level], with_users)
                if rows:
                    rows.sort(key=_branch_then_id)
                    await handle(run, tx, conf, today, rows)


def _branch_then_id(r: tuple) -> tuple[int, int]:
    return r[BRANCH], r[ID]


async def _lost_writes(tx: Any, ids: list[int], today: date) -> list[tuple[int, int]]:
    """Raise the members to 失联 and open a case for each one without a case in progress."""
    await scan_repo.set_levels(tx, ids, ContactLevel.LOST.code, today)
    opened = await scan_repo.open_cases(tx, ids, today, SEARCHING)
    # One audit row per chunk for the levels raised and one for the cases opened, every id listed: a
    # backlog of 150,000 members would otherwise spend seconds on per-row HMACs.
    audits = [("scan", today.isoformat(), "lost", None, {"level": ContactLevel.LOST.code, "members": ids})]
    if opened:
        audits.append(("case", None, "open_many", None, {"state": SEARCHING, "opened_on": today.isoformat(),
                                                          "by": "scan", "cases": [list(p) for p in opened]}))
    await tx.audit_many(audits)
    return opened


async def _alongside(writes: Awaitable[Any], build: Callable[[], Any], batch: Batch) -> Any:
    """The chunk's writes (a few set-based statements: SQLite works without holding Python's GIL) run
    while a worker thread composes and renders the chunk's messages (`build`, then `batch.render`).
    Both finish before the transaction goes on; an error in either rolls the whole chunk back."""
    def compose() -> None:
        build()
        batch.render()

    results = await asyncio.gather(writes, asyncio.to_thread(compose), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results[0]


async def _flag_lost(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, rows: list[Any]) -> None:
    ids = [r[ID] for r in rows]
    batch, flags, header, level = Batch(today), [], {"months": conf.lost_months}, ContactLevel.LOST.value
    responsible, add = run.contacts.responsible, batch.add
    case_of: dict[int, int] = {}

    def build() -> None:
        days_since = DaysSince(today)
        for r in rows:
            to = responsible(r[BRANCH])
            item, last, days = _contact_line(r, days_since, conf, to)
            flag = None if run.sink is None else run.flag(
                "lost", r[BRANCH], member_id=r[ID], name=r[NAME], level=level, last_contact_on=last,
                days_since_contact=days, detail={"case_id": case_of.get(r[ID])})
            add("lost", r[BRANCH], to, header, item, f"member:{r[ID]}", flag)
            if flag is not None:
                flags.append(flag)

    if run.sink is None:
        run.count("lost", len(rows))
        await _alongside(_lost_writes(tx, ids, today), build, batch)
    else:                             # the report names each member's case: open the cases first
        case_of.update((mid, cid) for cid, mid in await _lost_writes(tx, ids, today))
        build()
    await run.finish(tx, batch, flags)


def officer_or_responsible(run: ScanRun, r: Any) -> list[Recipient]:
    """The member's 指定专人 if bound to the bot and not blocked, else whoever answers for the branch."""
    if r[O_TG] is not None:
        return [Recipient(r[O_TG], locale_of(r[O_LANG], None, run.default_locale))]
    return run.contacts.responsible(r[BRANCH])


async def _out_of_control_writes(tx: Any, ids: list[int], today: date) -> None:
    await scan_repo.set_levels(tx, ids, ContactLevel.OUT_OF_CONTROL.code, today)
    await tx.audit("scan", today.isoformat(), "out_of_control", None,
                   {"level": ContactLevel.OUT_OF_CONTROL.code, "members": ids})


async def _flag_out_of_control(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, rows: list[Any]) -> None:
    batch, flags = Batch(today), []
    header, level, day = {"months": conf.out_of_control_months}, ContactLevel.OUT_OF_CONTROL.value, today.isoformat()
    add, single = batch.add, batch.single_payload

    def build() -> None:
        days_since = DaysSince(today)
        for r in rows:
            to = officer_or_responsible(run, r)
            item, last, days = _contact_line(r, days_since, conf, to)
            flag = None if run.sink is None else run.flag(
                "out_of_control", r[BRANCH], member_id=r[ID], name=r[NAME], level=level, last_contact_on=last,
                days_since_contact=days)
            ref = f"member:{r[ID]}"
            add("out_of_control", r[BRANCH], to, header, item, ref, flag)
            if r[M_TG] is not None:
                payload = check_in_payload(locale_of(r[M_LANG], None, run.default_locale), r[NAME], r[ID])
                single(f"check_in:{r[ID]}:{day}", r[M_TG], "check_in", payload, ref, flag)
            if flag is not None:
                flags.append(flag)

    if run.sink is None:
        run.count("out_of_control", len(rows))
    await _alongside(_out_of_control_writes(tx, [r[ID] for r in rows], today), build, batch)
    await run.finish(tx, batch, flags)


def level_cuts(today: date, conf: ReminderSettings) -> dict[int, scan_repo.Cut]:
    """Per contact level (code), its threshold's cutoff on `today` (and that day's local midnight)."""
    th = conf.thresholds
    cuts = {ContactLevel.LOST.code: contact_cutoff(today, th.lost_months),
            ContactLevel.OUT_OF_CONTROL.code: contact_cutoff(today, th.out_of_control_months)}
    return {code: scan_repo.Cut(code, cut.isoformat(), utc_iso(local_midnight(cut, conf)))
            for code, cut in cuts.items()}


def window_of(state: tuple[str, str] | None) -> Window | None:
    """The window a node's last run left (None: never scanned, or scanned before windows existed)."""
    if state is None:
        return None
    ran_at, text = state
    return Window({int(code): (cut[0], cut[1]) for code, cut in json.loads(text).items()}, ran_at)


def window_state(cuts: dict[int, scan_repo.Cut]) -> dict[str, Any]:
    return {str(code): [c.date, c.instant] for code, c in cuts.items()}


async def scan_group(run: ScanRun, conf: ReminderSettings, org_ids: Sequence[int] | None,
                     state: tuple[str, str] | None = None) -> None:
    """Every check for the nodes sharing one set of settings and one window state (None: all nodes, no
    filter needed)."""
    today = run.now.astimezone(conf.tz).date()
    await _crossings(run, conf, today, org_ids, level_cuts(today, conf), window_of(state))
    await scan_items.transfers_without_receipt(run, conf, today, org_ids)
    await scan_items.idle_cases(run, conf, today, org_ids)
    await scan_items.flow_members(run, conf, today, org_ids)
    await scan_items.removals_due(run, conf, today, org_ids)
    await deadline_reminders(run, conf, today, org_ids)


def _groups(scope: list[int], settings: dict[int, ReminderSettings],
            states: dict[str, tuple[str, str]]) -> dict[tuple, list[int]]:
    """The nodes that can be scanned together: same settings, same window state (normally all of them)."""
    groups: dict[tuple, list[int]] = {}
    for oid in scope:
        groups.setdefault((settings[oid], states.get(str(oid))), []).append(oid)
    return groups


async def run_scan(services: Services, actor: Actor = SCHEDULER, *, org_ids: Sequence[int] | None = None,
                   dry_run: bool = False, default_locale: str = DEFAULT_LOCALE, sink: Callable[[Flag], Any] | None = None,
                   chunk: int = 20000, record_job: bool = True) -> ScanReport:
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
    states = await scan_repo.window_states(db, WINDOW_JOB)
    groups = _groups(scope, settings, states)
    everything = org_ids is None and len(groups) == 1

    async def body() -> None:
        new_states: list[tuple[list[str], dict[str, Any]]] = []
        for (conf, state), ids in groups.items():
            await scan_group(run, conf, None if everything else ids, state)
            new_states.append(([str(o) for o in ids], window_state(level_cuts(now.astimezone(conf.tz).date(), conf))))
        if record_job and not dry_run and scope:
            async with db.write(actor.label) as tx:
                await scan_repo.record_runs(tx, SCAN_JOB, [str(o) for o in scope], now)
                # The next run's window starts where this one stopped (only once all of it is written).
                await scan_repo.record_states(tx, WINDOW_JOB, new_states, now)

    if dry_run:
        try:
            async with db.write(actor.label) as tx:
                run.shared_tx = tx
                await body()
                raise _DryRun
        except _DryRun:
            pass
    else:
        async with db.bulk():
            await body()
    return ScanReport(now, dry_run, len(scope), dict(run.counts), run.messages)
