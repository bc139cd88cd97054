import asyncio
import sqlite3
from datetime import date

import pytest

from bot.domain.codes import ContactKind, OrgCategory, OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo


async def test_migrations_are_idempotent(db):
    assert await db.migrate() == []
    row = await db.fetchone("PRAGMA journal_mode")
    assert row[0] == "wal"
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1


async def test_member_round_trip_and_contact_moves_forward_only(db):
    async with db.write("cli:test") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE))
        mid = await member_repo.insert(tx, Member(branch_id=branch, name="王XX", joined_on=date(2005, 7, 1),
                                                  confirmed_on=date(2006, 7, 1)))
        await member_repo.record_contact(tx, mid, ContactKind.MEETING, date(2026, 3, 1))
        await member_repo.record_contact(tx, mid, ContactKind.DUES, date(2026, 1, 5))
    row = await member_repo.get_row(db, mid)
    assert row["last_contact_on"] == "2026-03-01"
    assert row["last_meeting_on"] == "2026-03-01"
    assert row["last_dues_on"] == "2026-01-05"
    m = await member_repo.get(db, mid)
    assert m.name == "王XX" and m.branch_id == branch
    assert await db.verify_audit() == []


# ---- fetchone_now: point lookups on the event loop's thread ------------------------------------------

async def test_fetchone_now_sees_each_commit_at_once(db):
    async with db.write("test") as tx:
        await user_repo.ensure_user(tx, 4242)
        await user_repo.set_locale(tx, 4242, "en")
    row = await db.fetchone_now("SELECT locale FROM users WHERE tg_id = ?", (4242,))
    assert row["locale"] == "en"
    async with db.write("test") as tx:
        await user_repo.set_locale(tx, 4242, "zh_CN")
    assert (await db.fetchone_now("SELECT locale FROM users WHERE tg_id = ?", (4242,)))[0] == "zh_CN"
    assert await db.fetchone_now("SELECT locale FROM users WHERE tg_id = ?", (1,)) is None


async def test_fetchone_now_cannot_write_and_does_not_retry_a_write_elsewhere(db):
    async with db.write("test") as tx:
        await user_repo.ensure_user(tx, 4242)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.fetchone_now("DELETE FROM users WHERE tg_id = ? RETURNING tg_id", (4242,))
    assert await db.fetchone("SELECT 1 FROM users WHERE tg_id = ?", (4242,)) is not None


async def test_fetchone_now_falls_back_to_the_reader_thread_when_the_file_is_busy(db, caplog, monkeypatch):
    async with db.write("test") as tx:
        await user_repo.ensure_user(tx, 4242)
        await user_repo.set_locale(tx, 4242, "en")

    class Busy:
        """What sqlite3 raises after NOW_BUSY_TIMEOUT when another process holds the file."""

        def execute(self, *args):
            exc = sqlite3.OperationalError("database is locked")
            exc.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise exc

    real = db._now
    monkeypatch.setattr(db, "_now", Busy())
    try:
        row = await db.fetchone_now("SELECT locale FROM users WHERE tg_id = ?", (4242,))
    finally:
        monkeypatch.setattr(db, "_now", real)
    assert row["locale"] == "en"
    assert "fell back to the reader thread" in caplog.text


# ---- bulk(): the writer never checkpoints until the end; committed WAL is copied beside it ------------

async def test_bulk_copies_committed_wal_into_the_file_while_it_is_still_open(db):
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db.path.stat().st_size
    async with db.bulk():
        async with db.write("test") as tx:
            await tx.executemany("INSERT INTO reminder_marks (key, created_at) VALUES (?, ?)",
                                 [(f"flow:{i}:2026-11" * 4, tx.now_iso) for i in range(20000)])
        # wal_autocheckpoint is off on the writer: only the copy beside it can grow the file before the end.
        for _ in range(250):
            if db.path.stat().st_size > size:
                break
            await asyncio.sleep(0.02)
        assert db.path.stat().st_size > size + 1_000_000
        assert (await db.fetchone("SELECT COUNT(*) FROM reminder_marks"))[0] == 20000
    busy, log_frames, copied = await db.fetchone("PRAGMA wal_checkpoint(PASSIVE)")
    assert busy == 0 and copied == log_frames


# ---- Tx.at_commit: a step's last writes in the COMMIT's hop -------------------------------------------

def _job_run(conn, scope: str) -> int:
    return conn.execute("INSERT INTO job_runs (job, scope, last_run) VALUES ('t', ?, 'x')", (scope,)).rowcount


async def test_writes_left_for_the_commit_run_in_it_in_order_and_report_their_results(db):
    results: list = []
    async with db.write("test") as tx:
        tx.at_commit(_job_run, "a", done=results.append)
        tx.at_commit(_job_run, "b", done=results.append)
        await tx.audit("test", 1, "noted")
        assert results == []                                   # not before the COMMIT
    assert results == [1, 1]
    rows = await db.fetchall("SELECT scope FROM job_runs WHERE job = 't' ORDER BY rowid")
    assert [r[0] for r in rows] == ["a", "b"]
    assert (await db.fetchone("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1"))[0] == "noted"


async def test_writes_left_for_the_commit_of_a_rolled_back_transaction_never_run(db):
    results: list = []
    with pytest.raises(RuntimeError):
        async with db.write("test") as tx:
            tx.at_commit(_job_run, "a", done=results.append)
            raise RuntimeError("the step failed")
    async with db.write("test") as tx:          # the next transaction does not inherit them
        pass
    assert results == []
    assert (await db.fetchone("SELECT COUNT(*) FROM job_runs WHERE job = 't'"))[0] == 0


# ---- write(foreign_keys=False): one transaction without the parent lookups ---------------------------

_ORPHAN_CASE = ("INSERT INTO cases (member_id, opened_on, state, created_at)"
                " VALUES (987654, '2026-11-23', 'searching', '2026-11-23T01:00:00+00:00')")


async def _checks_on(db) -> bool:
    async with db.write("test") as tx:
        return (await tx.fetchone("PRAGMA foreign_keys"))[0] == 1


async def test_a_write_without_foreign_keys_turns_them_back_on_after_it(db):
    async with db.write("test", foreign_keys=False) as tx:
        assert (await tx.fetchone("PRAGMA foreign_keys"))[0] == 0
        await tx.execute(_ORPHAN_CASE)          # no member 987654: not looked up in this transaction
    assert await _checks_on(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.write("test") as tx:
            await tx.execute(_ORPHAN_CASE)
    with pytest.raises(RuntimeError):
        async with db.write("test", foreign_keys=False) as tx:
            raise RuntimeError("the step failed")
    assert await _checks_on(db)
    assert (await db.fetchone("SELECT count(*) FROM cases"))[0] == 1


async def test_a_transaction_left_open_without_foreign_keys_is_undone_with_the_checks_back_on(db):
    # As a task cancelled while its ROLLBACK was queued leaves it: the switch back was a no-op inside it.
    await db._writer.execute("PRAGMA foreign_keys=OFF")
    await db._writer.execute("BEGIN IMMEDIATE")
    assert await _checks_on(db)


# ---- the summary columns follow the record (migrations 0009, 0014) -------------------------------------

async def test_summary_columns_follow_the_record_and_a_status_alone_leaves_them(db):
    from bot.domain.codes import Gender, Occupation, SpecialStatus
    from bot.storage import scan_repo

    async def columns(mid):
        return tuple(await db.fetchone("SELECT rec_gender, rec_occupation, rec_ethnicity FROM members WHERE id = ?",
                                       (mid,)))

    async with db.write("cli:test") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE))
        mid = await member_repo.insert(tx, Member(branch_id=branch, name="王XX", gender=Gender.FEMALE,
                                                  occupation=Occupation.PRIVATE_LEFT, ethnicity="汉族"))
    assert await columns(mid) == ("female", "private_left", "汉族")        # a new row: copied at once
    m = await member_repo.get(db, mid)
    async with db.write("cli:test") as tx:
        await member_repo.update(tx, m.model_copy(update={"occupation": Occupation.SOE_LAID_OFF, "ethnicity": None}))
    assert await columns(mid) == ("female", "soe_laid_off", None)
    async with db.write("cli:test") as tx:
        assert await scan_repo.mark_pocket(tx, [mid], SpecialStatus.POCKET.value) == [mid]
    assert await columns(mid) == ("female", "soe_laid_off", None)
    async with db.write("cli:test") as tx:      # a change written straight into the JSON is copied too
        await tx.execute("UPDATE members SET record = json_set(record, '$.gender', 'male') WHERE id = ?", (mid,))
    assert await columns(mid) == ("male", "soe_laid_off", None)
