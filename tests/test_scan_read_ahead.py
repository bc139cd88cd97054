"""The first scan reads each chunk of the backlog while the chunk before it is written (on the reader
connection): it must flag and queue what reading every chunk in its own transaction does, and a write
landing between two chunks must send the next chunk back to be read in its transaction.

The 创意园党支部 and the 老街社区党支部 are fictional; so are their members.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, timedelta

import pytest

from bot.clock import FrozenClock
from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.org import Organization
from bot.services.context import Services
from bot.services.scan.run import run_scan
from bot.storage import Database
from bot.storage import orgs as org_repo
from bot.storage import scan_repo
from bot.storage.db import Tx
from conftest import AUDIT_KEY
from reminders_world import build_world

# Days since the last contact on 2026-11-23, per member: within a month, 失控, 失联, none on record.
BACKS = (3, 40, 200, 35, None, 400, 45, 10, 190, 33, 60, 250, 32, 5, 300)


async def _register(db: Database, clock: FrozenClock) -> dict[str, int]:
    """Two branches (the second answered for by the committee), fifteen members each, a third of them bound."""
    w = await build_world(db, clock)
    async with db.write("test") as tx:
        second = await org_repo.add(tx, Organization(name="老街社区党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.COMMUNITY, parent_id=w.committee))
    today = clock.today()
    for b, branch in enumerate((w.branch, second)):
        for i, back in enumerate(BACKS):
            await w.add_member(f"{'王赵'[b]}{i:02d}", None if back is None else today - timedelta(days=back),
                               tg=5000 + 100 * b + i if i % 3 == 0 else None, lang="zh-hans", branch=branch)
    return w.members


async def _outcome(db: Database) -> dict:
    """What the scan wrote: levels, cases, and every queued line per recipient and kind (messages may be
    cut differently into parts; their lines may not differ)."""
    levels = sorted(tuple(r) for r in await db.fetchall("SELECT member_id, level, since FROM contact_levels"))
    cases = sorted(tuple(r) for r in await db.fetchall("SELECT member_id, state, opened_on FROM cases"))
    lines: dict[tuple, list[str]] = {}
    for r in await db.fetchall("SELECT chat_id, kind, payload FROM outbox"):
        text = json.loads(r["payload"])["text"]
        body = [ln for ln in text.split("\n") if ln.startswith("•")] if r["kind"] in ("lost", "out_of_control") else [text]
        lines.setdefault((r["chat_id"], r["kind"]), []).extend(body)
    return {"levels": levels, "cases": cases, "lines": {k: sorted(v) for k, v in lines.items()}}


@pytest.fixture
async def world_db(db, clock):
    return db, clock, await build_world(db, clock)


def _sources(monkeypatch, name: str) -> list[str]:
    """Where each call of scan_repo.<name> read: in a write transaction, or ahead on a side connection."""
    sources: list[str] = []
    real = getattr(scan_repo, name)

    async def counted(source, *args, **kwargs):
        sources.append("tx" if isinstance(source, Tx) else "ahead")
        return await real(source, *args, **kwargs)

    monkeypatch.setattr(scan_repo, name, counted)
    return sources


def _counting(monkeypatch) -> dict[str, int]:
    """Count backlog reads: inside a write transaction, or ahead on the reader connection."""
    calls = {"in_tx": 0, "ahead": 0}
    real = scan_repo.backlog_chunk

    async def counted(source, *args, **kwargs):
        calls["in_tx" if isinstance(source, Tx) else "ahead"] += 1
        return await real(source, *args, **kwargs)

    monkeypatch.setattr(scan_repo, "backlog_chunk", counted)
    return calls


async def test_chunks_read_ahead_flag_and_queue_what_one_transaction_does(tmp_path, clock, monkeypatch):
    outcomes, reports = [], []
    calls = _counting(monkeypatch)
    for chunk in (10**6, 4):
        own = FrozenClock(clock.now())
        db = Database(tmp_path / f"c{chunk}.db", AUDIT_KEY, own)
        await db.open()
        try:
            await _register(db, own)
            reports.append((await run_scan(Services(db, own), chunk=chunk)).counts)
            outcomes.append(await _outcome(db))
            assert await db.verify_audit() == []
            # Each flag and each case opened is audited once, in the chunk that wrote it (a chunk cut
            # inside a branch leaves that branch, ids included, to the next chunk).
            audited = [json.loads(r[0]) for r in await db.fetchall(
                "SELECT after FROM audit_log WHERE entity = 'scan' AND action IN ('lost', 'out_of_control')")]
            assert sorted(m for a in audited for m in a["members"]) == [m for m, _l, _s in outcomes[-1]["levels"]]
            opened = [json.loads(r[0])["cases"] for r in await db.fetchall(
                "SELECT after FROM audit_log WHERE entity = 'case' AND action = 'open_many'")]
            assert sorted(m for cases in opened for _c, m in cases) == sorted(m for m, _s, _o in outcomes[-1]["cases"])
            # The chunks' transactions run without foreign keys (their cases name members they read):
            # what they wrote still holds every reference.
            assert await db.fetchall("PRAGMA foreign_key_check") == []
        finally:
            await db.close()
    # By hand from BACKS: on 11-23 the cutoffs are 10-23 (one month) and 05-23 (six months, 184 days
    # back): 失联 = 200, 400, 190, 250, 300 days (5), 失控 = 40, 35, 45, 33, 60, 32 days (6; 31 days back
    # would be 10-23 itself, not past), per branch; the member with none on record was entered today.
    assert reports[0] == reports[1] == {"lost": 10, "out_of_control": 12}
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0]["levels"]) == 22 and len(outcomes[0]["cases"]) == 10
    # One read for the whole backlog in the first run; in the second, the first chunk in its transaction
    # and every later one ahead (22 crossings in chunks of 4, whole branches: at least five more reads).
    assert calls["in_tx"] == 2 and calls["ahead"] >= 5


async def test_a_write_between_two_chunks_sends_the_next_one_back_to_its_transaction(tmp_path, clock, monkeypatch):
    """The first branch's crossings in member order are 王01 王02 王03 王05 | 王06 王08 王09 王10 | …: in
    chunks of four, 王06 (45 days, 失控) is in the second chunk, read ahead while the first is written.
    Just then the secretary records a call with 王06 today; it commits between the two chunks. The
    chunk read ahead predates the call: the scan must read it again, and not flag 王06."""
    db = Database(tmp_path / "w.db", AUDIT_KEY, clock)
    await db.open()
    try:
        members = await _register(db, clock)
        late = members["王06"]
        calls = _counting(monkeypatch)
        written: list[int] = []
        real_token = Tx.quiet_token

        async def call() -> None:                # waits for the scan's transaction, then commits first
            async with db.write("tg:1001") as tx:
                await tx.execute("UPDATE members SET last_contact_on = ?, updated_at = ? WHERE id = ?",
                                 (clock.today().isoformat(), tx.now_iso, late))
            written.append(late)

        async def token_then_a_call(self):
            if calls["ahead"] and not calls.get("queued"):   # the first chunk's, with the second read ahead
                calls["queued"] = 1
                asyncio.ensure_future(call())    # queued on the write lock while the first chunk holds it
            return await real_token(self)

        monkeypatch.setattr(Tx, "quiet_token", token_then_a_call)
        report = await run_scan(Services(db, clock), chunk=4)
        assert written == [late]
        levels = {r[0] for r in await db.fetchall("SELECT member_id FROM contact_levels")}
        assert late not in levels
        assert {members["王05"], members["王08"], members["王09"], members["王10"]} <= levels
        assert report.counts == {"lost": 10, "out_of_control": 11}
        texts = " ".join(json.loads(r["payload"])["text"] for r in await db.fetchall("SELECT payload FROM outbox"))
        assert "王06" not in texts and "王08" in texts
        assert calls["in_tx"] == 2                        # the first chunk, and the second read again
        assert calls["ahead"] >= 3
    finally:
        await db.close()


async def test_follows_tells_whether_anything_was_committed_in_between(tmp_path, clock):
    db = Database(tmp_path / "f.db", AUDIT_KEY, clock)
    await db.open()
    try:
        async with db.write("test") as tx:
            token = await tx.quiet_token()
        async with db.write("test") as tx:                   # the very next transaction
            assert await tx.follows(token)
            token = await tx.quiet_token()
        async with db.write("other"):                        # another write of this process
            pass
        async with db.write("test") as tx:
            assert not await tx.follows(token)
            token = await tx.quiet_token()
        other = sqlite3.connect(db.path)                     # another process's connection
        try:
            other.execute("INSERT INTO job_runs (job, scope, last_run) VALUES ('x', 'y', 'z')")
            other.commit()
        finally:
            other.close()
        async with db.write("test") as tx:
            assert not await tx.follows(token)
    finally:
        await db.close()


async def test_a_flow_member_raised_to_lost_by_this_scan_gets_no_flow_reminder(world_db, monkeypatch):
    """The flow reminders are read before the crossings are written. On 11-23 (past the 20th, the flow
    reminder day) 孙XX, a flow member not heard of since 2026-04-01 (more than six months), becomes 失联
    in this very scan: the flow reminder read ahead lists him, and must leave him out (a lost member is
    searched for, not reminded monthly); 钱XX, a flow member last heard of on 10-30 (within a month, not
    this month), is reminded."""
    db, clock, w = world_db
    sun = await w.add_member("孙XX", date(2026, 4, 1), flow_officer=w.officer)
    qian = await w.add_member("钱XX", date(2026, 10, 30), flow_officer=w.officer)
    sources = _sources(monkeypatch, "flow_due")
    report = await run_scan(Services(db, clock))
    assert sources == ["ahead"]
    assert report.counts == {"lost": 1, "flow_contact": 1}
    flows = await db.fetchall("SELECT ref FROM outbox WHERE kind = 'flow_contact'")
    assert [r["ref"] for r in flows] == [f"member:{qian}"]
    assert sun in {r[0] for r in await db.fetchall("SELECT member_id FROM contact_levels WHERE level = 2")}


async def _transfer_out(w, member_id: int) -> int:
    """A transfer out sent 10-20 with no 回执 (34 days on 11-23: due)."""
    return await w.execute(
        "INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name, backup_phone, sent_on,"
        " created_at) VALUES (?, 'permanent', '杭州市某党委', '杭州', '13900000000', '王XX', '13900000001',"
        " '2026-10-20', '2026-10-01T00:00:00+00:00')", (member_id,))


def _receipt_while_the_crossings_are_written(monkeypatch, db: Database, transfer: int) -> None:
    """The secretary records the transfer's 回执 (another transaction) as the scan writes its first levels."""
    real = scan_repo.flag_levels
    queued: list[int] = []

    async def levels_then_a_receipt(tx, *args, **kwargs):
        if not queued:
            queued.append(1)

            async def receipt() -> None:
                async with db.write("tg:1001") as other:
                    await other.execute("UPDATE transfers SET receipt_on = '2026-11-23' WHERE id = ?", (transfer,))
            asyncio.ensure_future(receipt())
        return await real(tx, *args, **kwargs)

    monkeypatch.setattr(scan_repo, "flag_levels", levels_then_a_receipt)


async def test_a_receipt_recorded_while_the_crossings_are_written_is_seen(world_db, monkeypatch):
    """吴XX's transfer out (sent 10-20) has had no 回执 for 34 days on 11-23: read ahead, it is due. While
    the scan writes the crossings, the secretary records the 回执: the transfer check must read again and
    flag nothing."""
    db, clock, w = world_db
    wu = await w.add_member("吴XX", date(2026, 11, 1))
    await w.add_member("赵XX", date(2026, 3, 1))                      # a crossing to write
    transfer = await _transfer_out(w, wu)
    _receipt_while_the_crossings_are_written(monkeypatch, db, transfer)
    sources = _sources(monkeypatch, "transfers_due")
    report = await run_scan(Services(db, clock))
    assert sources == ["ahead", "tx"]                      # the read ahead was not taken
    assert report.counts == {"lost": 1}
    row = await db.fetchone("SELECT receipt_on, flagged_on FROM transfers WHERE id = ?", (transfer,))
    assert tuple(row) == ("2026-11-23", None)


async def test_reminders_composed_ahead_are_dropped_when_the_check_reads_again(world_db, monkeypatch):
    """Two transfers without 回执, read ahead and their reminder composed from that read; while the
    crossings are written the 回执 of one is recorded. The check reads again: its reminder names the
    other transfer only, not what was composed ahead."""
    db, clock, w = world_db
    transfers = {}
    for name in ("吴XX", "郑XX"):
        mid = await w.add_member(name, date(2026, 11, 1))
        transfers[name] = await _transfer_out(w, mid)
    await w.add_member("赵XX", date(2026, 3, 1))                      # a crossing to write
    _receipt_while_the_crossings_are_written(monkeypatch, db, transfers["吴XX"])
    sources = _sources(monkeypatch, "transfers_due")
    report = await run_scan(Services(db, clock))
    assert sources == ["ahead", "tx"]
    assert report.counts == {"lost": 1, "transfer_no_receipt": 1}
    [msg] = await db.fetchall("SELECT ref, payload FROM outbox WHERE kind = 'transfer_no_receipt'")
    assert msg["ref"] == f"transfer:{transfers['郑XX']}"
    assert "郑XX" in json.loads(msg["payload"])["text"] and "吴XX" not in json.loads(msg["payload"])["text"]


async def test_without_a_write_in_between_the_checks_take_their_reads_ahead(world_db, monkeypatch):
    """The same transfer, no receipt: flagged — from the read made ahead, not a second one."""
    db, clock, w = world_db
    wu = await w.add_member("吴XX", date(2026, 11, 1))
    await w.add_member("赵XX", date(2026, 3, 1))
    await _transfer_out(w, wu)
    sources = _sources(monkeypatch, "transfers_due")
    assert (await run_scan(Services(db, clock))).counts == {"lost": 1, "transfer_no_receipt": 1}
    assert sources == ["ahead"]


@pytest.mark.parametrize("failing", ["_compose_lost", "_compose_out_of_control"])
async def test_an_error_composing_beside_the_writes_rolls_the_chunk_back(tmp_path, clock, monkeypatch, failing):
    """A chunk's messages are composed in a worker thread while its levels, cases and outbox rows are
    written: a failure there (失联 lists, or 失控 lists while the 失联 ones are queued) leaves nothing of
    the chunk behind, and the next run flags all of it."""
    from bot.services.scan import run as run_mod

    db = Database(tmp_path / "e.db", AUDIT_KEY, clock)
    await db.open()
    try:
        await _register(db, clock)

        def broken(*args, **kwargs):
            raise RuntimeError("composing failed")

        monkeypatch.setattr(run_mod, failing, broken)
        with pytest.raises(RuntimeError, match="composing failed"):
            await run_scan(Services(db, clock), chunk=10**6)
        after_error = await _outcome(db)
        assert after_error == {"levels": [], "cases": [], "lines": {}}
        assert await db.verify_audit() == []
        monkeypatch.undo()
        report = await run_scan(Services(db, clock), chunk=10**6)
        assert report.counts == {"lost": 10, "out_of_control": 12}       # as worked out by hand above
        assert len((await _outcome(db))["levels"]) == 22
    finally:
        await db.close()


async def _four_nodes_scanned(db, clock) -> None:
    """The committee, 创意园 and 老街 (under the committee), and a fourth node, so that the daily window's
    parts are one node each; then the first scan, its counts as worked out by hand."""
    await _register(db, clock)
    async with db.write("test") as tx:
        await org_repo.add(tx, Organization(name="东街社区党支部", level=OrgLevel.BRANCH,
                                            category=OrgCategory.COMMUNITY))
    assert (await run_scan(Services(db, clock))).counts == {"lost": 10, "out_of_control": 12}


async def test_an_error_composing_a_later_part_of_a_window_rolls_the_whole_window_back(
        tmp_path, clock, monkeypatch):
    """The daily scan reads its window in parts and composes each part's messages as soon as it is read,
    while the writer raises the next part's levels and writes the reminders composed so far: a failure
    composing the second part leaves nothing of the day behind, the first part's writes included."""
    from bot.services.scan import run as run_mod

    db = Database(tmp_path / "w.db", AUDIT_KEY, clock)
    await db.open()
    try:
        await _four_nodes_scanned(db, clock)
        before = await _outcome(db)
        # 27 days on, the members last reached 5 and 10 days before the first scan cross one month, in
        # two parts (创意园 in one, 老街 in another).
        clock.advance(days=27)
        calls = []
        real = run_mod._compose_out_of_control

        def fails_second(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("composing failed")
            return real(*args, **kwargs)

        monkeypatch.setattr(run_mod, "_compose_out_of_control", fails_second)
        with pytest.raises(RuntimeError, match="composing failed"):
            await run_scan(Services(db, clock))
        assert len(calls) == 2
        assert await _outcome(db) == before
        assert await db.verify_audit() == []
        monkeypatch.undo()
        # Four crossings; the ten cases opened by the first scan have now had no search attempt for 27 days.
        assert (await run_scan(Services(db, clock))).counts == {"out_of_control": 4, "case_idle": 10}
    finally:
        await db.close()


async def test_an_error_writing_a_parts_reminders_rolls_the_whole_window_back(tmp_path, clock, monkeypatch):
    """The reminders of a window's parts are written by a task of their own, beside the levels of the parts
    after them: when that write fails, the scan stops with its error (it does not wait forever for the
    task, nor go on to commit), and nothing of the day is left behind."""
    from bot.storage import outbox as outbox_mod

    db = Database(tmp_path / "w.db", AUDIT_KEY, clock)
    await db.open()
    try:
        await _four_nodes_scanned(db, clock)
        before = await _outcome(db)
        clock.advance(days=27)
        real = outbox_mod._enqueue_in_thread
        calls = []

        def fails_first(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("outbox write failed")
            return real(*args, **kwargs)

        monkeypatch.setattr(outbox_mod, "_enqueue_in_thread", fails_first)
        with pytest.raises(RuntimeError, match="outbox write failed"):
            await run_scan(Services(db, clock))
        assert await _outcome(db) == before
        assert await db.verify_audit() == []
        monkeypatch.undo()
        assert (await run_scan(Services(db, clock))).counts == {"out_of_control": 4, "case_idle": 10}
    finally:
        await db.close()
