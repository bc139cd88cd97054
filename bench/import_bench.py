"""Benchmark: import a fictional 10,000-member 支部党员名册 .xlsx through the `branchbot import` command.

    .venv/bin/python bench/import_bench.py [--rows 10000] [--keep DIR]

Generates the roster (fictional names such as 王X明, valid ID numbers with correct check digits,
seed headers with their spacing and line breaks), runs `branchbot init`, `org add` and then
`branchbot import` in this process (the same code path as the command line), and prints one line:

    import 10000 members from xlsx: 6.3 s (1587 rows/s)

The goal (issue 2) is under 20 s on the development machine. All data is made up.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.idcard import check_digit  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "明华军平建国文红玉英志伟芳丽强磊洋勇艳杰涛超"
REGIONS = ("330106", "330102", "330382", "320102", "110105", "440106", "510104", "420102")
ETHNICITIES = ("汉族",) * 18 + ("回族", "满族")
EDUCATION = ("初中", "高中", "中专", "大学专科", "大学本科", "大学本科", "研究生")
HEADERS = ("序号", "姓 名", "性别", "民族", "籍贯", "出生\n年月", "学历", "身份证号码", "入党\n时间", "转正\n时间",
           "工作单位", "联系电话", "备注", "最近参加组织生活日期", "最近交纳党费日期", "党员类型")


def fictional_rows(n: int, seed: int = 2016, today: date | None = None) -> list[list[object]]:
    """n valid, distinct, made-up roster rows (seed headers plus meeting/dues dates and type)."""
    rng = random.Random(seed)
    today = today or date.today()
    seen: set[str] = set()
    rows: list[list[object]] = []
    while len(rows) < n:
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        male = rng.random() < 0.6
        seq = rng.randrange(0, 999)
        seq = seq - seq % 2 + (1 if male else 0)
        first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{seq:03d}"
        id_number = first17 + check_digit(first17)
        if id_number in seen:
            continue
        seen.add(id_number)
        i = len(rows) + 1
        name = rng.choice(SURNAMES) + "X" + rng.choice(GIVEN)
        joined = date(born.year + 19 + rng.randrange(20), rng.randrange(1, 13), 1)
        joined = min(joined, today - timedelta(days=400))
        full = rng.random() < 0.95
        confirmed = date(joined.year + 1, joined.month, 1) if full else None
        last = today - timedelta(days=rng.randrange(1, 400))
        rows.append([
            i, name, "男" if male else "女", rng.choice(ETHNICITIES), "浙江省XX县", f"{born.year}.{born.month:02d}",
            rng.choice(EDUCATION), id_number,
            # Half the 入党时间 as Excel date cells, half as typed text: both forms occur in real rosters.
            datetime(joined.year, joined.month, 1) if i % 2 else f"{joined.year}.{joined.month:02d}",
            f"{confirmed.year}.{confirmed.month:02d}" if confirmed else None,
            f"XX创意园{i % 50}号楼", f"13{rng.randrange(5, 10)}{i:08d}", None,
            last.isoformat(), (last - timedelta(days=rng.randrange(0, 60))).isoformat(),
            "正式" if full else "预备",
        ])
    return rows


def write_roster(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("支部党员名册")
    ws.append(["支 部 党 员 名 册"])
    ws.append(["XX党（工）委  创意园党支部  填表日期：2026年11月23日"])
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(row)
    wb.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", metavar="DIR", help="write the roster and database here and keep them")
    args = parser.parse_args(argv)

    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="branchbot-bench-")
    work = Path(args.keep or tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    os.environ["BRANCHBOT_AUDIT_KEY_FILE"] = str(work / "audit.key")
    os.environ.pop("BRANCHBOT_AUDIT_KEY", None)
    db = str(work / "bench.db")
    roster = work / f"roster_{args.rows}.xlsx"

    t0 = time.perf_counter()
    write_roster(roster, fictional_rows(args.rows))
    generated = time.perf_counter() - t0

    from bot.cli import main as cli

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        assert cli(["--db", db, "init"]) == 0
        assert cli(["--db", db, "org", "add", "创意园党支部", "--level", "branch", "--category", "private"]) == 0
        t0 = time.perf_counter()
        code = cli(["--db", db, "import", str(roster), "--branch", "1"])
        elapsed = time.perf_counter() - t0
    if code != 0:
        print(sink.getvalue(), file=sys.stderr)
        print(f"import failed with exit code {code}", file=sys.stderr)
        return 1
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM members").fetchone()[0]
    assert stored == args.rows, (stored, args.rows)
    print(f"(roster generated in {generated:.1f} s, {roster.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    print(f"import {args.rows} members from xlsx: {elapsed:.1f} s ({args.rows / elapsed:.0f} rows/s)")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
