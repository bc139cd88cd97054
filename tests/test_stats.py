"""/stats numbers on the fictional 某镇党委 (tests/summary_world.py), the per-branch table, who may see them,
the chart (a real render: fails on a missing glyph; skipped only where no CJK font is installed), the CLI."""

from __future__ import annotations

import json
import warnings

import pytest

from bot.cli import main
from bot.domain.codes import Role
from bot.domain.errors import NotFound, PermissionDenied
from bot.i18n import translator
from bot.services import stats as stats_svc
from bot.services import stats_chart
from bot.services.context import OPERATOR, Actor, Services
from summary_world import AS_OF, build_world, cli_env, seed_world


async def add_transfers_and_attempts(db, w) -> None:
    """P1 (口袋党员) transferred out 2026-09-01, no 回执; G2 transferred 2026-08-01, 回执 2026-08-20.
    Search attempts: M8 on 2026-11-10 (this month, within 30 days), M7 on 2026-10-20 (neither)."""
    async with db.write("test") as tx:
        for key, sent, receipt in (("P1", "2026-09-01", None), ("G2", "2026-08-01", "2026-08-20")):
            await tx.execute(
                "INSERT INTO transfers (member_id, kind, to_org, destination, phone, backup_name, backup_phone,"
                " sent_on, receipt_on, created_at) VALUES (?, 'permanent', '某区创意园党支部', '浙江省杭州市',"
                " '13800000000', '张XX', '13900000000', ?, ?, 'x')", (w.members[key], sent, receipt))
        for key, on in (("M8", "2026-11-10"), ("M7", "2026-10-20")):
            await tx.execute(
                "INSERT INTO search_attempts (member_id, on_date, method, contacted, narrative, result, recorded_by,"
                " created_at) VALUES (?, ?, 'police_registry', '派出所', '到派出所查询户籍', 'not_reached', 'test', 'x')",
                (w.members[key], on))


@pytest.fixture
async def world(db):
    w = await build_world(db)
    await add_transfers_and_attempts(db, w)
    return w


async def test_node_stats_by_hand(db, clock, world):
    s = await stats_svc.node_stats_for(Services(db, clock), OPERATOR, world.committee, AS_OF)
    # Active: all but M1 M3 M5 R6 D1 T1 = 16. The scan's levels on 2026-11-23 (失联 before 2026-05-23,
    # 失控 before 2026-10-23): 失联 M2 (05-22) M4 M6 M7 M8 M9 (none: entered 2016) R5 (2025-01-01) = 7;
    # 失控 R1 R2 (10-01) R3 R4 (09-01) N1 (05-23, exactly six months) = 5; in contact N2 P1 G1 G2 = 4.
    assert (s.members, s.lost, s.out_of_control, s.in_contact) == (16, 7, 5, 4)
    assert s.flow == 1                              # G1
    assert s.transfers_without_receipt == 1         # P1
    assert s.open_cases == {"investigated": 1, "proposed": 1, "searching": 2}   # R5 | M7 | M8 M9
    assert s.attempts_this_month == 1               # M8's
    a = await stats_svc.node_stats_for(Services(db, clock), OPERATOR, world.branches["A"], AS_OF)
    assert (a.org_name, a.members, a.lost, a.transfers_without_receipt) == ("创意园党支部", 5, 1, 1)   # M2; P1


async def test_branches_ranked_by_lost_members_nobody_searched_for(db, clock, world):
    rows, total = await stats_svc.branches_needing_search(Services(db, clock), OPERATOR, world.committee, AS_OF)
    # Last 30 days: 2026-10-25 … 11-23. 工业园: M4 M6 R5 lost, none searched = 3; 农村: M7 M8 M9 lost, M8
    # searched 11-10 (M7's 10-20 is older) = 2; 创意园: M2 lost, not searched = 1.
    assert total == 3
    assert [(r.name, r.lost, r.unsearched) for r in rows] == [("工业园党支部", 3, 3), ("农村党支部", 3, 2),
                                                              ("创意园党支部", 1, 1)]
    page, total = await stats_svc.branches_needing_search(Services(db, clock), OPERATOR, world.committee, AS_OF,
                                                          offset=2, limit=2)
    assert [r.name for r in page] == ["创意园党支部"] and total == 3


async def test_who_may_see_a_node(db, clock, world):
    svc = Services(db, clock)
    secretary = Actor(label="tg:1", tg_id=1, roles=[(Role.SECRETARY, world.branches["A"])])
    committee = Actor(label="tg:2", tg_id=2, roles=[(Role.COMMITTEE, world.committee)])
    member = Actor(label="tg:3", tg_id=3, member_id=world.members["P1"])
    assert (await stats_svc.node_stats_for(svc, secretary, world.branches["A"], AS_OF)).members == 5
    assert (await stats_svc.node_stats_for(svc, committee, world.branches["C"], AS_OF)).members == 6
    for actor, org in ((secretary, world.committee), (secretary, world.branches["B"]), (member, world.branches["A"])):
        with pytest.raises(PermissionDenied):
            await stats_svc.node_stats_for(svc, actor, org, AS_OF)
    with pytest.raises(PermissionDenied):
        await stats_svc.branches_needing_search(svc, member, world.committee, AS_OF)
    with pytest.raises(NotFound):
        await stats_svc.node_stats_for(svc, OPERATOR, 999, AS_OF)


@pytest.mark.skipif(stats_chart.cjk_font() is None,
                    reason="no CJK font installed (fc-list :lang=zh is empty; .ci/cjk-font installs "
                           "fonts-wqy-microhei): the chart is not rendered, the bot sends numbers only")
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_chart_renders_every_glyph(db, clock, world, locale):
    s = await stats_svc.node_stats_for(Services(db, clock), OPERATOR, world.committee, AS_OF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # a "Glyph … missing from font" warning fails the test
        png = stats_chart.render_png(s, translator(locale))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


async def test_chart_refuses_boxes_and_goes_without_a_font(db, clock, world, monkeypatch):
    s = await stats_svc.node_stats_for(Services(db, clock), OPERATOR, world.committee, AS_OF)
    # A Latin-only font: matplotlib reports the missing glyphs, render_png refuses to send boxes.
    with pytest.raises(stats_chart.MissingGlyph):
        stats_chart.render_png(s, translator("zh_CN"), font="DejaVu Sans")
    monkeypatch.setattr(stats_chart, "cjk_font", lambda: None)
    assert stats_chart.render_png(s, translator("zh_CN")) is None
    assert stats_chart.warn_if_no_cjk_font() is False


def test_cli_stats_json_and_text(tmp_path, monkeypatch, capsys):
    path = cli_env(tmp_path, monkeypatch)
    assert main(["--db", str(path), "init"]) == 0
    w = seed_world(path, then=add_transfers_and_attempts)
    capsys.readouterr()
    assert main(["--db", str(path), "stats", "--org", str(w.committee), "--as-of", "2026-11-23", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["members"], data["lost"], data["flow"], data["branches_total"]) == (16, 7, 1, 3)
    assert data["branches"][0] == {"branch_id": w.branches["B"], "name": "工业园党支部", "lost": 3, "unsearched": 3}
    assert main(["--db", str(path), "stats", "--org", str(w.committee), "--as-of", "2026-11-23"]) == 0
    out = capsys.readouterr().out
    assert "某镇党委 on 2026-11-23" in out and "Lost contact over six months" in out
    assert "工业园党支部: 3 of 3 lost members not searched for" in out
    assert main(["--db", str(path), "stats", "--org", "99"]) == 2
