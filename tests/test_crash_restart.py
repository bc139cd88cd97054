"""`branchbot run` in a subprocess against the emulator: killed with SIGKILL in the middle of a burst of
members' check-ins and started again, it loses no check-in it confirmed and saves none twice, the updates
Telegram delivers again after the restart included; and a flaky Bot API at start-up never stops it.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FrozenClock
from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.emulator import Emulator, FakeUser
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo
from tests.e2e.harness import fictional_id_number

ROOT = Path(__file__).resolve().parent.parent
BRANCHBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
TOKEN = "5550002222:CRASH-test-token"
KEY = "crash-test-audit-key"
THANKS = "支部已知道您一切安好"      # the check-in's confirmation (zh_CN of "Thank you! Your branch knows …")
N_MEMBERS = 30


async def register_members(path: Path, users: list[FakeUser]) -> dict[int, int]:
    """创意园党支部 with one member per user, bound to the user's Telegram account; tg_id -> member id."""
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    out = {}
    async with Database(path, KEY.encode(), clock) as db:
        async with db.write("cli:test") as tx:
            branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                         category=OrgCategory.PRIVATE))
            for i, user in enumerate(users, 1):
                member_id = await member_repo.insert(tx, Member(
                    branch_id=branch, name=f"王{i:02d}", id_number=fictional_id_number(date(1985, 3, 9), i),
                    joined_on=date(2010, 7, 1), confirmed_on=date(2011, 7, 1)),
                    # in contact today by the real clock the bot runs on: its start-up scan flags nobody
                    last_contact_on=datetime.now(ZoneInfo("Asia/Shanghai")).date())
                await user_repo.ensure_user(tx, user.id)
                await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (member_id, user.id))
                out[user.id] = member_id
    return out


def bot_env(tmp_path: Path, emu: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=emu.base_url,
               BRANCHBOT_DATABASE=str(tmp_path / "branchbot.db"), BRANCHBOT_AUDIT_KEY=KEY)
    return env


async def start_bot(tmp_path: Path, emu: Emulator) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(*BRANCHBOT, "run", cwd=tmp_path, env=bot_env(tmp_path, emu),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def wait_until(predicate, timeout: float, what: str, proc: asyncio.subprocess.Process | None = None) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if proc is not None and proc.returncode is not None:
            raise AssertionError(f"the bot exited ({proc.returncode}) waiting for {what}: "
                                 f"{(await proc.stderr.read()).decode()[-3000:]}")
        if asyncio.get_running_loop().time() > deadline:
            if proc is not None:
                proc.kill()
                err = (await proc.stderr.read()).decode()
                raise AssertionError(f"timed out waiting for {what}: {err[-6000:]}")
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def stop_bot(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    return stderr.decode()


def check_ins(db_path: Path) -> dict[int, int]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT member_id, COUNT(*) FROM status_reports WHERE kind = 'check_in'"
                            " GROUP BY member_id").fetchall()
    conn.close()
    return dict(rows)


def confirmed(emu: Emulator, user: FakeUser) -> bool:
    return any(THANKS in m.text for m in emu.messages_to(user))


async def test_sigkill_in_a_burst_loses_no_confirmed_check_in_and_saves_none_twice(tmp_path):
    async with Emulator(token=TOKEN) as emu:
        users = [emu.add_user(first_name=f"W{i}", language_code="zh-hans", started=True) for i in range(N_MEMBERS)]
        member_of = await register_members(tmp_path / "branchbot.db", users)
        proc = await start_bot(tmp_path, emu)
        try:
            # Each member opens the menu (a /start), so each has the 报平安 button.
            for user in users:
                await emu.send_text(user, "/start")
            await wait_until(lambda: all(any("报平安" in str(m.reply_markup) for m in emu.messages_to(u))
                                         for u in users), 60, "every member's menu", proc)
            # The burst: every member taps 报平安 at once; the bot is killed when a third are confirmed.
            delivered: list[dict] = []
            for user in users:
                menu = next(m for m in reversed(emu.messages_to(user)) if "报平安" in str(m.reply_markup))
                await emu.press(user, menu, menu.button_data("报平安"))
                delivered.append(copy.deepcopy(emu.updates.pending[-1]))
            await wait_until(lambda: sum(confirmed(emu, u) for u in users) >= N_MEMBERS // 3, 60,
                             "the first confirmations", proc)
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            seen_before = {u.id for u in users if confirmed(emu, u)}
            saved_before = check_ins(tmp_path / "branchbot.db")
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert 0 < len(seen_before) < N_MEMBERS or len(saved_before) < N_MEMBERS   # the kill came mid-burst
        # Telegram delivers again what the dead bot had not confirmed; here it delivers the whole burst
        # again (the worst case: the kill came before any getUpdates confirmed them).
        unconfirmed_ids = {u["update_id"] for u in emu.updates.pending}
        emu.updates.pending = [u for u in delivered if u["update_id"] not in unconfirmed_ids] + emu.updates.pending
        emu.updates.pending.sort(key=lambda u: u["update_id"])

        proc = await start_bot(tmp_path, emu)
        try:
            await wait_until(lambda: not emu.updates.pending, 60, "the redelivered updates", proc)
            await asyncio.sleep(1.0)          # let the last of them be handled
            saved_after = check_ins(tmp_path / "branchbot.db")
            # Those the first bot never got to are done now: every member pressed once, is saved once.
            await wait_until(lambda: len(check_ins(tmp_path / "branchbot.db")) == N_MEMBERS, 30,
                             "every check-in saved", proc)
            saved_after = check_ins(tmp_path / "branchbot.db")
        finally:
            stderr = await stop_bot(proc)
    for user in seen_before:                                      # confirmed before the kill: kept
        assert saved_after.get(member_of[user]) == 1
    assert saved_after == {member_of[u.id]: 1 for u in users}     # none saved twice
    for mid, n in saved_before.items():
        assert n == 1
    # the first bot had applied some of the burst: those came back and were recognised, not applied again
    assert len(saved_before) > 0 and "was applied before the restart" in stderr
    assert "Traceback" not in stderr, stderr[-3000:]


async def test_a_flaky_bot_api_at_start_up_never_stops_the_bot(tmp_path):
    async with Emulator(token=TOKEN) as emu:
        user = emu.add_user(first_name="Wang", language_code="zh-hans", started=True)
        await register_members(tmp_path / "branchbot.db", [user])
        # 10 % of every call fails 502, and the start-up calls fail first for sure: getMe (PTB's
        # bootstrap), setMyCommands (our menus, published by startup → commands_menu.publish_all).
        emu.inject_faults_at_random("502", 0.1, seed=12)
        emu.inject_fault("502", count=2, method="getMe")
        emu.inject_fault("502", count=3, method="setMyCommands")
        proc = await start_bot(tmp_path, emu)
        try:
            await wait_until(lambda: emu.call_count("getUpdates") > 0, 60, "polling", proc)
            await emu.send_text(user, "/me")
            await wait_until(lambda: any("王01" in m.text for m in emu.messages_to(user)), 30, "the reply", proc)
            assert emu.commands(language_code="zh")                  # the menus did get published
        finally:
            stderr = await stop_bot(proc)
    fired = [f.method.lower() for f in emu.faults_fired]
    assert fired.count("getme") >= 2 and fired.count("setmycommands") >= 3
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr and " ERROR " not in stderr, stderr[-3000:]
    assert stderr.count("WARNING bot.telegram_retry") >= 5       # one line per retry
    assert TOKEN not in stderr
