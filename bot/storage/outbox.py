"""The outbox: reminders and notices written in the same transaction as what caused them.

A message is rendered in the recipient's language when it is enqueued; the idempotency key
(who, what, period) makes a second enqueue of the same reminder a no-op.
"""

from __future__ import annotations

import json
from functools import lru_cache
from json.encoder import encode_basestring
from datetime import datetime
from typing import Any

from bot.clock import utc_iso
from bot.storage.db import Tx


async def enqueue(tx: Tx, key: str, chat_id: int, kind: str, text: str,
                  buttons: list[list[dict[str, str]]] | None = None, not_before: datetime | None = None) -> bool:
    """Queue one message; returns False if a message with this key was already queued (never sent twice).

    buttons: rows of {"text": ..., "callback_data": ...} for an inline keyboard.
    """
    payload = json.dumps({"text": text, "buttons": buttons or []}, ensure_ascii=False)
    cur = await tx.execute(
        "INSERT OR IGNORE INTO outbox (key, chat_id, kind, payload, created_at, not_before) VALUES (?,?,?,?,?,?)",
        (key, chat_id, kind, payload, tx.now_iso, utc_iso(not_before) if not_before else tx.now_iso))
    return cur.rowcount == 1


def payload_of(row: Any) -> dict[str, Any]:
    return json.loads(row["payload"])


# --- Bulk enqueue and delivery bookkeeping (issue 4) -------------------------------------------------
#
# States: pending → sending (claimed by a sender) → sent | failed | blocked.  A row left in 'sending' by a
# sender that died is put back to 'pending' by recover() at the next start and sent again: that is the
# at-least-once window (Telegram accepted the message, our "sent" commit did not happen).


def payload_json(text: str, buttons: list[list[dict[str, str]]] | None = None) -> str:
    """The payload enqueue() writes; built by hand for the common case without buttons (the scan
    writes tens of thousands at once)."""
    if not buttons:
        return '{"text": ' + encode_basestring(text) + ', "buttons": []}'
    if _plain_buttons(buttons):                                           # the scan's 报平安 check-ins
        rows = ", ".join("[" + ", ".join('{"text": ' + encode_basestring(b["text"]) + ', "callback_data": '
                                         + encode_basestring(b["callback_data"]) + "}" for b in row) + "]"
                         for row in buttons)
        return '{"text": ' + encode_basestring(text) + ', "buttons": [' + rows + "]}"
    return json.dumps({"text": text, "buttons": buttons}, ensure_ascii=False)


_BUTTON_KEYS = {"text": None, "callback_data": None}.keys()


def _plain_buttons(buttons: list[list[dict[str, str]]]) -> bool:
    for row in buttons:
        for b in row:
            if b.keys() != _BUTTON_KEYS:
                return False
    return True


async def enqueue_many(tx: Tx, rows: list[tuple[str, int, str, str, str | None]],
                       not_before: datetime | None = None) -> int:
    """Queue many messages at once: rows of (key, chat_id, kind, payload_json, ref). Returns how many were new."""
    if not rows:
        return 0
    return await tx.in_thread(_enqueue_in_thread, rows, tx.now_iso, utc_iso(not_before) if not_before else tx.now_iso)


def enqueue_at_commit(tx: Tx, rows: list[tuple[str, int, str, str, str | None]], done: Any) -> None:
    """enqueue_many in the transaction's COMMIT hop (Tx.at_commit); done(how many were new) after it."""
    if rows:
        tx.at_commit(_enqueue_in_thread, rows, tx.now_iso, tx.now_iso, done=done)


_INSERT_MANY = "INSERT OR IGNORE INTO outbox (key, chat_id, kind, payload, ref, created_at, not_before) VALUES "
_ROW = "(?,?,?,?,?,?,?)"
_LARGEST = 2048     # rows per statement: 14,336 parameters, under SQLite's 32,766


@lru_cache(maxsize=None)
def _insert_sql(rows: int) -> str:
    return _INSERT_MANY + ",".join([_ROW] * rows)


def _enqueue_in_thread(conn: Any, rows: list[tuple[str, int, str, str, str | None]], created: str, at: str) -> int:
    # Multi-row INSERTs with bound parameters, not executemany: executemany takes Python's GIL back
    # after every row (while the scan composes its next messages in another thread, each row waits for
    # it), one statement steps SQLite once for thousands of rows. The parts are powers of two, so the
    # connection's statement cache holds a dozen shapes, not one per length.
    before, i, n = conn.total_changes, 0, len(rows)
    while i < n:
        size = _LARGEST
        while size > n - i:
            size //= 2
        part = rows[i:i + size]
        conn.execute(_insert_sql(size),
                     [v for key, chat, kind, payload, ref in part for v in (key, chat, kind, payload, ref, created, at)]
                     ).close()
        i += size
    return conn.total_changes - before


async def recover(tx: Tx) -> int:
    """Put messages a dead sender had claimed back in the queue (they may have reached Telegram: resent)."""
    cur = await tx.execute("UPDATE outbox SET state = 'pending', claimed_at = NULL WHERE state = 'sending'")
    return cur.rowcount


async def claim(tx: Tx, now: datetime, limit: int, busy_chats: set[int] | frozenset[int] = frozenset()) -> list[Any]:
    """Claim the oldest due message of up to `limit` chats that are not busy, and mark them 'sending'.

    One message per chat per claim keeps each chat's messages in order (the next one is claimed after
    this one is done) and shares the sender between chats instead of draining one chat's backlog first.
    """
    rows = await tx.fetchall(
        "SELECT o.id, o.chat_id, o.kind, o.payload, o.attempts, o.key FROM outbox o JOIN"
        " (SELECT MIN(id) AS id FROM outbox WHERE state = 'pending' GROUP BY chat_id) f ON f.id = o.id"
        " WHERE o.not_before <= ? ORDER BY o.id", (utc_iso(now),))
    picked = [r for r in rows if r["chat_id"] not in busy_chats][:limit]
    if picked:
        await tx.executemany("UPDATE outbox SET state = 'sending', claimed_at = ?, attempts = attempts + 1"
                             " WHERE id = ? AND state = 'pending'", [(tx.now_iso, r["id"]) for r in picked])
    return picked


async def mark_sent(tx: Tx, outbox_id: int, message_id: int | None) -> None:
    await tx.execute("UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, last_error = NULL"
                     " WHERE id = ?", (tx.now_iso, message_id, outbox_id))


async def note_error(tx: Tx, outbox_id: int, error: str) -> None:
    """A failed try that will be retried: count it and keep the error for operators."""
    await tx.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                     (error[:500], outbox_id))


async def release(tx: Tx, outbox_id: int, not_before: datetime, error: str) -> None:
    """Give a message back to the queue to be tried again later (transient errors that outlived the retries)."""
    await tx.execute("UPDATE outbox SET state = 'pending', claimed_at = NULL, not_before = ?, last_error = ?"
                     " WHERE id = ?", (utc_iso(not_before), error[:500], outbox_id))


async def mark_failed(tx: Tx, outbox_id: int, error: str) -> None:
    """A permanent error (400 Bad Request: chat not found …): never retried."""
    await tx.execute("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?", (error[:500], outbox_id))


async def mark_chat_blocked(tx: Tx, chat_id: int, error: str) -> int:
    """The chat blocked the bot: this message and every other one waiting for that chat are not sent."""
    cur = await tx.execute("UPDATE outbox SET state = 'blocked', last_error = ? WHERE chat_id = ?"
                           " AND state IN ('pending', 'sending')", (error[:500], chat_id))
    return cur.rowcount


async def next_due(db: Any) -> str | None:
    """When the earliest pending message becomes due (UTC ISO), or None if nothing is pending."""
    row = await db.fetchone("SELECT MIN(not_before) FROM outbox WHERE state = 'pending'")
    return row[0] if row else None


async def counts(db: Any) -> dict[str, int]:
    rows = await db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
    return {r[0]: r[1] for r in rows}
