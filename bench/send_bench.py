"""Benchmark: 3,000 reminders through the Bot API emulator with Telegram's flood limits switched on.

    .venv/bin/python bench/send_bench.py                 # 3,000 messages to 1,000 chats, sender at 30/s
    .venv/bin/python bench/send_bench.py --rate 28 --chats 3000

The emulator answers 429 (with retry_after) past about 30 messages a second overall or one a second
per private chat (a short burst allowed). The outbox sender (bot.reminders.sender) paces itself with
a strict sliding window and a per-chat interval, through the bot's own HTTP layer (bot.telegram_retry). Prints
the achieved rate against the 30/s limit, the 429s the emulator answered, and proves none was left
unretried (every message delivered, each exactly once).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402

from bot.clock import Clock  # noqa: E402
from bot.emulator import Emulator  # noqa: E402
from bot.reminders.sender import Sender  # noqa: E402
from bot.services.context import Services  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage import outbox as outbox_repo  # noqa: E402
from bot.telegram_retry import RetryingRequest  # noqa: E402

TOKEN = "5550009999:BENCH-token-not-secret"
LIMIT = 30.0


async def bench(messages: int, chats: int, rate: int, inflight: int) -> int:
    emu = Emulator(token=TOKEN, bot_username="branchbot_bench_bot")
    await emu.start()
    emu.set_rate_limits(True)
    users = [emu.add_user(f"党员{i}", started=True) for i in range(chats)]
    folder = Path(tempfile.mkdtemp(prefix="send-bench-"))
    clock = Clock("Asia/Shanghai")
    db = Database(folder / "send.db", b"bench-audit-key-not-secret", clock)
    await db.open()
    bot = Bot(TOKEN, base_url=emu.base_url, request=RetryingRequest(connection_pool_size=inflight + 8))
    await bot.initialize()
    try:
        rows = [(f"bench:{n}", users[n % chats].id, "bench",
                 outbox_repo.payload_json(f"提醒 {n}：请在机器人中记录联系情况。"), None) for n in range(messages)]
        async with db.write("bench") as tx:
            await outbox_repo.enqueue_many(tx, rows)
        sender = Sender(Services(db, clock), bot, rate=rate, max_inflight=inflight)
        t0 = time.perf_counter()
        stats = await sender.drain()
        seconds = time.perf_counter() - t0
    finally:
        await bot.shutdown()
    states = await outbox_repo.counts(db)
    await db.close()
    shutil.rmtree(folder, ignore_errors=True)
    sent = [c for c in emu.calls if c[0].lower() == "sendmessage"]
    refused = Counter(e.error_code for e in emu.errors)
    delivered = Counter(m.chat_id for u in users for m in emu.messages_to(u))
    await emu.stop()
    achieved = stats.sent / seconds
    print(f"{stats.sent:,} reminders to {chats:,} chats in {seconds:.1f} s: {achieved:.1f} msg/s = "
          f"{100 * achieved / LIMIT:.0f}% of Telegram's {LIMIT:.0f}/s (sender window {rate}/s, "
          f"{inflight} in flight)")
    print(f"sendMessage calls {len(sent):,}; 429 answered {refused.get(429, 0)} and retried "
          f"{stats.retried_429}; other errors {sum(v for k, v in refused.items() if k != 429)}; "
          f"outbox {dict(states)}; delivered {sum(delivered.values()):,} "
          f"(each chat got {min(delivered.values())}–{max(delivered.values())})")
    ok = states == {"sent": messages} and sum(delivered.values()) == messages and stats.retried_429 == refused.get(429, 0)
    print("every message delivered once, no 429 left unretried" if ok else "DELIVERY CHECK FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=30, help="the sender's window (messages per second)")
    parser.add_argument("--inflight", type=int, default=60)
    args = parser.parse_args()
    print(f"send benchmark at {datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}: emulator rate limits on "
          f"(30/s overall, 1/s per chat)")
    return asyncio.run(bench(args.messages, args.chats, args.rate, args.inflight))


if __name__ == "__main__":
    sys.exit(main())
