"""An update's first audited change records the update in the same transaction (bot.storage.applied_updates)."""

from __future__ import annotations

import pytest

from bot.storage.applied_updates import ReplayGuard, handling


async def ids(db) -> list[int]:
    return [r[0] for r in await db.fetchall("SELECT update_id FROM applied_updates ORDER BY update_id")]


async def test_the_first_audited_change_marks_the_update_and_a_rollback_does_not(db, clock):
    with handling(501):
        async with db.write("test") as tx:            # session state: no audit row, no mark
            await tx.execute("INSERT INTO persistence (kind, key, value) VALUES ('user_data', '1', '{}')")
        assert await ids(db) == []
        with pytest.raises(RuntimeError):
            async with db.write("test") as tx:
                await tx.audit("member", 1, "check_in")
                raise RuntimeError("the use case failed: its change and the mark are both undone")
        assert await ids(db) == []
        async with db.write("test") as tx:
            await tx.audit("member", 1, "check_in")
        async with db.write("test") as tx:            # a second change of the same update: one mark
            await tx.audit("member", 1, "again")
    async with db.write("test") as tx:                # outside an update (CLI, scheduler): nothing marked
        await tx.audit("member", 2, "import")
    assert await ids(db) == [501]

    guard = ReplayGuard(db)
    await guard.load(clock.now())
    assert guard.horizon == 501
    assert await guard.already_applied(501) and not await guard.already_applied(500)
    assert not await guard.already_applied(502)       # newer than anything applied: not even looked up
