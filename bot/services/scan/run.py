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
import html
import json
from collections import deque
from itertools import groupby
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Iterator, Sequence

from bot.clock import utc_iso
from bot.domain.codes import ContactLevel
from bot.domain.dates import add_months
from bot.domain.disposition import SEARCHING
from bot.i18n import DEFAULT_LOCALE
from bot.services.scan import items as scan_items
from bot.services.scan.ahead import ReadAhead, settle
from bot.services.context import SCHEDULER, Actor, Services
from bot.services.deadlines import deadline_reminders
from bot.services.scan.batch import Batch, Contacts, Flag, Recipient, ScanRun, locale_of
from bot.services.scan.gc_pause import cyclic_gc_paused
from bot.services.scan.messages import (
    LINE_LAST_CONTACT, LINE_NO_CONTACT, DaysSince, Line, check_in_payload, esc, formatter, template,
)
from bot.services.scan.settings import ReminderSettings, all_effective_settings
from bot.storage import scan_repo
from bot.storage.audit import RawJSON
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


def _contact_line(r: Any, days_since: DaysSince, conf: ReminderSettings,
                  locale: str | None) -> tuple[Line | str, str | None, int]:
    """The list line for a member row, their last contact (ISO) and the days since it (or since entry).

    For a single recipient (the usual case: one secretary) the line is rendered at once in their
    language (`locale`), a string instead of a Line to render later: the backlog has 150,000 of them."""
    last = r[LAST]
    if last:
        days = days_since[last]
        msgid, params = LINE_LAST_CONTACT, {"name": esc(r[NAME]), "date": last, "days": days}
    else:
        entered = datetime.fromisoformat(r[CREATED]).astimezone(conf.tz).date()
        days = (days_since.today - entered).days
        msgid, params = LINE_NO_CONTACT, {"name": esc(r[NAME]), "date": entered.isoformat()}
    if locale is not None:
        return template(locale, msgid).format_map(params), last, days
    return Line(msgid, params), last, days


def _rendered_lines(rows: list[tuple], days_since: DaysSince, conf: ReminderSettings, locale: str) -> list[str]:
    """_contact_line's text for many rows and one recipient, without its per-row dict and tuple (the
    backlog's 150,000 lines are almost all of this kind)."""
    with_date = formatter(locale, LINE_LAST_CONTACT, ("name", "date", "days"))
    without = formatter(locale, LINE_NO_CONTACT, ("name", "date"))
    out = []
    for r in rows:
        last, name = r[LAST], r[NAME]
        if "&" in name or "<" in name or ">" in name:       # esc(), inlined: names are text
            name = html.escape(name, quote=False)
        if last:
            out.append(with_date((name, last, days_since[last])))
        else:
            entered = datetime.fromisoformat(r[CREATED]).astimezone(conf.tz).date()
            out.append(without((name, entered.isoformat())))
    return out


def _whole_branches(rows: list[tuple], size: int) -> Iterator[list[tuple]]:
    """Rows in branch order, cut into parts of about `size` made of whole branches (a branch larger
    than `size` is split), so each recipient gets one message per branch and kind, not one per part."""
    start, n = 0, len(rows)
    while start < n:
        end = min(start + size, n)
        if end < n and rows[end][BRANCH] == rows[end - 1][BRANCH]:
            back, branch = end, rows[end - 1][BRANCH]
            while back > start and rows[back - 1][BRANCH] == branch:
                back -= 1
            end = back if back > start else end
        yield rows[start:end]
        start = end


def _branches(rows: list[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    """(branch_id, its rows) of rows in branch order."""
    for branch, group in groupby(rows, key=itemgetter(BRANCH)):
        yield branch, list(group)


async def _crossings(run: ScanRun, conf: ReminderSettings, today: date, branch_ids: Sequence[int] | None,
                     cuts: dict[int, scan_repo.Cut], window: Window | None) -> None:
    """Flag the members crossing each threshold, chunk by chunk. The first scan reads the backlog branch
    by branch (whole branches per chunk, the last one read again by the next chunk when the limit cut
    it); a later run reads its window in one go, in the transaction that flags it."""
    cut_list = list(cuts.values())
    if window is not None:
        await _window(run, conf, today, branch_ids, cut_list, window)
        return
    await _backlog(run, conf, today, branch_ids, cut_list)


# Parts of the daily scan's window (bot.services.scan.run._window): the first is read before anything
# else can start, the others while it is written and composed.
WINDOW_PARTS = 4


def _parts(run: ScanRun, branch_ids: Sequence[int] | None, n: int) -> list[tuple[int | None, int | None]]:
    """The organizations in up to `n` ranges of ids [lo, hi) of about as many nodes each (None: unbounded)."""
    ids = sorted(run.contacts.parent if branch_ids is None else branch_ids)
    n = max(1, min(n, len(ids)))
    cuts = [ids[len(ids) * k // n] for k in range(1, n)]
    return list(zip([None, *cuts], [*cuts, None]))


async def _window(run: ScanRun, conf: ReminderSettings, today: date, branch_ids: Sequence[int] | None,
                  cuts: list[scan_repo.Cut], window: Window) -> None:
    """A later run: its window, in one transaction, read in parts of the branches. The first part is read
    in the transaction; the others on the reader connection, one after another, while the parts before
    are written: the reads start inside this transaction, which holds the write lock (nothing else
    commits), and the parts are disjoint (what one part writes is not what another reads). A dry run, or
    one with a sink, reads every part in its transaction."""
    ranges = _parts(run, branch_ids, WINDOW_PARTS)
    async with run.tx(foreign_keys=False) as tx:        # its cases name members it read in it
        if run.shared_tx is not None or run.sink is not None:
            for branches in ranges:
                rows = await scan_repo.window_rows(tx, cuts, branch_ids, window, branches)
                for part in _whole_branches(rows, run.chunk):
                    await _flag(run, tx, conf, today, scan_repo.crossings_of(part, ContactLevel.LOST.code))
            return
        await _window_beside(run, tx, conf, today, branch_ids, cuts, window, ranges)


async def _window_beside(run: ScanRun, tx: Any, conf: ReminderSettings, today: date,
                         branch_ids: Sequence[int] | None, cuts: list[scan_repo.Cut], window: Window,
                         ranges: list[tuple[int | None, int | None]]) -> None:
    """_window's parts as a pipeline over three threads: the reader reads the next part, the worker thread
    composes the messages of the parts read (one part after another), and the writer raises each
    part's levels as soon as it is read and writes each part's reminders as soon as they are composed
    (the last part's in the COMMIT's hop). In a day's window composing takes longest: the writer never
    waits for one part's messages before the next part's levels, nor for the last levels before the
    first reminders."""
    first = await scan_repo.window_rows(tx, cuts, branch_ids, window, ranges[0])
    reads = [asyncio.ensure_future(scan_repo.window_rows(run.db, cuts, branch_ids, window, branches))
             for branches in ranges[1:]]          # queued on the reader's one thread: one after another
    composed = _Composed()
    writing = asyncio.ensure_future(_reminders_as_composed(run, tx, composed))
    try:
        after: asyncio.Future[None] | None = None
        for k in range(len(ranges)):
            rows = first if k == 0 else await reads[k - 1]
            for part in _whole_branches(rows, run.chunk):
                if writing.done():
                    break                   # its error is raised below
                crossed = scan_repo.crossings_of(part, ContactLevel.LOST.code)
                c = _start_composing(run, conf, today, crossed, after)
                after = c.done or after
                composed.add(crossed, c)
                await _level_writes(run, tx, crossed, today)
        composed.finish()
        await writing
    finally:
        composed.finish(stop=True)
        await settle(writing)
        for task in reads:
            await settle(task)
        for _crossed, c in composed.started:
            await c.settle()


class _Composed:
    """The parts whose messages are being composed, in order, for the task that writes their reminders."""

    def __init__(self) -> None:
        self.started: list[tuple[scan_repo.Crossings, _Composing]] = []
        self.waiting: deque[tuple[scan_repo.Crossings, _Composing]] = deque()
        self.finished = False       # no part will be added
        self.stopped = False        # an error: write nothing more
        self.wake = asyncio.Event()

    def add(self, crossed: scan_repo.Crossings, c: _Composing) -> None:
        self.started.append((crossed, c))
        self.waiting.append((crossed, c))
        self.wake.set()

    def finish(self, stop: bool = False) -> None:
        self.finished = True
        self.stopped = self.stopped or stop
        self.wake.set()

    async def next(self) -> tuple[scan_repo.Crossings, _Composing] | None:
        while not self.waiting and not self.finished:
            self.wake.clear()
            await self.wake.wait()
        return None if self.stopped or not self.waiting else self.waiting.popleft()


async def _reminders_as_composed(run: ScanRun, tx: Any, composed: _Composed) -> None:
    while (item := await composed.next()) is not None:
        crossed, c = item
        for task in (c.lost, c.out_of_control):
            if task is not None:
                await task
        if composed.stopped:
            return
        # The last part's go with the COMMIT (known to be last once every part is added).
        await _reminders(run, tx, crossed, c, last_writes=composed.finished and not composed.waiting)


@dataclass
class _Chunk:
    """One chunk of the backlog: its crossings (whole branches), whether more follow, and the last
    member in it (branch and member id: the next chunk starts after it)."""
    crossings: scan_repo.Crossings
    more: bool
    after: tuple[int, int]


async def _read_chunk(run: ScanRun, source: Any, branch_ids: Sequence[int] | None, cuts: list[scan_repo.Cut],
                      after: tuple[int, int], limit: int) -> _Chunk:
    crossings, more = await scan_repo.backlog_chunk(source, cuts, branch_ids, after, limit, ContactLevel.LOST.code)
    parts = [part for part in (crossings.lost, crossings.out_of_control) if part]
    return _Chunk(crossings, more, max((part[-1][BRANCH], part[-1][ID]) for part in parts) if parts else after)


async def _backlog(run: ScanRun, conf: ReminderSettings, today: date, branch_ids: Sequence[int] | None,
                   cuts: list[scan_repo.Cut]) -> None:
    """The first scan, one transaction per chunk, each chunk read while the one before it is written:
    on the reader connection, in another thread (SQLite reads while it writes, and a small server has
    two CPUs), as JSON values (scan_repo.backlog_chunk: no Python in the loop while it runs).

    That read starts inside the current chunk's transaction, which holds the write lock, and chunks are
    disjoint: it sees what the next transaction would read — unless something else commits between the
    two. Then `follows` is false and the chunk is read again inside its own transaction, as the daily
    scan reads its window. A dry run shares one uncommitted transaction the reader cannot see: it reads
    in that transaction."""
    read_ahead = run.shared_tx is None
    after: tuple[int, int] = (0, 0)
    ahead: asyncio.Future[_Chunk] | None = None
    token: tuple[int, int] | None = None
    try:
        while True:
            # Without foreign keys: the chunk's cases name members read in this transaction (see above).
            async with run.tx(foreign_keys=False) as tx:
                if ahead is not None and token is not None and await tx.follows(token):
                    chunk = await ahead
                else:
                    if ahead is not None:
                        await settle(ahead)
                    # Nothing runs beside the first read: a quarter of a chunk, so the writes start sooner.
                    limit = run.chunk if token is not None or not read_ahead else max(1, run.chunk // 4)
                    chunk = await _read_chunk(run, tx, branch_ids, cuts, after, limit)
                ahead, after = None, chunk.after
                if chunk.more and read_ahead:
                    ahead = asyncio.ensure_future(_read_chunk(run, run.db, branch_ids, cuts, after, run.chunk))
                if chunk.crossings.lost or chunk.crossings.out_of_control:
                    await _flag(run, tx, conf, today, chunk.crossings)
                if ahead is not None:
                    token = await tx.quiet_token()
            if not chunk.more:
                return
    finally:
        if ahead is not None:
            await settle(ahead)


async def _flag(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, crossed: scan_repo.Crossings) -> None:
    """One chunk's crossings (branch and member order), read in its transaction: 失联 first, then 失控."""
    if run.sink is None:
        await _flag_composing_beside(run, tx, conf, today, crossed)
        return
    if crossed.lost:
        await _flag_lost(run, tx, conf, today, crossed.lost, crossed.lost_ids)
    if crossed.out_of_control:
        await _flag_out_of_control(run, tx, conf, today, crossed.out_of_control, crossed.out_of_control_ids)


@dataclass
class _Composing:
    """A chunk's messages being composed and rendered in a worker thread, 失联 then 失控 (each task is
    None when the chunk has no such crossing)."""
    batches: dict[str, Batch]
    lost: asyncio.Future[None] | None
    out_of_control: asyncio.Future[None] | None

    @property
    def done(self) -> asyncio.Future[None] | None:
        """The task that finishes last."""
        return self.out_of_control or self.lost

    async def settle(self) -> None:
        for task in (self.lost, self.out_of_control):  # after an error: let the thread finish first
            if task is not None:
                await settle(task)


def _start_composing(run: ScanRun, conf: ReminderSettings, today: date, crossed: scan_repo.Crossings,
                     after: asyncio.Future[None] | None = None) -> _Composing:
    """Compose the chunk's messages in a worker thread, once `after` (the chunk before's) is done: one
    thread composes at a time, and the writes never wait for a chunk composed out of turn."""
    batches = {"lost": Batch(today), "out_of_control": Batch(today)}
    lost, out_of_control = crossed.lost, crossed.out_of_control

    def compose_lost() -> None:
        _compose_lost(run, conf, today, lost, batches["lost"], {})
        batches["lost"].render()

    def compose_out_of_control() -> None:
        _compose_out_of_control(run, conf, today, out_of_control, batches["out_of_control"])
        batches["out_of_control"].render()

    async def lost_in_turn() -> None:
        if after is not None:
            await settle(after)                 # its error is the chunk before's to raise
        await asyncio.to_thread(compose_lost)

    async def out_of_control_after_lost() -> None:
        if lost_composed is not None:
            await lost_composed                 # its error ends this one too
        elif after is not None:
            await settle(after)
        await asyncio.to_thread(compose_out_of_control)

    lost_composed = asyncio.ensure_future(lost_in_turn()) if lost else None
    composed = asyncio.ensure_future(out_of_control_after_lost()) if out_of_control else None
    return _Composing(batches, lost_composed, composed)


async def _flag_composing_beside(run: ScanRun, tx: Any, conf: ReminderSettings, today: date,
                                 crossed: scan_repo.Crossings) -> None:
    """_flag's writes while a worker thread composes and renders the chunk's messages, 失联 then 失控.

    Every write here is a few statements SQLite runs without Python's GIL (set-based levels and cases,
    multi-row outbox INSERTs), so the thread composes the 失控 lists while the 失联 ones are queued.
    Everything finishes inside the chunk's transaction; an error in either rolls the whole chunk back."""
    c = _start_composing(run, conf, today, crossed)
    try:
        await _level_writes(run, tx, crossed, today)
        await _reminders(run, tx, crossed, c)
    finally:
        await c.settle()


async def _reminders(run: ScanRun, tx: Any, crossed: scan_repo.Crossings, c: _Composing,
                     last_writes: bool = True) -> None:
    """A chunk's reminders into the outbox once composed, 失联 then 失控. When they are the transaction's
    last writes (`last_writes`) they go in the COMMIT's hop (ScanRun.finish_at_commit), except in a dry
    run, which is never committed."""
    for kind, task, rows in (("lost", c.lost, crossed.lost), ("out_of_control", c.out_of_control,
                                                               crossed.out_of_control)):
        if task is None:
            continue
        await task
        run.count(kind, len(rows))
        if last_writes and run.shared_tx is None:
            run.finish_at_commit(tx, c.batches[kind])
        else:
            await run.finish(tx, c.batches[kind], [])


async def _level_writes(run: ScanRun, tx: Any, crossed: scan_repo.Crossings, today: date) -> str:
    """Raise the chunk's members to 失联 and 失控 and open a case for each 失联 member without a case in
    progress, in one hop (scan_repo.flag_levels); returns the cases opened (JSON text: [[case_id,
    member_id], …])."""
    lost_ids = crossed.lost_ids if crossed.lost else "[]"
    out_ids = crossed.out_of_control_ids if crossed.out_of_control else "[]"
    opened = await scan_repo.flag_levels(tx, lost_ids, out_ids, ContactLevel.LOST.code,
                                         ContactLevel.OUT_OF_CONTROL.code, today, SEARCHING)
    run.lost.update(r[ID] for r in crossed.lost)
    # One audit row per chunk and level for the levels raised and one for the cases opened, every id
    # listed: a backlog of 150,000 members would otherwise spend seconds on per-row HMACs. The lists are
    # put in as SQLite wrote them (RawJSON).
    audits: list[tuple[str, Any, str, Any, Any]] = []
    if crossed.lost:
        audits.append(("scan", today.isoformat(), "lost", None,
                       {"level": ContactLevel.LOST.code, "members": RawJSON(lost_ids)}))
    if opened != "[]":
        audits.append(("case", None, "open_many", None, {"state": SEARCHING, "opened_on": today.isoformat(),
                                                          "by": "scan", "cases": RawJSON(opened)}))
    if crossed.out_of_control:
        audits.append(("scan", today.isoformat(), "out_of_control", None,
                       {"level": ContactLevel.OUT_OF_CONTROL.code, "members": RawJSON(out_ids)}))
    await tx.audit_many(audits)
    return opened


def _list_items(run: ScanRun, kind: str, rows: list[Any], to: list[Recipient], days_since: DaysSince,
                conf: ReminderSettings, flag_detail: Callable[[Any], dict[str, Any]] | None = None
                ) -> tuple[list[Line | str], list[str], list[Flag | None]]:
    """One branch's list lines for `to`, their refs, and (for a sink) the flags, counted as they are
    raised. Without a sink the caller counts the members it writes."""
    locale = to[0].locale if len(to) == 1 else None
    if locale is not None and run.sink is None:
        return _rendered_lines(rows, days_since, conf, locale), [f"member:{r[ID]}" for r in rows], [None] * len(rows)
    items, flags = [], []
    level = LEVEL_OF[kind]
    for r in rows:
        item, last, days = _contact_line(r, days_since, conf, locale)
        items.append(item)
        if run.sink is not None:
            flags.append(run.flag(kind, r[BRANCH], member_id=r[ID], name=r[NAME], level=level,
                                  last_contact_on=last, days_since_contact=days,
                                  detail=flag_detail(r) if flag_detail else {}))
    if run.sink is None:
        flags = [None] * len(rows)
    return items, [f"member:{r[ID]}" for r in rows], flags


def _compose_lost(run: ScanRun, conf: ReminderSettings, today: date, rows: list[Any], batch: Batch,
                  case_of: dict[int, int]) -> list[Flag | None]:
    """The 失联 lists of a chunk's lost members, per branch, into `batch`; returns the flags."""
    all_flags: list[Flag | None] = []
    header, days_since = {"months": conf.lost_months}, DaysSince(today)
    for branch, group in _branches(rows):
        to = run.contacts.responsible(branch)
        items, refs, flags = _list_items(run, "lost", group, to, days_since, conf,
                                         lambda r: {"case_id": case_of.get(r[ID])})
        batch.add_many("lost", branch, to, header, items, refs, flags)
        all_flags.extend(flags)
    return all_flags


async def _flag_lost(run: ScanRun, tx: Any, conf: ReminderSettings, today: date, rows: list[Any], ids: str) -> None:
    """With a sink (the CLI's report): the cases first, since each flag names its member's case."""
    batch = Batch(today)
    case_of = {mid: cid for cid, mid in json.loads(
        await _level_writes(run, tx, scan_repo.Crossings(rows, [], ids, "[]"), today))}
    await run.finish(tx, batch, _compose_lost(run, conf, today, rows, batch, case_of))


def _compose_out_of_control(run: ScanRun, conf: ReminderSettings, today: date, rows: list[Any],
                            batch: Batch) -> list[Flag | None]:
    """Each member's 指定专人, if bound to the bot and not blocked, is told about them; the others are
    listed to whoever answers for the branch; a bound member also gets the one-tap check-in. The flags
    (and their lookup per member) are built only for a sink: a backlog composes 150,000 rows without."""
    all_flags: list[Flag | None] = []
    header, day, kind = {"months": conf.out_of_control_months}, today.isoformat(), "out_of_control"
    single, default, days_since, sink = batch.single_payload, run.default_locale, DaysSince(today), run.sink is not None
    for branch, group in _branches(rows):
        to = run.contacts.responsible(branch)
        flag_of: dict[int, Flag | None] = {}
        plain = [r for r in group if r[O_TG] is None]
        if plain:
            items, refs, flags = _list_items(run, kind, plain, to, days_since, conf)
            batch.add_many(kind, branch, to, header, items, refs, flags)
            if sink:
                flag_of.update(zip((r[ID] for r in plain), flags))
        for r in (group if len(plain) < len(group) else ()):     # the rows with an officer bound
            if r[O_TG] is not None:
                officer = [Recipient(r[O_TG], locale_of(r[O_LANG], None, default))]
                items, refs, flags = _list_items(run, kind, [r], officer, days_since, conf)
                batch.add_many(kind, branch, officer, header, items, refs, flags)
                flag_of[r[ID]] = flags[0]
        for r in group:
            if r[M_TG] is not None:
                payload = check_in_payload(locale_of(r[M_LANG], None, default), r[NAME], r[ID])
                single(f"check_in:{r[ID]}:{day}", r[M_TG], "check_in", payload, f"member:{r[ID]}",
                       flag_of.get(r[ID]))
        if sink:
            all_flags.extend(flag_of[r[ID]] for r in group)
    return all_flags


async def _flag_out_of_control(run: ScanRun, tx: Any, conf: ReminderSettings, today: date,
                               rows: list[Any], ids: str) -> None:
    """With a sink (the CLI's report)."""
    batch = Batch(today)
    await _level_writes(run, tx, scan_repo.Crossings([], rows, "[]", ids), today)
    await run.finish(tx, batch, _compose_out_of_control(run, conf, today, rows, batch))


LEVEL_OF = {"lost": ContactLevel.LOST.value, "out_of_control": ContactLevel.OUT_OF_CONTROL.value}


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
    ahead = ReadAhead(run) if run.shared_tx is None else None     # a dry run's writes are never committed
    composer: scan_items.Composer | None = None
    try:
        if ahead is not None:
            await ahead.start(scan_items.reads(run, conf, today, org_ids))
        await _crossings(run, conf, today, org_ids, level_cuts(today, conf), window_of(state))
        if ahead is not None:
            composer = scan_items.Composer(run, conf, today, ahead)
        await scan_items.transfers_without_receipt(run, conf, today, org_ids, ahead, composer)
        await scan_items.idle_cases(run, conf, today, org_ids, ahead, composer)
        await scan_items.flow_members(run, conf, today, org_ids, ahead, composer)
    finally:
        if composer is not None:
            await composer.close()
        if ahead is not None:
            await ahead.close()
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
    # Paused from the first read (see gc_pause): the startup reads build thousands of rows too.
    with cyclic_gc_paused():
        return await _run_scan(services, actor, org_ids, dry_run, default_locale, sink, chunk, record_job)


async def _run_scan(services: Services, actor: Actor, org_ids: Sequence[int] | None, dry_run: bool,
                    default_locale: str, sink: Callable[[Flag], Any] | None, chunk: int,
                    record_job: bool) -> ScanReport:
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
                # The next run's window starts where this one stopped (only once all of it is written).
                await tx.execute_all([scan_repo.runs_statement(SCAN_JOB, [str(o) for o in scope], now),
                                      scan_repo.states_statement(WINDOW_JOB, new_states, now)])

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
