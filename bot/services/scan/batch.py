"""Who receives a reminder, and how the reminders of one scan step are gathered into outbox rows.

A scan step adds items ("王XX crossed 失联") addressed to recipients; `flush(tx)` renders one
message per (recipient, kind, organization) in the recipient's language and writes them to the
outbox in the step's transaction, so a flag and the reminder it causes commit together or not at all.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from bot.domain.codes import Role
from bot.i18n import SUPPORTED, normalize_locale
from bot.services.scan.messages import LINES_PER_MESSAGE, Line, render_list
from bot.storage import outbox as outbox_repo
from bot.storage.db import Tx


def locale_of(locale: str | None, lang_code: str | None, default: str) -> str:
    """As bot.storage.users.effective_locale, for rows already joined with users: the /lang override
    (`locale`, one of SUPPORTED), else Telegram's language code, else the default."""
    if locale:
        return locale if locale in SUPPORTED else _normalized(locale)
    return _normalized(lang_code) if lang_code else default


# A register's users share a handful of language codes; the scan asks for tens of thousands.
_normalized = lru_cache(maxsize=256)(normalize_locale)


@dataclass(frozen=True)
class Recipient:
    tg_id: int
    locale: str


@dataclass
class Reminder:
    kind: str
    chat_id: int
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "chat_id": self.chat_id, "key": self.key}


@dataclass
class Flag:
    """Something the scan raised: a member crossing a threshold, an overdue item, a deadline ahead."""

    kind: str
    org_id: int
    member_id: int | None = None
    name: str | None = None
    level: str | None = None
    last_contact_on: str | None = None
    days_since_contact: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    reminders: list[Reminder] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "org_id": self.org_id, "member_id": self.member_id, "name": self.name,
                "level": self.level, "last_contact_on": self.last_contact_on,
                "days_since_contact": self.days_since_contact, "detail": self.detail,
                "reminders": [r.to_json() for r in self.reminders]}


class Contacts:
    """The organization tree and its role holders (blocked users left out), loaded once per scan."""

    def __init__(self, org_rows: Iterable[Any], role_rows: Iterable[Any], default_locale: str):
        self.parent: dict[int, int | None] = {}
        self.name: dict[int, str] = {}
        self.level: dict[int, str] = {}
        for r in org_rows:
            self.parent[r[0]], self.name[r[0]], self.level[r[0]] = r[1], r[2], r[3]
        self.holders: dict[tuple[int, str], list[Recipient]] = {}
        for org_id, role, tg_id, locale, lang_code, blocked_at in role_rows:
            if blocked_at:
                continue
            self.holders.setdefault((org_id, role), []).append(
                Recipient(tg_id, locale_of(locale, lang_code, default_locale)))
        self._responsible: dict[int, list[Recipient]] = {}

    def holding(self, org_id: int, role: Role) -> list[Recipient]:
        return self.holders.get((org_id, role.value), [])

    def responsible(self, org_id: int) -> list[Recipient]:
        """Who answers for a node: its secretaries, else its organizers, else its committee users, else
        the same one level up — so a reminder never silently goes nowhere while someone above could act."""
        if org_id not in self._responsible:
            node, seen, found = org_id, set(), []
            while node is not None and node not in seen and not found:
                seen.add(node)
                for role in (Role.SECRETARY, Role.ORGANIZER, Role.COMMITTEE):
                    found = self.holding(node, role)
                    if found:
                        break
                node = self.parent.get(node)
            self._responsible[org_id] = found
        return self._responsible[org_id]

    def ancestors(self, org_id: int) -> list[int]:
        out, node = [], org_id
        while node is not None and node not in out:
            out.append(node)
            node = self.parent.get(node)
        return out


@dataclass
class _Group:
    recipient: Recipient
    header_params: dict[str, Any]
    lines: list[Line | str] = field(default_factory=list)   # str: rendered for `recipient` already
    refs: list[str] = field(default_factory=list)
    flags: list[Flag | None] = field(default_factory=list)   # aligned with lines


class Batch:
    """The reminders of one transaction: list messages grouped per recipient, and single messages."""

    def __init__(self, today: date):
        self.today = today
        self.groups: dict[tuple[str, int, int], _Group] = {}
        self.singles: list[tuple[str, int, str, str, str | None, Flag | None]] = []
        self._rows: list[tuple[str, int, str, str, str | None]] = []

    def add(self, kind: str, org_id: int, recipients: Iterable[Recipient], header_params: dict[str, Any],
            item: Line, ref: str, flag: Flag | None = None) -> None:
        self.add_many(kind, org_id, recipients, header_params, [item], [ref], [flag])

    def add_many(self, kind: str, org_id: int, recipients: Iterable[Recipient], header_params: dict[str, Any],
                 items: list[Line | str], refs: list[str], flags: list[Flag | None]) -> None:
        """`add` for a branch's lines at once (aligned lists): the scan adds 150,000 lines."""
        for r in recipients:
            g = self.groups.get((kind, r.tg_id, org_id))
            if g is None:
                g = self.groups[(kind, r.tg_id, org_id)] = _Group(r, header_params)
            g.lines.extend(items)
            g.refs.extend(refs)
            g.flags.extend(flags)

    def single(self, key: str, chat_id: int, kind: str, text: str, buttons: list[list[dict[str, str]]] | None,
               ref: str | None, flag: Flag | None = None) -> None:
        self.singles.append((key, chat_id, kind, outbox_repo.payload_json(text, buttons), ref, flag))

    def single_payload(self, key: str, chat_id: int, kind: str, payload: str, ref: str | None,
                       flag: Flag | None = None) -> None:
        """`single` with the payload JSON already built (bot.storage.outbox.payload_json's format)."""
        self.singles.append((key, chat_id, kind, payload, ref, flag))

    def render(self) -> None:
        """Render every message gathered so far into outbox rows (pure Python: may run in a worker thread)."""
        rows, day = self._rows, self.today.isoformat()
        for (kind, tg_id, org_id), g in self.groups.items():
            texts = render_list(g.recipient.locale, kind, g.header_params, g.lines)
            refs = [",".join(g.refs[i:i + LINES_PER_MESSAGE]) for i in range(0, len(g.refs), LINES_PER_MESSAGE)] or [""]
            tag = hashlib.sha1(",".join(refs).encode()).hexdigest()[:12]     # = every ref, comma-separated
            flagged = g.flags.count(None) != len(g.flags)       # none without a sink (counted in C: 300,000 in a backlog)
            for i, text in enumerate(texts):
                key = f"{kind}:{tg_id}:{org_id}:{day}:{tag}:{i + 1}"
                rows.append((key, tg_id, kind, outbox_repo.payload_json(text), refs[i]))
                if flagged:
                    for flag in g.flags[i * LINES_PER_MESSAGE:(i + 1) * LINES_PER_MESSAGE]:
                        if flag is not None:
                            flag.reminders.append(Reminder(kind, tg_id, key))
        for key, chat_id, kind, payload, ref, flag in self.singles:
            rows.append((key, chat_id, kind, payload, ref))
            if flag is not None:
                flag.reminders.append(Reminder(kind, chat_id, key))
        self.groups.clear()
        self.singles.clear()

    def flush_at_commit(self, tx: Tx, done: Any) -> None:
        """flush, with the outbox rows written in the COMMIT's hop (outbox.enqueue_at_commit); done(how many
        were new) after it."""
        self.render()
        rows, self._rows = self._rows, []
        outbox_repo.enqueue_at_commit(tx, rows, done)

    async def flush(self, tx: Tx) -> int:
        """Render what is left and enqueue everything; returns the number of new outbox rows."""
        self.render()
        written = await outbox_repo.enqueue_many(tx, self._rows)
        self._rows = []
        return written


class ScanRun:
    """One run of the scan: the storage, the instant, who is told, and where the flags are reported.

    Each step works in chunks, one write transaction per chunk (flags, cases, marks, audit rows and
    the outbox rows together). A dry run shares one transaction that is rolled back at the end, so
    it computes exactly what a real run would and writes nothing.
    """

    def __init__(self, db: Any, now: Any, contacts: Contacts, actor_label: str, default_locale: str,
                 sink: Any = None, chunk: int = 5000):
        self.db = db
        self.now = now
        self.contacts = contacts
        self.actor_label = actor_label
        self.default_locale = default_locale
        self.sink = sink
        self.chunk = chunk
        self.shared_tx: Tx | None = None
        self.counts: dict[str, int] = {}
        self.messages = 0
        self.writes = 0                    # write transactions this run began (ReadAhead counts them)
        self.lost: set[int] = set()        # members this run raised to 失联

    def tx(self, *, foreign_keys: bool = True) -> Any:
        """The step's write transaction (the dry run's shared one). foreign_keys=False: see Database.write;
        only for the crossings, whose cases name members read in the same transaction."""
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def shared():
            yield self.shared_tx

        if self.shared_tx is not None:
            return shared()
        self.writes += 1
        return self.db.write(self.actor_label, foreign_keys=foreign_keys)

    def count(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def flag(self, kind: str, org_id: int, **fields: Any) -> Flag | None:
        """Count one flag; build its report object only when someone reads the flags (the CLI)."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return Flag(kind, org_id, **fields) if self.sink is not None else None

    def finish_at_commit(self, tx: Tx, batch: Batch) -> None:
        """finish, for a step with no sink whose reminders are its transaction's last writes: written in the
        COMMIT's hop (Batch.flush_at_commit). Not in a dry run: its transaction is never committed."""
        assert self.sink is None and self.shared_tx is None

        def counted(n: int) -> None:
            self.messages += n
        batch.flush_at_commit(tx, counted)

    async def finish(self, tx: Tx, batch: Batch, flags: list[Flag | None]) -> None:
        """Write the step's reminders in its transaction and report its flags."""
        self.messages += await batch.flush(tx)
        if self.sink is not None:
            for f in flags:
                if f is not None:
                    self.sink(f)
