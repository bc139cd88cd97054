"""The 经查找仍然无法取得联系党员登记表 lists exactly the members 附件6 counts (seed 002 附件6 note 1 builds the
汇总表 from that register): on the fictional 某镇党委 of tests/summary_world.py, by hand — M1–M9 are
unreachable on 2026-11-23; D1 (confirmed deceased, decided 2026-06-01) is counted in column X of 统计表 A–X and
on neither; R1–R6 were reached; N1 is exactly six months out and not yet 失联; N2 is in touch."""

from __future__ import annotations

import csv

from bot.forms.registry import FormRequest
from bot.services.context import OPERATOR, Services
from bot.services.forms import export_form
from summary_world import AS_OF, PEOPLE, build_world, table_of


async def test_the_unreachable_register_lists_who_the_summary_counts(db, tmp_path):
    world = await build_world(db)
    path = tmp_path / "unreachable.csv"
    result = await export_form(Services(db, db.clock), OPERATOR,
                               FormRequest("unreachable", world.committee, AS_OF, fmt="csv"), path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    names = sorted(r[header.index("姓名")] for r in body)
    by_key = {p.key: p.name for p in PEOPLE}
    assert names == sorted(by_key[f"M{i}"] for i in range(1, 10))
    assert by_key["D1"] not in names
    assert result.rows == 9
    assert table_of(db, "lost-summary", world.committee, AS_OF).total["人数"] == len(body)
