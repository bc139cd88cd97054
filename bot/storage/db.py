"""The connection factory, migrations, and write transactions that carry their audit rows.

One writer connection guarded by an asyncio lock (SQLite allows one writer; every write is
BEGIN IMMEDIATE so a read-then-write never fails to upgrade), and one reader connection: in WAL
mode it reads the last committed state while a write is in progress, and never sees a write
half-done.

Plus one plain sqlite3 connection, read-only, on the event loop's own thread, for `fetchone_now`: the
lookups every update makes by primary key (who is asking, their record) take ~20 µs in SQLite, while
the hop to aiosqlite's thread and back costs ~100-200 µs of CPU and two GIL handoffs. Measured with
bench/updates_bench.py: about 12% more updates per second. Anything that may scan stays on aiosqlite.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, Sequence

import aiosqlite

from bot.clock import Clock, utc_iso
from bot.storage import applied_updates
from bot.storage import audit as audit_mod
from bot.storage import sqlite_memstatus

log = logging.getLogger(__name__)

# fetchone_now blocks the event loop: if SQLite is busy (WAL recovery, a checkpoint in another process),
# wait this long at most, then take the aiosqlite path instead.
NOW_BUSY_TIMEOUT = 0.05
WAL_AUTOCHECKPOINT = 1000       # SQLite's default, restored after a bulk()

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("bot.storage") / "migrations"
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            out.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(out)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN ourselves
    try:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        # aiosqlite's worker thread is non-daemon: an unclosed connection keeps the process alive.
        await conn.close()
        raise
    return conn


def _one_in_thread(conn: Any, sql: str, params: Sequence[Any]) -> Any:
    cur = conn.execute(sql, params)
    try:
        return cur.fetchone()
    finally:
        cur.close()


def _all_in_thread(conn: Any, sql: str, params: Sequence[Any]) -> list[Any]:
    cur = conn.execute(sql, params)
    try:
        return cur.fetchall()
    finally:
        cur.close()


def _each_in_thread(conn: Any, statements: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    return [_all_in_thread(conn, sql, params) for sql, params in statements]


def _script_in_thread(conn: Any, statements: Sequence[tuple[str, Any]]) -> list[int | None]:
    out = []
    for sql, params in statements:
        cur = conn.execute(sql, params)
        out.append(cur.lastrowid)
        cur.close()
    return out


_AUDIT_INSERT = ("INSERT INTO audit_log (id, at, actor, entity, entity_id, action, before, after, prev_hash, hash)"
                 " VALUES (?,?,?,?,?,?,?,?,?,?)")
_HEAD_UPSERT = ("INSERT INTO audit_head (singleton, last_id, last_hash, mac) VALUES (1, ?, ?, ?)"
                " ON CONFLICT(singleton) DO UPDATE SET last_id=excluded.last_id, last_hash=excluded.last_hash,"
                " mac=excluded.mac")


def _audit_in_thread(conn: Any, writes: Sequence[tuple[Any, tuple]], key: bytes, actor: str, now_iso: str,
                     head: tuple[int, str] | None, entries: Sequence[tuple[str, str | None, str, str | None, str | None]],
                     mark: tuple[str, tuple] | None, commit: bool, then: str | None = None
                     ) -> tuple[tuple[int, str] | None, list]:
    """A transaction's pending audit rows in ONE hop to aiosqlite's thread: the writes left for the COMMIT
    (Tx.at_commit), the update mark, the head (read once per transaction), the chained rows, the MAC'd
    head, and the COMMIT when it is the end (and `then`, a statement to run after the COMMIT:
    Database.write's foreign keys back on). Returns the head and each write's result."""
    results = [fn(conn, *args) for fn, args in writes]
    if mark is not None:
        conn.execute(*mark)
    if entries:
        if head is None:
            row = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").fetchone()
            head = (row[0], row[1]) if row else (0, audit_mod.GENESIS)
        last_id, last_hash = head
        rows = []
        for entity, eid, action, b, a in entries:
            last_id += 1
            content = audit_mod.canonical(last_id, now_iso, actor, entity, eid, action, b, a)
            prev, last_hash = last_hash, audit_mod.chain_hash(key, last_hash, content)
            rows.append((last_id, now_iso, actor, entity, eid, action, b, a, prev, last_hash))
        conn.executemany(_AUDIT_INSERT, rows)
        conn.execute(_HEAD_UPSERT, (last_id, last_hash, audit_mod.head_mac(key, last_id, last_hash)))
        head = (last_id, last_hash)
    if commit:
        conn.execute("COMMIT")
        if then is not None:
            conn.execute(then)
    return head, results


def _begin_then(conn: Any, foreign_keys: bool, fn: Any, args: tuple) -> tuple[int, Any]:
    """A transaction's start and its first statement(s) in ONE hop (Tx._hop): the foreign keys off if
    asked (SQLite switches them only between transactions), BEGIN IMMEDIATE, the data_version it began at
    (Tx.quiet_token), then fn(conn, *args). Every hop is a thread handoff (about 0.13 ms on a small VM,
    more while a worker thread holds the GIL): a use case's write paid one for BEGIN alone."""
    if not foreign_keys:
        conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("BEGIN IMMEDIATE")
    version = int(conn.execute("PRAGMA data_version").fetchone()[0])
    return version, fn(conn, *args)


def _nothing(conn: Any) -> None:
    return None


def _execute_in_thread(conn: Any, sql: str, params: Any) -> sqlite3.Cursor:
    return conn.execute(sql, params)


def _executemany_in_thread(conn: Any, sql: str, rows: Any) -> None:
    conn.executemany(sql, rows).close()


def _sees_audit(sql: str) -> bool:
    """A read inside a write transaction that must see the audit rows (and update mark) appended so far."""
    low = sql.lower()
    return "audit" in low or "applied_updates" in low


def _packed_in_thread(conn: Any, sql: str, params: Any) -> str | None:
    return conn.execute(sql, params).fetchone()[0]


async def fetch_packed(conn: aiosqlite.Connection, sql: str, params: Any, columns: Sequence[str]) -> list[list]:
    """The rows of `sql` (its result columns named `columns`) as lists, read as ONE JSON value.

    fetchall steps SQLite once per row and takes Python's GIL back after each step: while another
    thread computes (the scan composes messages as it writes), every row then waits for the GIL. One
    aggregate value is one step: the whole query runs without the GIL, and json.loads builds the rows
    (C code, about as fast as building tuples). Rows come in the order of `sql` (its ORDER BY)."""
    packed = (f"SELECT json_group_array(json_array({', '.join(columns)})) FROM ({sql})")
    text = await conn._execute(_packed_in_thread, conn._conn, packed, params)  # noqa: SLF001
    return json.loads(text) if text else []


def _objects_in_thread(conn: Any, sql: str, params: Any) -> str | None:
    names = [d[0] for d in conn.execute(f"SELECT * FROM ({sql}) LIMIT 0", params).description]
    pairs = ", ".join(f"'{n}', \"{n}\"" for n in names)     # the names of our own SQL's columns
    return conn.execute(f"SELECT json_group_array(json_object({pairs})) FROM ({sql})", params).fetchone()[0]


async def fetch_objects(conn: aiosqlite.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """fetch_packed for reads whose rows are used by column name: dicts, keyed as the result columns
    are named (text, integers and NULL, as SQLite gives them), in the order of `sql`."""
    text = await conn._execute(_objects_in_thread, conn._conn, sql, params)  # noqa: SLF001
    return json.loads(text) if text else []


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """One query in ONE hop to aiosqlite's thread: `async with conn.execute()` + fetch + close costs
    three, and each hop is a thread handoff — on the bot's hot path that was most of a request's cost."""
    return await conn._execute(_one_in_thread, conn._conn, sql, params)  # noqa: SLF001 (aiosqlite internals)


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return await conn._execute(_all_in_thread, conn._conn, sql, params)  # noqa: SLF001


class Tx:
    """An open write transaction; `audit()` appends chained audit rows inside it."""

    def __init__(self, db: "Database", actor: str, now: datetime, foreign_keys: bool = True):
        self.db = db
        self.conn = db._writer
        self.actor = actor
        self.now = now
        self.now_iso = utc_iso(now)
        self._head: tuple[int, str] | None = None
        # Appended by audit_many, chained and written by flush_audit: (entity, entity_id, action, before, after)
        self._audit_rows: list[tuple[str, str | None, str, str | None, str | None]] = []
        self._mark: tuple[str, tuple] | None = None   # the update mark to insert with them (applied_updates)
        self.seq = db._writes                   # this transaction's place among the writer's transactions
        # BEGIN is sent with the transaction's first statement (_hop), or not at all when it writes nothing.
        self.begun = False
        self.foreign_keys = foreign_keys
        # SQLite's data_version as it began: it moves only when another connection commits, which none can
        # while this transaction holds the write lock, so it is the value all through the transaction.
        self.version = 0
        self._at_commit: list[tuple[Any, tuple, Any]] = []     # see at_commit

    async def quiet_token(self) -> tuple[int, int]:
        """Where the register stands as this transaction writes it: the writer's transaction count and
        SQLite's data_version (which moves when another connection — another process — commits).
        `follows(token)` in the next transaction tells whether anything else was written in between."""
        await self.ready()
        return self.seq, self.version

    async def follows(self, token: tuple[int, int], between: int = 0) -> bool:
        """True when this transaction is the writer's next one after `token`'s, or after `between` more
        that the caller made itself, and no other connection committed since: the register is what
        `token`'s transaction and the caller's own left."""
        seq, version = token
        await self.ready()
        return self.seq == seq + 1 + between and self.version == version

    async def _hop(self, fn: Any, *args: Any) -> Any:
        """fn(sqlite3 connection, *args) on the writer's thread; the first one also begins the transaction."""
        if self.begun:
            return await self.conn._execute(fn, self.conn._conn, *args)  # noqa: SLF001
        self.begun = True       # from here on Database.write rolls back whatever the connection holds
        self.version, result = await self.conn._execute(  # noqa: SLF001
            _begin_then, self.conn._conn, self.foreign_keys, fn, args)  # noqa: SLF001
        return result

    async def ready(self) -> aiosqlite.Connection:
        """The writer's connection with this transaction begun, for a repository's own aiosqlite calls."""
        if not self.begun:
            await self._hop(_nothing)
        return self.conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Cursor:
        return aiosqlite.Cursor(self.conn, await self._hop(_execute_in_thread, sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._hop(_executemany_in_thread, sql, rows)

    async def execute_all(self, statements: Sequence[tuple[str, Any]]) -> list[int | None]:
        """Several statements in order in ONE hop to aiosqlite's thread (each hop is a thread handoff:
        a use case of five small writes spent more in handoffs than in SQLite). Returns each lastrowid."""
        return await self._hop(_script_in_thread, statements)

    async def in_thread(self, fn: Any, *args: Any) -> Any:
        """fn(sqlite3 connection, *args) on the writer's thread, in one hop (a repository's few statements
        that belong together, with no Python hop between them)."""
        return await self._hop(fn, *args)

    def at_commit(self, fn: Any, *args: Any, done: Any = None) -> None:
        """fn(sqlite3 connection, *args) on the writer's thread in the COMMIT's hop, before the audit rows,
        and done(its result) after the COMMIT: a step's last writes cost no hop of their own (the scan's
        outbox rows, sixteen chunks each waiting for the GIL at every hop). Only for writes that nothing
        later in the transaction reads; a rolled-back transaction never runs them."""
        self._at_commit.append((fn, args, done))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        if (self._audit_rows or self._mark) and _sees_audit(sql):   # it must see its own audit rows
            await self.flush_audit()
        return await self._hop(_one_in_thread, sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        if (self._audit_rows or self._mark) and _sees_audit(sql):
            await self.flush_audit()
        return await self._hop(_all_in_thread, sql, params)

    async def fetch_each(self, statements: Sequence[tuple[str, Any]]) -> list[list[aiosqlite.Row]]:
        """Each statement's rows, in ONE hop (a use case's reads that belong together: inside a write
        transaction every hop is held under the write lock, where the other users' writes wait)."""
        if (self._audit_rows or self._mark) and any(_sees_audit(sql) for sql, _params in statements):
            await self.flush_audit()
        return await self._hop(_each_in_thread, statements)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int((await self._hop(_execute_in_thread, sql, params)).lastrowid)

    async def audit(self, entity: str, entity_id: Any, action: str, before: Any = None, after: Any = None) -> None:
        await self.audit_many([(entity, entity_id, action, before, after)])

    async def audit_many(self, entries: Iterable[tuple[str, Any, str, Any, Any]]) -> None:
        """Append audit rows for several changes at once (chained in order). The payloads are taken now;
        the rows are chained and written with the head just before COMMIT, in the same hop to SQLite's
        thread as the COMMIT itself (`flush_audit`): auditing costs a use case no round trip of its own.
        The Telegram update being handled, if any, is marked in the same transaction (applied_updates)."""
        mark = applied_updates.mark_for(self)
        if mark is not None:
            self._mark = mark
        rows = self._audit_rows
        for entity, entity_id, action, before, after in entries:
            rows.append((entity, None if entity_id is None else str(entity_id), action,
                         audit_mod.to_json(before), audit_mod.to_json(after)))

    async def flush_audit(self, *, commit: bool = False) -> None:
        """Write the audit rows appended so far and the MAC'd head (Database.write calls it with commit=True
        to COMMIT in the same hop)."""
        if not self._audit_rows and self._mark is None and not (commit and (self.begun or self._at_commit)):
            return      # nothing to write (a transaction that wrote nothing never began: nothing to COMMIT)
        entries, self._audit_rows = self._audit_rows, []
        mark, self._mark = self._mark, None
        then = "PRAGMA foreign_keys=ON" if commit and not self.foreign_keys else None
        writes: list[tuple[Any, tuple, Any]] = []
        if commit:
            writes, self._at_commit = self._at_commit, []
        self._head, results = await self._hop(
            _audit_in_thread, [(fn, args) for fn, args, _done in writes], self.db.audit_key, self.actor, self.now_iso,
            self._head, entries, mark, commit, then)
        for (_fn, _args, done), result in zip(writes, results):
            if done is not None:
                done(result)


class Database:
    """The SQLite register: open() applies migrations; write() yields an audited transaction."""

    def __init__(self, path: str | Path, audit_key: bytes, clock: Clock | None = None):
        self.path = Path(path)
        self.audit_key = audit_key
        self.clock = clock or Clock()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._now: sqlite3.Connection | None = None    # see fetchone_now
        self._lock = asyncio.Lock()
        self._writes = 0    # write transactions begun on the writer (Tx.seq, Tx.follows)
        self._side: aiosqlite.Connection | None = None    # see side_reader
        self._side_lock = asyncio.Lock()
        self._bulk = 0      # bulk() blocks open
        self._backfill: asyncio.Future[None] | None = None    # see _backfill_beside

    async def open(self) -> "Database":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sqlite_memstatus.switch_off_once()      # before the first connection of the process (see there)
        self._writer = await _connect(self.path)
        try:
            applied = await self.migrate()
            if 1 in applied:
                await self._seal_genesis()
            self._reader = await _connect(self.path)
        except BaseException:
            await self.close()
            raise
        self._reader.row_factory = aiosqlite.Row
        self._writer.row_factory = aiosqlite.Row
        self._now = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                    timeout=NOW_BUSY_TIMEOUT)
        self._now.row_factory = sqlite3.Row
        return self

    async def close(self) -> None:
        if self._now is not None:
            self._now.close()
            self._now = None
        for conn in (self._side, self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._side = self._reader = self._writer = None

    async def __aenter__(self) -> "Database":
        return await self.open()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def _seal_genesis(self) -> None:
        """Write the MAC'd head of the empty chain when the database is created.

        Without it, deleting every audit row and the head row together left a file that verified clean
        (indistinguishable from a fresh one); with it, a missing head is always a finding.
        """
        conn = self._writer
        assert conn is not None
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(
                "INSERT INTO audit_head (singleton, last_id, last_hash, mac) SELECT 1, 0, ?, ?"
                " WHERE NOT EXISTS (SELECT 1 FROM audit_head) AND NOT EXISTS (SELECT 1 FROM audit_log)",
                (audit_mod.GENESIS, audit_mod.head_mac(self.audit_key, 0, audit_mod.GENESIS)))
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    async def migrate(self) -> list[int]:
        """Apply pending numbered migrations, each in its own transaction. Idempotent."""
        conn = self._writer
        assert conn is not None
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                           " name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        async with conn.execute("SELECT version FROM schema_migrations") as cur:
            done = {r[0] for r in await cur.fetchall()}
        applied = []
        for version, name, sql in _migrations():
            if version in done:
                continue
            await conn.execute("BEGIN IMMEDIATE")
            try:
                # executescript would COMMIT first; run statements one by one inside our transaction.
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                   (version, name, utc_iso(self.clock.now())))
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            applied.append(version)
        return applied

    @asynccontextmanager
    async def write(self, actor: str, *, foreign_keys: bool = True) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE … COMMIT, with the audit rows appended in the same transaction.

        foreign_keys=False: this one transaction does not look up the parent of each row it writes. Only
        for writes whose references were read in the same transaction (the scan opens 150,000 cases for
        members it has just read: one lookup in the wide members table per case, a fifth of that
        insert). SQLite only switches the check between transactions, so it is switched here, under
        the write lock, and back on after COMMIT or ROLLBACK: no other transaction runs without it."""
        async with self._lock:
            assert self._writer is not None
            if self._writer.in_transaction:
                # A task cancelled while its COMMIT/ROLLBACK was queued left the shared connection inside a
                # transaction it no longer owns: undo that, or every later write fails on BEGIN. If that
                # transaction ran without foreign keys, switching them back on was a no-op inside it.
                await self._writer.execute("ROLLBACK")
                await self._writer.execute("PRAGMA foreign_keys=ON")
            self._writes += 1
            tx = Tx(self, actor, self.clock.now(), foreign_keys)
            restored = False
            try:
                try:
                    yield tx
                except BaseException:
                    if tx.begun and self._writer.in_transaction:
                        await self._writer.execute("ROLLBACK")
                    raise
                try:
                    # The audit rows, the head, COMMIT and the foreign keys back on, in one hop (with BEGIN and the
                    # update mark when nothing else was written; nothing at all when nothing was).
                    await tx.flush_audit(commit=True)
                    restored = tx.begun
                except BaseException:
                    # A failed COMMIT (a deferred foreign key, a full disk) leaves the transaction open; without
                    # this every later write would fail on BEGIN ("cannot start a transaction within a transaction").
                    if self._writer.in_transaction:
                        await self._writer.execute("ROLLBACK")
                    raise
            finally:
                if not foreign_keys and tx.begun and not restored:
                    await self._writer.execute("PRAGMA foreign_keys=ON")
            applied_updates.committed(tx)
            if self._bulk and (self._backfill is None or self._backfill.done()):
                self._backfill = asyncio.ensure_future(self._backfill_beside())

    @asynccontextmanager
    async def bulk(self) -> AsyncIterator[None]:
        """Many write transactions (the scan's chunks) that never checkpoint on the writer until the end.

        By default every COMMIT that leaves more than 1000 pages in the WAL checkpoints them into the
        database file, on the writer, before the next transaction can begin: a scan of sixteen chunks
        paid sixteen checkpoints in a row with its writes. Here the writer never checkpoints until the
        end; after a commit, the WAL written so far is copied into the file beside the work
        (_backfill_beside, one at a time), and the one checkpoint at the end copies what is left
        (PASSIVE, both: they never wait for a reader; a page still read is copied at the next one)."""
        assert self._writer is not None
        await self._writer.execute("PRAGMA wal_autocheckpoint=0")
        self._bulk += 1
        try:
            yield
        finally:
            self._bulk -= 1
            if self._backfill is not None:
                backfill, self._backfill = self._backfill, None
                await backfill
            if self._writer is not None:
                await self._writer.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
                await fetch_one(self._writer, "PRAGMA wal_checkpoint(PASSIVE)")

    async def _backfill_beside(self) -> None:
        """A PASSIVE checkpoint on the side connection, in its thread: SQLite copies committed WAL frames
        into the database file while the writer goes on appending (the copy and the scan's work share
        a small server's two CPUs, instead of the writer doing both in turn). It only copies: a failure
        leaves the frames for the checkpoint at the end of bulk(), which reports its own."""
        try:
            await fetch_one(await self.side_reader(), "PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, ValueError) as exc:      # ValueError: the connection closed under it
            log.debug("checkpoint beside the writer failed: %s", type(exc).__name__)

    async def side_reader(self) -> aiosqlite.Connection:
        """A second reader connection (its own thread), for reads that run beside the reader's work: the
        scan reads its later checks while the reader reads the backlog ahead. Opened on first use (about
        10 ms: the daily scan would pay it every day) and kept until close()."""
        async with self._side_lock:
            if self._side is None:
                conn = await _connect(self.path)
                conn.row_factory = aiosqlite.Row
                self._side = conn
            return self._side

    @property
    def reader(self) -> aiosqlite.Connection:
        assert self._reader is not None
        return self._reader

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        assert self._reader is not None
        return await fetch_one(self._reader, sql, params)

    async def fetchone_now(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """`fetchone` on the event loop's thread, for point lookups by primary key or unique index ONLY
        (it blocks the loop while it runs: never a scan, a join over a range, or an aggregate)."""
        if self._now is None:
            return await self.fetchone(sql, params)
        try:
            return self._now.execute(sql, params).fetchone()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise  # e.g. a write attempted through this read-only connection: never retried elsewhere
            log.warning("fast read fell back to the reader thread: the database was busy")
            return await self.fetchone(sql, params)  # the threaded path waits out busy_timeout

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        assert self._reader is not None
        return await fetch_all(self._reader, sql, params)

    async def verify_audit(self) -> list[audit_mod.AuditProblem]:
        rows = await self.fetchall("SELECT id, at, actor, entity, entity_id, action, before, after, prev_hash,"
                                   " hash FROM audit_log ORDER BY id")
        head = await self.fetchone("SELECT last_id, last_hash, mac FROM audit_head WHERE singleton = 1")
        return audit_mod.verify_rows(self.audit_key, [tuple(r) for r in rows], tuple(head) if head else None)

    async def backup(self, dest: str | Path) -> None:
        """A consistent online copy (SQLite's backup API, pages copied under a read lock)."""
        assert self._reader is not None
        target = await aiosqlite.connect(Path(dest))
        try:
            await self._reader.backup(target)
        finally:
            await target.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements, buf = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if stripped.endswith(";") and _complete(joined):
            statements.append(joined)
            buf = []
    if buf:
        statements.append("\n".join(buf))
    return statements


def _complete(statement: str) -> bool:
    import sqlite3

    return sqlite3.complete_statement(statement)
