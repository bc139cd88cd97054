"""Exactly-once for Telegram updates across a crash: the update id travels with its first audited change.

Telegram delivers an update until the bot confirms it (the next getUpdates offset, or the webhook's 200).
A bot killed after committing a member's action but before confirming the update gets it again after the
restart, and would save the action twice. So:

- while an update is handled, `handling(update_id)` puts its id in a context variable;
- the first audited change of that handling (Tx.audit, i.e. a change to the register, not session state:
  persistence, the menu on record and the language seen carry no audit row) inserts the id into
  `applied_updates` in the same transaction: the change and the mark commit together or not at all;
- at start, `ReplayGuard.load()` reads the highest id recorded; an update at or below it may be a
  redelivery and is looked up (`already_applied`), one primary-key read; newer ones cost nothing.

What it does not do: an update killed between two audited transactions of its own (rare: each use case
is one transaction) is skipped after the restart with its second part undone; its reply, if the kill
came before it, is not sent again (the member sees the change in the bot, as the register has it).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterator

from bot.clock import utc_iso

if TYPE_CHECKING:
    from bot.storage.db import Database, Tx

KEEP = timedelta(days=2)   # Telegram keeps an unconfirmed update for 24 hours


@dataclass
class UpdateMark:
    update_id: int
    recorded: bool = False


_current: contextvars.ContextVar[UpdateMark | None] = contextvars.ContextVar("applied_update", default=None)


@contextmanager
def handling(update_id: int | None) -> Iterator[UpdateMark | None]:
    """Mark the changes made inside as belonging to this update (None: not an update, nothing marked)."""
    mark = UpdateMark(update_id) if update_id is not None else None
    token = _current.set(mark)
    try:
        yield mark
    finally:
        _current.reset(token)


def mark_for(tx: "Tx") -> tuple[str, tuple] | None:
    """Called by Tx.audit: the statement recording the current update, to run in this transaction before its
    audit rows (once per update: None when there is no update, or it is recorded or about to be)."""
    mark = _current.get()
    if mark is None or mark.recorded or getattr(tx, "_update_mark", None) is mark:
        return None
    tx._update_mark = mark   # type: ignore[attr-defined]
    return ("INSERT OR IGNORE INTO applied_updates (update_id, applied_at) VALUES (?, ?)",
            (mark.update_id, tx.now_iso))


def committed(tx: "Tx") -> None:
    """Called by Database.write after COMMIT: the mark is in the database now."""
    mark = getattr(tx, "_update_mark", None)
    if mark is not None:
        mark.recorded = True


class ReplayGuard:
    """Tells a redelivered update that was applied before a restart from a new one."""

    def __init__(self, db: "Database"):
        self.db = db
        self.horizon = -1   # the highest update id applied before this start

    async def load(self, now: datetime) -> None:
        async with self.db.write("updates") as tx:   # bookkeeping: no audit row
            await tx.execute("DELETE FROM applied_updates WHERE applied_at < ?", (utc_iso(now - KEEP),))
        row = await self.db.fetchone("SELECT MAX(update_id) FROM applied_updates")
        self.horizon = row[0] if row and row[0] is not None else -1

    async def already_applied(self, update_id: int) -> bool:
        if update_id > self.horizon:
            return False
        row = await self.db.fetchone("SELECT 1 FROM applied_updates WHERE update_id = ?", (update_id,))
        return row is not None
