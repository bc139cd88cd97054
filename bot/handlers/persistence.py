"""PTB persistence over our SQLite database: JSON, not pickle.

Rows of the `persistence` table:

    kind                   key                        value
    user_data              "<user id>"                JSON object
    chat_data              "<chat id>"                JSON object
    bot_data               ""                         JSON object
    conversation:<name>    JSON array of the key      JSON state (int / str)

Rules for handler authors (this is why it is JSON):
- `context.user_data` / `context.chat_data` / `context.bot_data` must hold only JSON-able values:
  dict (str keys), list, str, int, float, bool, None. Store dates as ISO strings, enums by `.value`,
  Decimals as str. Tuples come back as lists. Anything else makes the persistence refuse the
  write, and that is recorded as an error (the e2e harness then fails the test) rather than lost silently.
- Conversation states must be ints or strs.
- callback_data is not persisted (we use plain string callback data).

Persistence writes are not domain changes: they run in an ordinary write transaction with no
audit row. PTB hands us changes every `update_interval` seconds (and once more at shutdown);
the changes of one round are written in a single transaction, and values equal to what was last
written are skipped, so idle users cost nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage.db import Database

log = logging.getLogger(__name__)

ACTOR = "persistence"


class PersistenceError(TypeError):
    """A value put into user_data/chat_data/bot_data or a conversation state is not JSON-able."""


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        # The message names the kind of data, never its content (it may be personal).
        raise PersistenceError(f"{what} is not JSON-able ({type(exc).__name__}: {exc})") from None


def _int_key(key: str) -> int | str:
    try:
        return int(key)
    except ValueError:
        return key


class SqlitePersistence(BasePersistence[dict, dict, dict]):
    """BasePersistence storing JSON in the `persistence` table of our Database."""

    def __init__(self, db: Database, *, update_interval: float = 1.0,
                 on_error: Callable[[BaseException], None] | None = None):
        # Only what the bot keeps across a restart: conversation states and their drafts (user_data).
        # chat_data and bot_data are unused; storing them would cost PTB a refresh and a save per update.
        super().__init__(store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True,
                                                     callback_data=False),
                         update_interval=update_interval)
        self.db = db
        self.on_error = on_error
        # (kind, key) -> JSON text to write, or None to delete
        self._pending: dict[tuple[str, str], str | None] = {}
        # what the table holds, as far as we know: skip rewriting identical values
        self._written: dict[tuple[str, str], str | None] = {}
        self._drain_lock = asyncio.Lock()

    # ---- loading -------------------------------------------------------------------------------

    async def _load(self, kind: str) -> list[tuple[str, Any]]:
        rows = await self.db.fetchall("SELECT key, value FROM persistence WHERE kind = ?", (kind,))
        out = []
        for key, value in rows:
            self._written[(kind, key)] = value
            out.append((key, json.loads(value)))
        return out

    async def get_user_data(self) -> dict[int, dict]:
        return {_int_key(k): v for k, v in await self._load("user_data")}  # type: ignore[misc]

    async def get_chat_data(self) -> dict[int, dict]:
        return {_int_key(k): v for k, v in await self._load("chat_data")}  # type: ignore[misc]

    async def get_bot_data(self) -> dict:
        rows = await self._load("bot_data")
        return rows[0][1] if rows else {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(json.loads(k)): v for k, v in await self._load(f"conversation:{name}")}

    # ---- saving --------------------------------------------------------------------------------

    async def _put(self, kind: str, key: str, value: Any, what: str) -> None:
        try:
            text = None if value is None else _dumps(value, what)
        except PersistenceError as exc:
            log.error("persistence: %s", exc)
            if self.on_error:
                self.on_error(exc)
            return
        self._pending[(kind, key)] = text
        # Let the sibling update_* calls PTB gathered with this one queue theirs: one transaction for all.
        await asyncio.sleep(0)
        await self._drain()

    async def _drain(self) -> None:
        async with self._drain_lock:
            changes = {k: v for k, v in self._pending.items() if self._written.get(k) != v}
            self._pending.clear()
            if not changes:
                return
            upserts = [(k[0], k[1], v) for k, v in changes.items() if v is not None]
            deletes = [(k[0], k[1]) for k, v in changes.items() if v is None]
            try:
                async with self.db.write(ACTOR) as tx:  # no audit row: session state, not the register
                    if upserts:
                        await tx.executemany(
                            "INSERT INTO persistence (kind, key, value) VALUES (?,?,?)"
                            " ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value", upserts)
                    if deletes:
                        await tx.executemany("DELETE FROM persistence WHERE kind = ? AND key = ?", deletes)
            except Exception as exc:  # e.g. the database was closed under us: say so, loudly
                log.error("persistence: %d change(s) not saved (%s)", len(changes), type(exc).__name__)
                if self.on_error:
                    self.on_error(exc)
                return
            for k, v in changes.items():
                if v is None:
                    self._written.pop(k, None)
                else:
                    self._written[k] = v

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._put("user_data", str(user_id), data or None, "user_data")

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._put("chat_data", str(chat_id), data or None, "chat_data")

    async def update_bot_data(self, data: dict) -> None:
        await self._put("bot_data", "", data or None, "bot_data")

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self._put(f"conversation:{name}", _dumps(list(key), "conversation key"), new_state,
                        f"state of conversation {name}")

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._put("chat_data", str(chat_id), None, "chat_data")

    async def drop_user_data(self, user_id: int) -> None:
        await self._put("user_data", str(user_id), None, "user_data")

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None  # the database is only written by this process: memory is current

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        await self._drain()
