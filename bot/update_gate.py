"""How many updates are handled at once: one while each is quick, up to the limit as soon as one is not.

Running updates side by side pays only while they wait: on Telegram (a round trip of 0.1-0.3 s), on a long
export, on a slow disk. While each update is done in a few milliseconds of CPU, running eight at once buys
nothing (one event loop, one core) and costs: interleaved tasks, one HTTP connection each and the pool's
bookkeeping over all of them, worse cache locality. Measured in bench/updates_bench.py (issue 13): the same
bot handled ~18% fewer updates per second with 8 in flight than with 1 when Bot API calls took ~1 ms.

So the gate lets the next update start when nothing is running, or when the oldest update in flight has
been running for `patience` seconds or more (it waits on something) — then up to `limit` run at once, as
before. With Telegram's round trips every update outlasts the patience, and the bot runs `limit` at once
after the first 50 ms of a burst; a slow export never holds the others back more than that; on a fast
link the updates simply run one after another. Waiting updates start in arrival order.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator

DEFAULT_PATIENCE = 0.05   # seconds: well under a Telegram round trip, well over a quick update's handling


class PatientGate:
    """Admission of updates: `async with gate.admitted():` around the handling of one (module docstring)."""

    def __init__(self, limit: int, patience: float = DEFAULT_PATIENCE):
        if limit < 1 or patience < 0:
            raise ValueError("limit must be >= 1 and patience >= 0")
        self.limit, self.patience = limit, patience
        self._running: dict[int, float] = {}    # token -> when it started (loop time), oldest first
        self._waiting: deque[asyncio.Future[int]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._tokens = itertools.count()

    @property
    def running(self) -> int:
        return len(self._running)

    def _may_start(self, now: float) -> bool:
        if not self._running:
            return True
        if len(self._running) >= self.limit:
            return False
        return now - next(iter(self._running.values())) >= self.patience

    def _start(self, now: float) -> int:
        token = next(self._tokens)
        self._running[token] = now
        return token

    async def acquire(self) -> int:
        loop = asyncio.get_running_loop()
        if not self._waiting and self._may_start(loop.time()):
            return self._start(loop.time())
        waiter: asyncio.Future[int] = loop.create_future()
        self._waiting.append(waiter)
        self._arm(loop)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())   # admitted just as it was cancelled: give the place back
            else:
                self._waiting.remove(waiter)
            raise

    def release(self, token: int) -> None:
        self._running.pop(token, None)
        self._wake()

    def _wake(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._waiting:
            return
        loop = asyncio.get_running_loop()
        while self._waiting and self._may_start(loop.time()):
            waiter = self._waiting.popleft()
            if not waiter.done():               # (a cancelled waiter is skipped)
                waiter.set_result(self._start(loop.time()))
        self._arm(loop)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake the waiters when the oldest update in flight reaches the patience (a release wakes them too)."""
        if self._timer is not None or not self._waiting or not self._running or len(self._running) >= self.limit:
            return
        oldest = next(iter(self._running.values()))
        self._timer = loop.call_at(oldest + self.patience, self._wake)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """The handling of one update, admitted by the gate (and its place given back however it ends)."""
        token = await self.acquire()
        try:
            yield
        finally:
            self.release(token)
