"""The update queue behind getUpdates, with real long polling.

Semantics follow Telegram: updates stay queued until a later call confirms them
with offset > update_id; a negative offset keeps only the newest -offset ones;
allowed_updates sticks until changed; a newer getUpdates terminates a pending
one with 409 Conflict (what two bot instances polling at once get in production).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from .checks import GETUPDATES_CONFLICT, ApiError

# Telegram's default when allowed_updates is empty or never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self._ids = itertools.count(10_000_001)
        self._changed = asyncio.Event()
        self._allowed: frozenset[str] | None = None
        self._poll_generation = 0
        self._closing = False

    def push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        self._wake()
        return update

    def _wake(self) -> None:
        # A fresh Event per change: a waiter holding the old one is released exactly once.
        self._changed.set()
        self._changed = asyncio.Event()

    def clear(self) -> None:
        self.pending.clear()

    def close(self) -> None:
        self._closing = True
        self._wake()

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        else:
            self.pending = self.pending[offset:]

    def _deliverable(self) -> list[dict]:
        def allowed(update: dict) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed:
                return kind in self._allowed
            return kind not in DEFAULT_EXCLUDED

        # Updates the bot opted out of are dropped for good, as Telegram does.
        self.pending = [u for u in self.pending if allowed(u)]
        return self.pending

    # ----- webhook delivery (bot/emulator/webhook.py) -----

    @property
    def closing(self) -> bool:
        return self._closing

    def deliverable(self) -> list[dict]:
        return self._deliverable()

    def remove(self, update: dict) -> None:
        """Delivered through the webhook: gone from the queue."""
        self.pending = [u for u in self.pending if u is not update]

    def notify(self) -> None:
        """Something besides a new update changed (a webhook was set): wake the waiters."""
        self._wake()

    async def wait_for_change(self) -> None:
        await self._changed.wait()

    async def get(self, offset: int | None, limit: int | None, timeout: float | None,
                  allowed_updates: list[str] | None) -> list[dict]:
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates)
        limit = min(max(limit or 100, 1), 100)
        timeout = max(float(timeout or 0), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # lets an older pending poll notice it has been superseded

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._confirm(offset)
        while True:
            ready = self._deliverable()
            if ready or self._closing:
                return ready[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, GETUPDATES_CONFLICT)
