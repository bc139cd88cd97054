"""The outbox: reminders and notices written in the same transaction as what caused them.

A message is rendered in the recipient's language when it is enqueued; the idempotency key
(who, what, period) makes a second enqueue of the same reminder a no-op.
"""

from __future__ import annotations

import json
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
