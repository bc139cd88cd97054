"""Retrying Bot API calls that failed on the way, never sending anything twice.

One mechanism for every call the bot makes: the handlers' replies, edits and callback answers, the start-up
calls (getMe, setMyCommands …), getUpdates, and the outbox sender's sendMessage all go through
`RetryingRequest`, the HTTP layer PTB's Bot uses, so no handler has to think about it. The outbox sender
(bot/reminders/sender.py) shares the same `Backoff` and `classify` for its own, longer, at-least-once loop.

Never twice. A call is repeated only when the failure proves Telegram did not carry it out:
- the connection was never made (connect error, connect timeout, no free connection in the pool):
  the request did not leave this machine;
- the front proxy answered 502 Bad Gateway or 503 Service Unavailable: it could not hand the request to
  the Bot API server, which therefore never saw it.
What may have been carried out is repeated only for calls whose repetition changes nothing (`IDEMPOTENT`:
the get* methods, setMyCommands, setWebhook …): a read timeout, a connection dropped after the request
was written, 500, 504 (the proxy gave up waiting: the server may still be working on it). A sendMessage
that timed out is NOT repeated here: the user may already have the message. (The outbox sender repeats
even those, on purpose, and says so: reminders are at-least-once.)

Bounded. At most `max_tries` attempts, backoff doubling from `base` up to `cap` with jitter, and never
a retry that would start after `deadline` seconds from the first attempt: a callback query must be
answered within Telegram's 15 s, so the default keeps the whole thing under 10 s.

Quiet. One WARNING line per retry (method, reason, attempt, delay; never the URL, which holds the token).
What still fails after the last try is raised as PTB would have raised it.

429 Too Many Requests is not handled here: PTB's AIORateLimiter (handlers) and the sender (reminders)
honour retry_after, and stacking a third loop on theirs would only multiply the waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from telegram.error import (BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter,
                            TelegramError, TimedOut)

from bot.telegram_http import NOT_SENT_ERRORS, AiohttpRequest

log = logging.getLogger("bot.telegram_retry")

# Methods whose repetition leaves Telegram as one call would (reads, and setters of a whole value).
IDEMPOTENT = frozenset(m.lower() for m in (
    "getMe", "getUpdates", "getChat", "getChatMember", "getChatAdministrators", "getChatMemberCount", "getFile",
    "getMyCommands", "getMyName", "getMyDescription", "getMyShortDescription", "getChatMenuButton",
    "getWebhookInfo", "getUserProfilePhotos", "setMyCommands", "deleteMyCommands", "setChatMenuButton",
    "setWebhook", "deleteWebhook", "setMyName", "setMyDescription", "setMyShortDescription",
))
NOT_PROCESSED_STATUS = frozenset({502, 503})      # the proxy could not reach the Bot API server
MAYBE_PROCESSED_STATUS = frozenset({500, 504})    # the server got it and may have done it

# What classify() says about a failure.
PERMANENT = "permanent"        # 400, 401/404 (token), chat migrated, 409: repeating cannot help
BLOCKED = "blocked"            # 403: the user blocked the bot or never started it
RETRY_AFTER = "retry_after"    # 429: wait what Telegram says
TRANSIENT = "transient"        # 5xx, network, timeouts: may work a moment later


def classify(exc: BaseException) -> str:
    """What kind of failure a TelegramError is (the outbox sender decides on this)."""
    if isinstance(exc, RetryAfter):
        return RETRY_AFTER
    if isinstance(exc, Forbidden):
        return BLOCKED
    if isinstance(exc, (BadRequest, ChatMigrated, InvalidToken, Conflict)):
        return PERMANENT
    return TRANSIENT


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n (1-based) waits min(cap, base·2^(n-1)) × jitter."""

    base: float = 0.25
    cap: float = 2.0
    jitter: Callable[[], float] = field(default=lambda: random.uniform(0.5, 1.0), compare=False)

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** (attempt - 1)) * self.jitter()


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the request layer tries: attempts, backoff and the deadline of one call."""

    max_tries: int = 5
    backoff: Backoff = Backoff()
    deadline: float = 10.0     # seconds from the first attempt after which no retry starts


DEFAULT_POLICY = RetryPolicy()


@dataclass
class RetryStats:
    """Counts since start (tests and the demo read them; nothing depends on them)."""

    retried: int = 0
    gave_up: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


def _api_method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _reason_of(exc: BaseException) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def retryable_failure(method: str, exc: BaseException) -> bool:
    """True when `exc`, raised by the HTTP layer for a call of `method`, may be retried without risk."""
    if not isinstance(exc, (NetworkError, TimedOut)) or isinstance(exc, (BadRequest, Forbidden, RetryAfter,
                                                                          ChatMigrated, InvalidToken, Conflict)):
        return False
    if isinstance(exc.__cause__, NOT_SENT_ERRORS):
        return True
    return method.lower() in IDEMPOTENT


def retryable_status(method: str, status: int) -> bool:
    """True when an HTTP status from Telegram's front may be retried without risk for `method`."""
    if status in NOT_PROCESSED_STATUS:
        return True
    return status in MAYBE_PROCESSED_STATUS and method.lower() in IDEMPOTENT


class RetryingRequest(AiohttpRequest):
    """The Bot's HTTP layer (bot.telegram_http) with bounded, safe retries of failed Bot API calls (see the
    module docstring)."""

    def __init__(self, *args: Any, policy: RetryPolicy = DEFAULT_POLICY,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 time_fn: Callable[[], float] = time.monotonic, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.policy, self._sleep, self._time = policy, sleep, time_fn
        self.stats = RetryStats()

    async def do_request(self, url: str, method: str, request_data: Any = None, **timeouts: Any) -> tuple[int, bytes]:
        api = _api_method(url)
        started = self._time()
        attempt = 0
        while True:
            attempt += 1
            try:
                code, payload = await super().do_request(url, method, request_data, **timeouts)
            except TelegramError as exc:
                if not retryable_failure(api, exc) or not await self._before_retry(api, attempt, started,
                                                                                   _reason_of(exc)):
                    raise
                continue
            if not retryable_status(api, code) or not await self._before_retry(api, attempt, started, str(code)):
                return code, payload   # PTB turns it into the usual exception
            continue

    async def _before_retry(self, api: str, attempt: int, started: float, reason: str) -> bool:
        """Wait before the next attempt and say so; False when the budget is spent."""
        delay = self.policy.backoff.delay(attempt)
        if attempt >= self.policy.max_tries or self._time() - started + delay > self.policy.deadline:
            self.stats.gave_up += 1
            return False
        self.stats.retried += 1
        self.stats.by_method[api] = self.stats.by_method.get(api, 0) + 1
        log.warning("Bot API %s failed (%s): retry %d of %d in %.2f s", api, reason, attempt,
                    self.policy.max_tries - 1, delay)
        await self._sleep(delay)
        return True


def retry_stats(bot: Any) -> RetryStats:
    """The retries of both of a PTB Bot's request objects (updates and everything else), added up."""
    total = RetryStats()
    for request in getattr(bot, "_request", ()):
        stats = getattr(request, "stats", None)
        if isinstance(stats, RetryStats):
            total.retried += stats.retried
            total.gave_up += stats.gave_up
            for k, v in stats.by_method.items():
                total.by_method[k] = total.by_method.get(k, 0) + v
    return total
