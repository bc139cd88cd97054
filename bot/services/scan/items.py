"""The scan's checks beyond contact levels: transfers without 回执, idle cases, flow members, the 2019 rule.

Each item is reminded once per period: a transfer once (transfers.flagged_on), an idle case once per
idle period (reminder_marks "case_idle:<case>:<due>"), a flow member once per month ("flow:<member>:
<YYYY-MM>"), a suspended member once ahead of the removal date and once when it is due.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any, Callable, Sequence

from bot.domain.codes import PolicyVersion, SpecialStatus
from bot.domain.disposition import removal_due_on
from bot.services.scan.ahead import Read, ReadAhead, settle
from bot.services.scan.batch import Batch, Flag, Recipient, ScanRun, locale_of
from bot.services.scan.messages import (
    LINE_CASE_ATTEMPT, LINE_CASE_NO_ATTEMPT, LINE_LAST_CONTACT, LINE_NO_CONTACT, LINE_REMOVAL, LINE_TRANSFER, DaysSince,
    Line, esc, item, line,
)
from bot.services.scan.settings import ReminderSettings
from bot.storage import scan_repo


def reads(run: ScanRun, conf: ReminderSettings, today: date, org_ids: Sequence[int] | None) -> dict[str, Read]:
    """The first read of each check below, to start ahead of the crossings (bot.services.scan.ahead)."""
    out: dict[str, Read] = {
        "transfers": lambda src: scan_repo.transfers_due(src, today - timedelta(days=conf.receipt_days), org_ids,
                                                         run.chunk),
        "idle": lambda src: scan_repo.idle_cases(src, today, conf.case_idle_days, org_ids, run.chunk),
    }
    if today.day >= conf.flow_reminder_day:
        out["flow"] = lambda src: scan_repo.flow_due(src, today.replace(day=1), today.strftime("%Y-%m"), org_ids,
                                                     run.chunk)
    return out


def _single(to: list[Recipient]) -> str | None:
    """The locale a list item is rendered in at once: its one recipient's (see messages.item)."""
    return to[0].locale if len(to) == 1 else None


async def _first(ahead: ReadAhead | None, tx: Any, name: str) -> list[Any] | None:
    return None if ahead is None else await ahead.take(tx, name)


Composed = tuple[Batch, list[Flag | None]]     # a check's reminders, rendered, and (for a sink) its flags


Row = dict[str, Any]


def _batch(run: ScanRun, today: date, kind: str, header: dict[str, Any], rows: list[Row],
           text_of: Callable[[Row, str | None], Line | str], ref_of: Callable[[Row], str],
           flag_of: Callable[[Row], Flag], to_of: Callable[[Row], list[Recipient]] | None = None) -> Composed:
    """A check's reminders, one list item per row, rendered (pure Python: may run in a worker thread;
    counts nothing). Each row goes to `to_of(row)`, by default whoever answers for its branch; its
    item is `text_of(row, locale)` (locale: its one recipient's, see messages.item); its Flag is built
    only for a sink."""
    batch, flags, reporting = Batch(today), [], run.sink is not None
    for r in rows:
        to = to_of(r) if to_of is not None else run.contacts.responsible(r["branch_id"])
        flag = flag_of(r) if reporting else None
        batch.add_many(kind, r["branch_id"], to, header, [text_of(r, _single(to))], [ref_of(r)], [flag])
        flags.append(flag)
    batch.render()
    return batch, flags


def _transfer_batch(run: ScanRun, conf: ReminderSettings, today: date, rows: list[Row]) -> Composed:
    """The reminders of transfers without 回执."""
    kind = "transfer_no_receipt"
    return _batch(
        run, today, kind, {"days": conf.receipt_days}, rows,
        lambda r, locale: item(locale, LINE_TRANSFER, ("name", "org", "date"),
                               (esc(r["name"]), esc(r["to_org"]), r["sent_on"])),
        lambda r: f"transfer:{r['id']}",
        lambda r: Flag(kind, r["branch_id"], member_id=r["member_id"], name=r["name"],
                       detail={"transfer_id": r["id"], "sent_on": r["sent_on"], "to_org": r["to_org"]}))


def _idle_batch(run: ScanRun, conf: ReminderSettings, today: date, rows: list[Row]) -> Composed:
    """The reminders of idle cases."""
    kind = "case_idle"

    def text_of(r: Row, locale: str | None) -> Line | str:
        if r["last_attempt"]:
            return item(locale, LINE_CASE_ATTEMPT, ("name", "opened", "last"),
                        (esc(r["name"]), r["opened_on"], r["last_attempt"]))
        return item(locale, LINE_CASE_NO_ATTEMPT, ("name", "opened"), (esc(r["name"]), r["opened_on"]))

    return _batch(
        run, today, kind, {"days": conf.case_idle_days}, rows, text_of, lambda r: f"case:{r['id']}",
        lambda r: Flag(kind, r["branch_id"], member_id=r["member_id"], name=r["name"],
                       detail={"case_id": r["id"], "last_attempt": r["last_attempt"], "due": r["due"]}))


def _flow_batch(run: ScanRun, conf: ReminderSettings, today: date, rows: list[Row]) -> Composed:
    """The reminders of flow members without contact this month: to the officer when bound, else to
    whoever answers for the branch."""
    kind, month, days_since = "flow_contact", today.strftime("%Y-%m"), DaysSince(today)

    def to_of(r: Row) -> list[Recipient]:
        if r["o_tg"] is not None:
            return [Recipient(r["o_tg"], locale_of(r["o_lang"], None, run.default_locale))]
        return run.contacts.responsible(r["branch_id"])

    def text_of(r: Row, locale: str | None) -> Line | str:
        last = r["last_contact_on"]
        if last:
            return item(locale, LINE_LAST_CONTACT, ("name", "date", "days"), (esc(r["name"]), last, days_since[last]))
        entered = datetime.fromisoformat(r["created_at"]).astimezone(conf.tz).date()
        return item(locale, LINE_NO_CONTACT, ("name", "date"), (esc(r["name"]), entered.isoformat()))

    return _batch(
        run, today, kind, {"month": month}, rows, text_of, lambda r: f"member:{r['id']}",
        lambda r: Flag(kind, r["branch_id"], member_id=r["id"], name=r["name"], last_contact_on=r["last_contact_on"],
                       detail={"month": month, "officer_id": r["officer_id"]}),
        to_of)


def _not_lost(run: ScanRun, read: list[Any]) -> list[Any]:
    """Flow rows read before this run raised its 失联 members, without those (they get the 失联 list)."""
    return [r for r in read if r["id"] not in run.lost]


class Composer:
    """The checks' reminders composed in a worker thread from the rows read ahead, one check after the
    other, while the writer flags the transfers and marks the cases: after the crossings only the
    writer and this thread are busy, and the composing was a third of that tail on the event loop.

    A check uses what was composed only for the very rows its transaction took (ReadAhead.take returns
    the read-ahead list itself when nothing else has written); else it composes in its transaction."""

    def __init__(self, run: ScanRun, conf: ReminderSettings, today: date, ahead: ReadAhead):
        self._made: dict[str, tuple[list[Any], asyncio.Future[Composed]]] = {}
        jobs = []
        for name, compose in (("transfers", _transfer_batch), ("idle", _idle_batch), ("flow", _flow_batch)):
            rows = ahead.ready(name)
            if rows:
                todo = _not_lost(run, rows) if name == "flow" else rows
                jobs.append((name, rows, lambda c=compose, t=todo: c(run, conf, today, t)))
        loop = asyncio.get_running_loop()
        for name, rows, _job in jobs:
            self._made[name] = (rows, loop.create_future())
        self._turns = asyncio.ensure_future(self._in_turn(jobs)) if jobs else None

    async def _in_turn(self, jobs: list[tuple[str, list[Any], Callable[[], Composed]]]) -> None:
        for name, _rows, job in jobs:
            done = self._made[name][1]
            try:
                done.set_result(await asyncio.to_thread(job))
            except Exception as exc:  # noqa: BLE001 (raised where the check takes it)
                done.set_exception(exc)

    async def take(self, name: str, rows: list[Any] | None) -> Composed | None:
        """What was composed for `name` if it was composed from `rows` (the same list), else None."""
        made = self._made.pop(name, None)
        if made is None or rows is None or made[0] is not rows:
            return None
        return await made[1]

    async def close(self) -> None:
        if self._turns is not None:
            await settle(self._turns)
        for _rows, done in self._made.values():
            await settle(done)
        self._made.clear()


async def _composed(composer: Composer | None, name: str, rows: list[Any] | None) -> Composed | None:
    return None if composer is None else await composer.take(name, rows)


async def transfers_without_receipt(run: ScanRun, conf: ReminderSettings, today: date,
                                    org_ids: Sequence[int] | None, ahead: ReadAhead | None = None,
                                    composer: Composer | None = None) -> None:
    """Seed 000 step 10: a transfer out with no 回执 after N days — confirm with the receiving organization;
    the member is marked 口袋党员 risk (special_statuses gets "pocket", audited)."""
    cut = today - timedelta(days=conf.receipt_days)
    while True:
        async with run.tx() as tx:
            rows = await _first(ahead, tx, "transfers")
            if rows is None:
                rows = await scan_repo.transfers_due(tx, cut, org_ids, run.chunk)
            if rows:
                await scan_repo.flag_transfers(tx, [r["id"] for r in rows], today)
                marked = await scan_repo.mark_pocket(tx, sorted({r["member_id"] for r in rows}),
                                                     SpecialStatus.POCKET.value)
                audits = [("transfer", r["id"], "no_receipt", None,
                           {"flagged_on": today.isoformat(), "sent_on": r["sent_on"], "member_id": r["member_id"]})
                          for r in rows]
                audits += [("member", mid, "pocket_risk", None, {"special_status_added": SpecialStatus.POCKET.value})
                           for mid in marked]
                await tx.audit_many(audits)
                batch, flags = await _composed(composer, "transfers", rows) or _transfer_batch(run, conf, today, rows)
                run.count("transfer_no_receipt", len(rows))
                await run.finish(tx, batch, flags)
        if len(rows) < run.chunk:
            break


async def idle_cases(run: ScanRun, conf: ReminderSettings, today: date, org_ids: Sequence[int] | None,
                     ahead: ReadAhead | None = None, composer: Composer | None = None) -> None:
    """An open (searching) case with no search attempt in the last N days: remind whoever answers for the
    branch, once per N-day period without an attempt."""
    while True:
        async with run.tx() as tx:
            rows = await _first(ahead, tx, "idle")
            if rows is None:
                rows = await scan_repo.idle_cases(tx, today, conf.case_idle_days, org_ids, run.chunk)
            if rows:
                await scan_repo.add_marks(tx, [f"case_idle:{r['id']}:{r['due']}" for r in rows])
                batch, flags = await _composed(composer, "idle", rows) or _idle_batch(run, conf, today, rows)
                run.count("case_idle", len(rows))
                await run.finish(tx, batch, flags)
        if len(rows) < run.chunk:
            break


async def flow_members(run: ScanRun, conf: ReminderSettings, today: date, org_ids: Sequence[int] | None,
                       ahead: ReadAhead | None = None, composer: Composer | None = None) -> None:
    """Flow members with no contact recorded this month: remind their officer (指定专人, seed 004 measure 二),
    or whoever answers for the branch when none is bound, once a month from the configured day on."""
    if today.day < conf.flow_reminder_day:
        return
    month = today.strftime("%Y-%m")
    while True:
        async with run.tx() as tx:
            read = await _first(ahead, tx, "flow")
            composed = await _composed(composer, "flow", read)
            if read is None:
                read = rows = await scan_repo.flow_due(tx, today.replace(day=1), month, org_ids, run.chunk)
            else:                  # read before this run raised its 失联 members: leave those out
                rows = _not_lost(run, read)
            if rows:
                await scan_repo.add_marks(tx, [f"flow:{r['id']}:{month}" for r in rows])
                batch, flags = composed or _flow_batch(run, conf, today, rows)
                run.count("flow_contact", len(rows))
                await run.finish(tx, batch, flags)
        if len(read) < run.chunk:
            break


async def removals_due(run: ScanRun, conf: ReminderSettings, today: date, org_ids: Sequence[int] | None) -> None:
    """2019 rule: a member under 停止党籍 because unreachable is removed as 自行脱党 two years on; remind
    `removal_lead_days` ahead, and again on the day it is due."""
    if conf.policy_version is not PolicyVersion.REGULATION_2019:
        return
    async with run.tx() as tx:
        due_items: list[tuple[str, str, Any, date]] = []
        for r in await scan_repo.suspended_cases(tx, org_ids):
            due = removal_due_on(date.fromisoformat(r["suspended_since"]))
            if today >= due:
                due_items.append(("removal_due", f"removal_due:{r['id']}", r, due))
            elif today >= due - timedelta(days=conf.removal_lead_days):
                due_items.append(("removal_ahead", f"removal_ahead:{r['id']}", r, due))
        done = await scan_repo.existing_marks(tx, [key for _k, key, _r, _d in due_items])
        fresh = [item for item in due_items if item[1] not in done]
        if not fresh:
            return
        await scan_repo.add_marks(tx, [key for _k, key, _r, _d in fresh])
        batch, flags = Batch(today), []
        for kind, _key, r, due in fresh:
            flag = run.flag(kind, r["branch_id"], member_id=r["member_id"], name=r["name"],
                            detail={"case_id": r["id"], "suspended_since": r["suspended_since"], "due": due.isoformat()})
            batch.add(kind, r["branch_id"], run.contacts.responsible(r["branch_id"]), {},
                      line(LINE_REMOVAL, name=r["name"], since=r["suspended_since"], due=due.isoformat()),
                      f"case:{r['id']}", flag)
            flags.append(flag)
        await run.finish(tx, batch, flags)
