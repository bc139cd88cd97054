"""The outbox sender: delivers queued reminders through the bot within Telegram's limits.

Delivery is at-least-once, and exactly once outside one window:

    claim (state 'sending', committed) → send_message → Telegram accepts → mark 'sent' (committed)
                                                       └────────── the window ──────────┘

A sender that dies inside the window leaves the row in 'sending'; the next sender's recover() puts it
back to 'pending' and sends it again, so the recipient may get that one message twice. Outside the
window nothing is repeated (a row marked 'sent' is never claimed again) and nothing is lost (a row
claimed but not sent, or never claimed, is sent after the restart). A request that timed out is in
the window too: Telegram may have accepted it before the connection failed, and it is retried.
There is at most one message per chat in flight, so the window holds at most `max_inflight` messages.

Every outbox text is HTML with user text escaped when it was rendered (the bot's convention, see
bot.app); a payload may name another "parse_mode" (null: plain text).

Limits: at most `rate` messages in any sliding second overall (Telegram: about 30/s) and one message
per second per chat, enforced here (PTB's AIORateLimiter has no per-private-chat limit). A 429 pauses
every send for its retry_after and retries; 5xx, network errors and timeouts back off exponentially;
403 marks the user blocked and tells their secretary once; 400 fails the message for good.

The retry mechanism is shared with every other Bot API call (bot.telegram_retry): the bot's request
layer already repeats, within a few seconds, what provably never reached Telegram (a 502, a refused
connection); this loop uses the same classification and backoff for what is left, over minutes, and
also repeats timeouts (the at-least-once window above), which the request layer never does for a send.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError

from bot.clock import utc_iso
from bot.i18n import DEFAULT_LOCALE
from bot.services.context import Services
from bot.services.scan.checkin import note_blocked
from bot.storage import outbox as outbox_repo
from bot.telegram_retry import BLOCKED, PERMANENT, RETRY_AFTER, Backoff, classify

log = logging.getLogger("bot.reminders.sender")

Sleep = Callable[[float], Awaitable[Any]]
Hook = Callable[[str, Any], Awaitable[None] | None]


class SlidingWindowLimiter:
    """At most `rate` acquisitions in any window of `period` seconds (a log of the last `rate` times).

    A strict window, unlike a leaky bucket that starts full and lets a burst of `rate` through on top of
    the steady rate in the first second.
    """

    def __init__(self, rate: int = 30, period: float = 1.0, time_fn: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep):
        self.rate, self.period = rate, period
        self.time_fn, self.sleep = time_fn, sleep
        self._log: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.time_fn()
                while self._log and now - self._log[0] >= self.period:
                    self._log.popleft()
                if len(self._log) < self.rate:
                    self._log.append(now)
                    return
                await self.sleep(self.period - (now - self._log[0]))


@dataclass
class SendStats:
    sent: int = 0
    retried_429: int = 0
    retried_errors: int = 0
    released: int = 0
    failed: int = 0
    blocked: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)   # a timedelta inside PTB 22 (the property warns)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value if value is not None else 1)


def reply_markup(buttons: list[list[dict[str, str]]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                                 for row in buttons])


async def _to_the_end(coro: Awaitable[Any]) -> Any:
    """Run a write transaction to its end even if the delivery is cancelled meanwhile (stop(), a failing
    sibling): a cancellation landing while BEGIN or COMMIT is queued on the connection's thread would
    leave the shared connection inside a transaction. The cancellation is re-raised afterwards."""
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


class Sender:
    """Delivers the outbox. `drain()` sends what is due and returns; `run()` keeps going until stopped."""

    def __init__(self, services: Services, bot: Any, *, default_locale: str = DEFAULT_LOCALE, rate: int = 30,
                 period: float = 1.0, per_chat_interval: float = 1.0, max_inflight: int = 60, max_tries: int = 6,
                 backoff_base: float = 0.5, backoff_max: float = 30.0, release_after: float = 300.0,
                 poll_interval: float = 2.0, sleep: Sleep = asyncio.sleep,
                 time_fn: Callable[[], float] = time.monotonic, hook: Hook | None = None,
                 jitter: Callable[[], float] = lambda: random.uniform(0.5, 1.0)):
        self.services, self.bot, self.default_locale = services, bot, default_locale
        self.per_chat_interval, self.max_inflight, self.max_tries = per_chat_interval, max_inflight, max_tries
        self.backoff_base, self.backoff_max, self.release_after = backoff_base, backoff_max, release_after
        self.poll_interval, self.sleep, self.time_fn, self.hook = poll_interval, sleep, time_fn, hook
        self.backoff = Backoff(backoff_base, backoff_max, jitter)
        self.limiter = SlidingWindowLimiter(rate, period, time_fn, sleep)
        self.stats = SendStats()
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._stopping = False

    # -- control ---------------------------------------------------------------------------------------
    def kick(self) -> None:
        """Something was queued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def recover(self) -> int:
        """At start: messages a dead sender had claimed go back to the queue (the at-least-once window)."""
        async with self.services.db.write("sender") as tx:
            n = await outbox_repo.recover(tx)
        if n:
            log.warning("outbox: %d message(s) claimed by a previous sender are queued again", n)
        return n

    async def drain(self) -> SendStats:
        """Send everything due now (and what becomes due while sending), then return."""
        await self._pump(stop_when_idle=True)
        return self.stats

    async def run(self) -> None:
        """Recover, then deliver until stop()."""
        await self.recover()
        await self._pump(stop_when_idle=False)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    # -- the loop ----------------------------------------------------------------------------------------
    async def _due_now(self) -> bool:
        now = self.services.clock.now()
        row = await self.services.db.fetchone(
            "SELECT 1 FROM outbox WHERE state = 'pending' AND not_before <= ? LIMIT 1", (utc_iso(now),))
        return row is not None

    async def _claim(self, busy: set[int], limit: int) -> list[Any]:
        if limit <= 0 or not await self._due_now():
            return []
        async with self.services.db.write("sender") as tx:
            return await outbox_repo.claim(tx, self.services.clock.now(), limit, busy)

    async def _pump(self, stop_when_idle: bool) -> None:
        tasks: dict[asyncio.Task, int] = {}
        try:
            while True:
                self._wake.clear()   # a kick from now on wakes the wait below
                if not self._stopping and len(tasks) <= self.max_inflight // 2:
                    for row in await self._claim(set(tasks.values()), self.max_inflight - len(tasks)):
                        tasks[asyncio.ensure_future(self._deliver(row))] = row["chat_id"]
                if not tasks:
                    if self._stopping or stop_when_idle:
                        return   # nothing in flight and nothing could be claimed: nothing is due
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                    except asyncio.TimeoutError:
                        pass
                    continue
                waker = asyncio.ensure_future(self._wake.wait())
                done, _ = await asyncio.wait([*tasks, waker], timeout=self.poll_interval,
                                             return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                for task in done:
                    if task is waker:
                        continue
                    tasks.pop(task)
                    task.result()   # a crash in a delivery (a kill, in the tests) ends the sender
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _call_hook(self, point: str, row: Any) -> None:
        if self.hook is not None:
            result = self.hook(point, row)
            if asyncio.iscoroutine(result):
                await result

    async def _wait_turn(self, chat_id: int) -> None:
        """Per-chat spacing, any 429 pause, then the overall window."""
        while True:
            now = self.time_fn()
            wait = max(self._chat_next.get(chat_id, 0.0), self._paused_until) - now
            if wait <= 0:
                break
            await self.sleep(wait)
        await self.limiter.acquire()
        self._chat_next[chat_id] = self.time_fn() + self.per_chat_interval
        if len(self._chat_next) > 10000:   # forget chats whose interval has long passed
            cutoff = self.time_fn()
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > cutoff}

    async def _write(self, fn: Callable, *args: Any) -> Any:
        async def op() -> Any:
            async with self.services.db.write("sender") as tx:
                return await fn(tx, *args)

        return await _to_the_end(op())

    async def _deliver(self, row: Any) -> None:
        chat_id, outbox_id = row["chat_id"], row["id"]
        payload = json.loads(row["payload"])
        user = await self.services.db.fetchone("SELECT blocked_at FROM users WHERE tg_id = ?", (chat_id,))
        if user is not None and user[0]:
            await self._write(outbox_repo.mark_chat_blocked, chat_id, "user has blocked the bot")
            self.stats.blocked += 1
            return
        await self._call_hook("claimed", row)        # written, claimed, not sent yet
        tries = 0
        while True:
            await self._wait_turn(chat_id)
            try:
                message = await self.bot.send_message(
                    chat_id=chat_id, text=payload["text"], parse_mode=payload.get("parse_mode", ParseMode.HTML),
                    reply_markup=reply_markup(payload.get("buttons") or []))
            except TelegramError as exc:   # what the request layer did not (or must not) retry itself
                kind = classify(exc)
                if kind == RETRY_AFTER:
                    assert isinstance(exc, RetryAfter)
                    seconds = retry_after_seconds(exc)
                    self._paused_until = max(self._paused_until, self.time_fn() + seconds)
                    self.stats.retried_429 += 1
                    await self._write(outbox_repo.note_error, outbox_id, f"429 retry after {seconds:g}s")
                    continue
                if kind == BLOCKED:
                    await self._write(outbox_repo.mark_chat_blocked, chat_id, f"403 {exc.message}")
                    self.stats.blocked += 1
                    await _to_the_end(note_blocked(self.services, chat_id, self.default_locale))
                    self.kick()
                    return
                if kind == PERMANENT:
                    log.error("outbox %s to %s failed for good: %s", outbox_id, chat_id, exc)
                    await self._write(outbox_repo.mark_failed, outbox_id, f"{type(exc).__name__}: {exc}")
                    self.stats.failed += 1
                    return
                # TRANSIENT: NetworkError (5xx), TimedOut, anything else from Telegram
                tries += 1
                if tries >= self.max_tries:
                    later = self.services.clock.now() + timedelta(seconds=self.release_after)
                    await self._write(outbox_repo.release, outbox_id, later, f"{type(exc).__name__}: {exc}")
                    self.stats.released += 1
                    return
                self.stats.retried_errors += 1
                await self._write(outbox_repo.note_error, outbox_id, f"{type(exc).__name__}: {exc}")
                await self.sleep(self.backoff.delay(tries))
                continue
            break
        await self._call_hook("sent", row)           # Telegram accepted it, not marked yet: the window
        await self._write(outbox_repo.mark_sent, outbox_id, getattr(message, "message_id", None))
        self.stats.sent += 1
