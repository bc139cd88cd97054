"""Updates handled per second: the full branchbot vs a bare python-telegram-bot echo bot.

Both run as real PTB Applications polling the local Bot API emulator over HTTP, in the same run, on
the same emulator, with the same load: USERS users each sending MESSAGES messages, all queued at once.
The full bot answers `/me`: the actor and roles looked up on the SQLite register, the member's record
read and rendered as a localized, HTML-escaped reply with its buttons, behind the same permission
decorators, persistence and ordered-per-user processing as production; the echo bot answers every text
with itself. (Writes are not in this figure: a report or a search attempt is one audited transaction
more, and a person makes a few a week.) Rate limiters are off for both: the emulator's limits are off, and
the question is the bot's own cost per update.

    .venv/bin/python bench/updates_bench.py [--users 40] [--messages 10] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import statistics
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import build_application
from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.emulator import Emulator
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

TOKEN = "5550009999:BENCH-token-not-secret"


async def _drive(emu: Emulator, app: Application, users: list, texts: list[str], expected_replies: int) -> float:
    """Queue every update first, then start polling and time until the bot has sent
    `expected_replies` messages (the bench's own sending is not timed, for either bot)."""
    await app.initialize()
    await app.start()
    try:
        start_calls = emu.call_count("sendMessage")
        for text in texts:
            for user in users:
                await emu.send_text(user, text)
        t0 = time.perf_counter()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        while emu.call_count("sendMessage") - start_calls < expected_replies:
            await asyncio.sleep(0.005)
        return time.perf_counter() - t0
    finally:
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def echo_rate(emu: Emulator, users: list, messages: int) -> float:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    # PTB's defaults, as a bare echo bot is written (sequential update processing was also the fastest
    # echo configuration measured here: concurrency costs more than it saves on a local emulator).
    app = Application.builder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    n = len(users) * messages
    seconds = await _drive(emu, app, users, [f"echo {i}" for i in range(messages)], n)
    return n / seconds


async def full_rate(emu: Emulator, users: list, messages: int, folder: Path) -> float:
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    db = Database(folder / "bench.db", b"bench-key", clock)
    await db.open()
    async with db.write("cli:bench") as tx:
        branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                     category=OrgCategory.PRIVATE))
        for i, user in enumerate(users):
            first17 = f"110105{date(1980, 1, 1 + i % 28):%Y%m%d}{i % 1000:03d}"
            mid = await member_repo.insert(tx, Member(branch_id=branch, name=f"测试党员{i:03d}",
                                                      id_number=first17 + check_digit(first17),
                                                      joined_on=date(2005, 7, 1), confirmed_on=date(2006, 7, 1)),
                                           last_contact_on=date(2026, 11, 1))
            await user_repo.ensure_user(tx, user.id)
            await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (mid, user.id))
    try:
        settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, BRANCHBOT_DATABASE=folder / "bench.db")
        app = build_application(settings, db, clock, token=TOKEN, base_url=emu.base_url,
                                base_file_url=emu.base_file_url, rate_limiter=False)
        n = len(users) * messages
        seconds = await _drive(emu, app, users, ["/me"] * messages, n)
        # The replies must be the members' own records, not a refusal: otherwise the figure means nothing.
        last = emu.last_message_to(users[0])
        assert last is not None and "测试党员000" in last.text, last.text if last else None
        return n / seconds
    finally:
        await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    async with Emulator(token=TOKEN, bot_username="branchbot_bench_bot") as emu:
        echo_users = [emu.add_user(first_name=f"Echo{i}", language_code="zh-hans", started=True)
                      for i in range(args.users)]
        full_users = [emu.add_user(first_name=f"Member{i}", language_code="zh-hans", started=True)
                      for i in range(args.users)]
        # One short warm-up run of each, not counted: the first Application of a process pays for imports,
        # TLS contexts and caches that a running bot paid once at start.
        with tempfile.TemporaryDirectory() as tmp:
            await echo_rate(emu, echo_users, 2)
            await full_rate(emu, full_users, 2, Path(tmp))
        echo_runs, full_runs = [], []
        # Rounds alternate which bot goes first (echo, full | full, echo | …) so neither always runs on a
        # warmer or a busier machine; each round's ratio compares two runs seconds apart, and the median
        # of those ratios is the figure (a shared machine's noise moves both runs of a round together).
        for round_no in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                if round_no % 2 == 0:
                    echo_runs.append(await echo_rate(emu, echo_users, args.messages))
                    full_runs.append(await full_rate(emu, full_users, args.messages, Path(tmp)))
                else:
                    full_runs.append(await full_rate(emu, full_users, args.messages, Path(tmp)))
                    echo_runs.append(await echo_rate(emu, echo_users, args.messages))
        assert not [e for e in emu.errors], emu.errors[:3]
    ratios = [f / e for f, e in zip(full_runs, echo_runs)]
    n = args.users * args.messages
    print(f"updates: {n} ({args.users} users x {args.messages}) per bot per round, {args.rounds} rounds,"
          " same emulator, same run")
    print("echo runs:  " + ", ".join(f"{r:6.1f}" for r in echo_runs))
    print("full runs:  " + ", ".join(f"{r:6.1f}" for r in full_runs))
    print("ratios:     " + ", ".join(f"{r:6.2f}" for r in ratios))
    print(f"echo bot (bare PTB):          {statistics.median(echo_runs):6.1f} updates/s (median)")
    print(f"full branchbot (/me, SQLite): {statistics.median(full_runs):6.1f} updates/s (median)")
    print(f"ratio full/echo: {statistics.median(ratios):.2f} median of rounds, {min(ratios):.2f} worst"
          "  (goal >= 0.50)")


if __name__ == "__main__":
    asyncio.run(main())
