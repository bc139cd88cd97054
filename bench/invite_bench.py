"""Benchmark: the invite sheet of a large branch (issue 15) — an invite per unbound member, each audited, and
the xlsx with one QR code picture per row; then the same sheet printed again (no new invites).

    .venv/bin/python bench/invite_bench.py [--members 500]

Prints two lines such as:

    invite sheet, 500 members: 4.4 s (invites 0.1 s, xlsx with QR codes 4.3 s), 314 KB, 500 new invites
    printed again, 500 members: 3.9 s (invites 0.0 s, xlsx with QR codes 3.9 s), 314 KB, 0 new invites

(the QR pictures are most of it: segno writes each PNG in pure Python, ~8 ms a member; the bot builds the sheet
in a worker thread so that it keeps answering meanwhile).

All data is made up (fictional names, valid check digits).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FrozenClock  # noqa: E402
from bot.domain.codes import OrgCategory, OrgLevel  # noqa: E402
from bot.domain.idcard import check_digit  # noqa: E402
from bot.domain.member import Member  # noqa: E402
from bot.domain.org import Organization  # noqa: E402
from bot.forms.invite_sheet import invite_sheet  # noqa: E402
from bot.i18n import translator  # noqa: E402
from bot.services import invites  # noqa: E402
from bot.services.context import OPERATOR, Services  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.storage import members as member_repo  # noqa: E402
from bot.storage import orgs as org_repo  # noqa: E402


async def run(n: int, folder: Path) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    db = Database(folder / "bench.db", b"bench-audit-key", clock)
    await db.open()
    try:
        async with db.write("bench") as tx:
            branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                         category=OrgCategory.PRIVATE))
            people = []
            for i in range(n):
                first17 = f"330106{1960 + i % 40}0101{i % 1000:03d}"
                people.append((Member(branch_id=branch, name=f"王{i:04d}", id_number=first17 + check_digit(first17),
                                      mobile=f"139{i:08d}"), None, None))
            await member_repo.insert_many(tx, people)
        svc, tr = Services(db, clock), translator("zh_CN")
        for label in ("invite sheet", "printed again"):
            start = time.perf_counter()
            links = await invites.bulk_invites(svc, OPERATOR, branch)
            made = time.perf_counter()
            data = invite_sheet("创意园党支部", links, lambda c: f"https://t.me/branchbot?start={c}", tr, clock.tz)
            done = time.perf_counter()
            new = sum(1 for link in links if link.new)
            print(f"{label}, {len(links)} members: {done - start:.1f} s (invites {made - start:.1f} s, "
                  f"xlsx with QR codes {done - made:.1f} s), {len(data) // 1024} KB, {new} new invites")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.members, Path(folder)))


if __name__ == "__main__":
    main()
