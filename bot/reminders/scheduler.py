"""When the scan and the digest run: per node, at its local scan time, with catch-up after a downtime.

The schedule itself lives in the database, not in the scheduler's memory: job_runs keeps, per node,
when the scan (and the digest) last ran. A tick — an APScheduler interval job every minute, and once
at start — runs the scan for every node whose most recent scheduled time (today's scan time in the
node's timezone if it has passed, else yesterday's) is later than its last run. So:

- a bot that was down for five days scans once at the next start (the missed days collapse into
  one run: the scan works from dates, and the contact_levels table remembers what was already flagged, and job_runs where the window stopped);
- changing a node's scan time or timezone takes effect at the next tick, no job to re-register;
- APScheduler only drives the tick: coalesce=True and misfire_grace_time=None, so a tick delayed by
  a busy event loop still runs (APScheduler's default grace of 1 s would silently skip it), and
  several missed ticks run once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.i18n import DEFAULT_LOCALE
from bot.reminders.sender import Sender
from bot.services.context import SCHEDULER, Services
from bot.services.digest import DIGEST_JOB, run_digest
from bot.services.scan.run import SCAN_JOB, ScanReport, run_scan
from bot.services.scan.settings import ReminderSettings, all_effective_settings
from bot.storage import scan_repo

log = logging.getLogger("bot.reminders")

TICK_JOB_ID = "reminders.tick"


def last_scan_time(now: datetime, conf: ReminderSettings) -> datetime:
    """The most recent daily scan time at or before `now`, in the node's timezone."""
    local = now.astimezone(conf.tz)
    at = datetime.combine(local.date(), conf.scan_at, tzinfo=conf.tz)
    if at > local:
        at = datetime.combine(local.date() - timedelta(days=1), conf.scan_at, tzinfo=conf.tz)
    return at


def last_digest_time(now: datetime, conf: ReminderSettings) -> datetime:
    """The most recent weekly digest time (digest_weekday at the scan time) at or before `now`."""
    local = now.astimezone(conf.tz)
    day = local.date() - timedelta(days=(local.weekday() - conf.digest_weekday) % 7)
    at = datetime.combine(day, conf.scan_at, tzinfo=conf.tz)
    if at > local:
        at = datetime.combine(day - timedelta(days=7), conf.scan_at, tzinfo=conf.tz)
    return at


async def due(db: Any, now: datetime, settings: dict[int, ReminderSettings], job: str,
              last_time: Any) -> list[int]:
    """Nodes whose last scheduled time for `job` is later than the job's last run there."""
    runs = await scan_repo.last_runs(db, job)
    out = []
    for oid, conf in settings.items():
        last = runs.get(str(oid))
        if last is None or datetime.fromisoformat(last) < last_time(now, conf):
            out.append(oid)
    return sorted(out)


@dataclass
class TickResult:
    scanned: list[int] = field(default_factory=list)
    digested: list[int] = field(default_factory=list)
    report: ScanReport | None = None
    digest_messages: int = 0

    @property
    def messages(self) -> int:
        return (self.report.messages if self.report else 0) + self.digest_messages


async def tick(services: Services, default_locale: str = DEFAULT_LOCALE) -> TickResult:
    """Run whatever is due now: the scan of due nodes, then their weekly digest."""
    now = services.clock.now()
    settings = await all_effective_settings(services.db, services.clock.tz.key)
    result = TickResult()
    result.scanned = await due(services.db, now, settings, SCAN_JOB, last_scan_time)
    if result.scanned:
        every = len(result.scanned) == len(settings)
        result.report = await run_scan(services, SCHEDULER, org_ids=None if every else result.scanned,
                                       default_locale=default_locale)
        log.info("scan of %d node(s): %s, %d message(s) queued", len(result.scanned), result.report.counts,
                 result.report.messages)
    result.digested = await due(services.db, now, settings, DIGEST_JOB, last_digest_time)
    if result.digested:
        result.digest_messages = await run_digest(services, SCHEDULER, org_ids=result.digested,
                                                  default_locale=default_locale)
    return result


class Reminders:
    """The scheduler (an AsyncIOScheduler of our own, UTC; the nodes' local times are computed here)
    and the outbox sender, started together and stopped together."""

    def __init__(self, services: Services, bot: Any, *, default_locale: str = DEFAULT_LOCALE,
                 tick_seconds: float = 60.0, **sender_options: Any):
        self.services = services
        self.default_locale = default_locale
        self.tick_seconds = tick_seconds
        self.sender = Sender(services, bot, default_locale=default_locale, **sender_options)
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._sender_task: asyncio.Task | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.ticks = 0
        self.last_error: BaseException | None = None

    async def tick(self) -> TickResult | None:
        self._idle.clear()
        try:
            result = await tick(self.services, self.default_locale)
        except Exception as exc:   # the next tick tries again; the database holds what was done
            self.last_error = exc
            log.exception("reminders tick failed")
            return None
        finally:
            self.ticks += 1
            self._idle.set()
        if result.messages:
            self.sender.kick()
        return result

    async def start(self) -> None:
        """Register the tick (re-registered at every start; it runs once right away: the catch-up) and
        start the sender, which first re-queues what a previous process left half-sent."""
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=self.tick_seconds, timezone=timezone.utc),
                               id=TICK_JOB_ID, replace_existing=True, next_run_time=datetime.now(timezone.utc))
        self.scheduler.start()
        self._sender_task = asyncio.ensure_future(self.sender.run())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking — a tick under way finishes first (cancelling it mid-transaction would leave the
        shared connection inside it) — then let the messages in flight finish (up to `timeout`)."""
        if self.scheduler.running:
            if self.scheduler.get_job(TICK_JOB_ID) is not None:
                self.scheduler.remove_job(TICK_JOB_ID)
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except asyncio.TimeoutError:
                log.warning("reminders: a tick still running at shutdown is cancelled")
            self.scheduler.shutdown(wait=False)
        self.sender.stop()
        if self._sender_task is not None:
            try:
                await asyncio.wait_for(self._sender_task, timeout)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
            except Exception:
                log.exception("outbox sender stopped with an error")
            self._sender_task = None
