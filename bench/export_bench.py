"""Benchmark: the 支部党员名册 export of a fictional 100,000-member register (and 10,000 for the memory figure).

    .venv/bin/python bench/export_bench.py [--sizes 10000,100000] [--keep DIR]

For each size, a fictional register is built in its own SQLite file (one branch; valid made-up ID numbers;
flow members and 口袋党员 sprinkled in so 备注 has work to do), then a fresh subprocess runs the export
through the export use case — the same path as `branchbot export roster` — and reports its wall time and
its own peak RSS (ru_maxrss), so building the register never counts in the figure. Prints one line per
size and the difference of the two peaks:

    roster 100000 members: 8.4 s, peak RSS 60 MB (…; bare XlsxWriter, same cells: 10.6 s)

The bare figure is stock XlsxWriter alone writing the same number of cells on that machine at that moment
(the machine is shared: compare the two, not the absolute figure across runs). The export can beat it:
its sheets write plain cells through bot/forms/xlsx_sheet.py's shorter path.

Goals (issue 9): 100,000 members in ≤ 15 s; the peak at 100,000 at most ~50 MB above the one at 10,000
(XlsxWriter's constant-memory mode and keyset-paged reads keep memory flat). All data is made up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.idcard import check_digit  # noqa: E402

AS_OF = date(2026, 12, 1)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明华军平建国文红玉英志伟芳丽强磊洋勇艳杰涛超"
REGIONS = ("330106", "330102", "330382", "320102", "110105", "440106", "510104", "420102")
EDUCATION = ("junior", "senior", "vocational", "college", "bachelor", "bachelor", "postgraduate")


def build_register(path: Path, n: int) -> None:
    """n made-up members straight into a fresh database (records as the Member JSON the app stores)."""
    from bot.clock import FrozenClock
    from bot.storage import Database

    async def run() -> None:
        clock = FrozenClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
        db = Database(path, b"bench-key", clock)
        await db.open()
        async with db.write("bench") as tx:
            await tx.execute("INSERT INTO orgs (id, name, level, category) VALUES (1, 'XX街道党工委',"
                             " 'primary_committee', 'community'), (2, '创意园党支部', 'branch', 'private')")
            await tx.execute("UPDATE orgs SET parent_id = 1 WHERE id = 2")
        rng = random.Random(2016)
        rows, seen, now = [], set(), clock.now().isoformat()
        while len(rows) < n:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
            first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            id_number = first17 + check_digit(first17)
            if id_number in seen:
                continue
            seen.add(id_number)
            joined = date(born.year + 19 + rng.randrange(20), rng.randrange(1, 13), 1)
            joined = min(joined, date(2025, 6, 1))
            confirmed = date(joined.year + 1, joined.month, 1)
            record = {"branch_id": 2, "name": rng.choice(SURNAMES) + "X" + rng.choice(GIVEN),
                      "gender": rng.choice(("male", "female")), "ethnicity": "汉族", "native_place": "浙江省XX县",
                      "birth_date": born.isoformat(), "id_number": id_number,
                      "mobile": f"13{rng.randrange(10**9):09d}", "education": rng.choice(EDUCATION),
                      "work_unit": "XX创意园XX有限公司", "joined_on": joined.isoformat(),
                      "confirmed_on": confirmed.isoformat(), "member_type": "full", "special_statuses": []}
            if rng.random() < 0.05:
                record["flow"] = {"left_on": "2026-03-01", "destination": "广东省深圳市"}
            if rng.random() < 0.01:
                record["special_statuses"] = ["pocket"]
            rows.append((len(rows) + 1, 2, record["name"], id_number, record["mobile"], "full", record["birth_date"],
                         json.dumps(record, ensure_ascii=False), 1 if "flow" in record else 0, now, now))
        async with db.write("bench") as tx:
            await tx.executemany(
                "INSERT INTO members (id, branch_id, name, id_number, mobile, member_type, birth_date, record,"
                " is_flow, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        # Fold the bulk insert's WAL back into the database, as a live register's regular checkpoints do: a
        # 60 MB WAL left behind would be read (and counted in the export's memory) by the child.
        async with db.write("bench") as tx:
            pass
        await db._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # noqa: SLF001 (bench only)
        await db.close()

    asyncio.run(run())


def bare_xlsxwriter(out: str, n: int) -> float:
    """The floor: XlsxWriter alone writing n rows of 13 bordered text cells in constant-memory mode."""
    import xlsxwriter

    start = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws, fmt = wb.add_worksheet(), wb.add_format({"border": 1, "text_wrap": True})
    values = ["王X明", "男", "汉族", "浙江省XX县", "1985.03", "大学本科", "33010619850312001X", "2008.07", "2009.07",
              "XX创意园XX有限公司", "13800000000", ""]
    for r in range(n):
        ws.write_number(r, 0, r + 1, fmt)
        for c, v in enumerate(values, start=1):
            ws.write_string(r, c, v, fmt) if v else ws.write_blank(r, c, None, fmt)
    wb.close()
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child
    started from the parent that just built a 100,000-member register would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db_path: str, out: str) -> None:
    """Run one export in this (fresh) process and print its time and peak RSS as JSON."""
    from bot.clock import FrozenClock
    from bot.forms.registry import FormRequest
    from bot.services.context import OPERATOR, Services
    from bot.services.forms import export_form
    from bot.storage import Database

    async def run() -> dict:
        clock = FrozenClock(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
        db = Database(db_path, b"bench-key", clock)
        await db.open()
        try:
            start = time.perf_counter()
            result = await export_form(Services(db, clock), OPERATOR, FormRequest("roster", 2, AS_OF), out)
            return {"seconds": time.perf_counter() - start, "rows": result.rows}
        finally:
            await db.close()

    figures = asyncio.run(run())
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep", help="keep the databases and exports in this folder")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    peaks = {}
    for n in (int(s) for s in args.sizes.split(",")):
        db_path = work / f"register-{n}.db"
        if db_path.exists():
            db_path.unlink()
        build_register(db_path, n)
        out = work / f"roster-{n}.xlsx"
        done = subprocess.run([sys.executable, __file__, "--child", str(db_path), str(out)], check=True,
                              capture_output=True, text=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        peaks[n] = figures["peak_rss_mb"]
        bare = bare_xlsxwriter(str(work / f"bare-{n}.xlsx"), n)
        print(f"roster {n} members: {figures['seconds']:.1f} s, peak RSS {figures['peak_rss_mb']:.0f} MB"
              f" ({figures['rows']} rows, {out.stat().st_size / 1e6:.1f} MB file; bare XlsxWriter, same cells:"
              f" {bare:.1f} s)", flush=True)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    if len(peaks) == 2:
        small, big = sorted(peaks)
        print(f"peak RSS {big} − {small}: {peaks[big] - peaks[small]:+.0f} MB (goal ≤ ~50 MB)")


if __name__ == "__main__":
    main()
