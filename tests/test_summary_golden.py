"""Golden tests: 附件6, 附件7 and 统计表 A–X of the fictional 某镇党委 (tests/summary_world.py), by hand.

填表日期 2026-11-23. Edges used below (worked from bot.domain.dates' full-month counting):
- who counts is the registers' and the scan's rule (bot.domain.registers): a last contact on 2026-05-23,
  exactly six months back, is not yet 失联 (N1 does not count), 2026-05-22 is (M1, M2 count);
- age 35 = born 1991-11-23 (M1) or 1990-11-24 (M9, the day before the 36th birthday); 36 = 1990-11-23 (M2);
  45 = 1981-11-23 (M3); 46 = 1980-11-23 (M4); 60 = 1966-11-23 (M5); 61 = 1965-11-23 (M6);
- 党龄 from 转正: exactly 1 (2025-11-23, M2), 5 (2021-11-23, M3), 6 (2020-11-23, M4), 10 (2016-11-23, M5),
  11 (2015-11-23, M6), 20 (2006-11-23, M7), 21 (2005-11-23, M8); M1 is a 预备党员 (党龄 0 → 1年以下);
  M9 转正 2024-06-01 → 2 years;
- lost time from the last 组织生活: 6 months and a day (2026-05-22: M1, M2 → 6个月以上不满1年: exactly six
  months cannot be counted, that member is not yet 失联), 1 year (2025-11-23: M3, M8), 5 years 11 months
  (2020-12-23: M4 → 1年至5年), 6 years (2020-11-23: M5), 10 years 11 months (2015-12-23: M7 → 6年至10年),
  11 years (2015-11-23: M6); M9 has no 组织生活/党费 nor any contact: from the day of entry 2016-01-01,
  10 years 10 months → 6年至10年 (noted).
"""

from __future__ import annotations

import pytest


from summary_world import AS_OF, build_world, table_of

OCC = ["国有企业解除劳动关系人员", "非公有制企业离职人员", "农村外出务工经商人员", "机关事业单位离退休人员", "高校毕业生",
       "街道社区人户分离人员", "组织关系在人才中心人员", "其他"]


def nonzero(values: dict) -> dict:
    return {k: v for k, v in values.items() if v and not k.startswith("_")}


@pytest.fixture
async def world(db):
    return await build_world(db)


async def test_lost_summary_committee_total(db, world):
    t = table_of(db, "lost-summary", world.committee, AS_OF)
    # 排查前在册: the 21 members of the three branches except T1 (transferred and landed, no case); M1, M3,
    # M5, R6, D1 are inactive but were taken off the register through their case, so they count.
    # 预备党员 on the register: M1, G1. Unreachable: M1–M9 (R1–R6 reached, D1 deceased, N1 5 months 30 days,
    # exactly six months out, N2 in touch through an own report and a check-in).
    assert t.total["排查前在册党员人数"] == 21
    assert t.total["排查前在册预备党员"] == 2
    assert nonzero(t.total) == {
        "排查前在册党员人数": 21, "排查前在册预备党员": 2,
        "人数": 9, "预备党员": 1,                                  # M1
        "女": 2,                                                 # M2 (回族), M6
        "少数民族": 2,                                           # M2 回族, M7 蒙古族
        "35岁及以下": 2, "36岁至45岁": 3, "46岁至60岁": 2, "61岁及以上": 2,   # M1 M9 | M2 M3 M7(44) | M4 M5 | M6 M8(70)
        "党龄1年以下": 1, "党龄1年至5年": 3, "党龄6年至10年": 2, "党龄11年至20年": 2, "党龄21年及以上": 1,
        # M1 | M2 M3 M9 | M4 M5 | M6 M7 | M8
        "初中及以下": 3, "高中、中专": 2, "大学专科及以上": 3,      # M2 M5(小学) M8 | M3 M4(中专) | M1 M6 M7; M9 none
        "书记": 1, "副书记、委员": 2,                              # M3 | M5 副书记, M8 委员
        "失联6个月以上不满1年": 2, "失联1年至5年": 3, "失联6年至10年": 3, "失联11年及以上": 1,
        # M1 M2 | M3 M8 M4 | M5 M7 M9 | M6
        "外出务工经商": 2, "单位改制或破产": 1, "毕业后去向不明": 1, "工作单位改变": 1, "出国（境）": 1,
        "居住地改变": 1, "其他": 2,                                # ① M1 M2, ② M5, ③ M9, ④ M8, ⑤ M6, ⑥ M7, ⑦ M3 M4 (none recorded)
    }
    assert t.total["_no_education"] == 1 and t.total["_no_official"] == 1 and t.total["_no_reason"] == 2
    assert t.total["_no_lost_since"] == 0
    # 补充资料: G1 (flow record from 2026-03-01) and N2 (外出流动 report 2026-02-01).
    assert t.supplement == "补充资料：流动党员 2 人。"


async def test_lost_summary_rows_by_occupation(db, world):
    t = table_of(db, "lost-summary", world.committee, AS_OF)
    assert [label for label, _ in t.rows] == OCC
    rows = dict(t.rows)
    # 排查前在册 by 职业: ① M4 R5 N2 | ② M1 R1 P1 | ③ M2 M8 R3 G1 | ④ M5 | ⑤ M9 R4 | ⑥ M7 R6 | ⑦ M6 R2 |
    # ⑧ M3 (no 职业) D1 N1 (no 职业) G2.
    assert [rows[o]["排查前在册党员人数"] for o in OCC] == [3, 3, 4, 1, 2, 2, 2, 4]
    assert [rows[o]["人数"] for o in OCC] == [1, 1, 2, 1, 1, 1, 1, 1]   # M4 | M1 | M2 M8 | M5 | M9 | M7 | M6 | M3
    assert nonzero(rows["其他"]) == {                      # M3 (no 职业 on record) and the registered D1, N1, G2
        "排查前在册党员人数": 4, "人数": 1, "36岁至45岁": 1, "党龄1年至5年": 1, "高中、中专": 1, "书记": 1,
        "失联1年至5年": 1, "其他": 1}
    assert nonzero(rows["农村外出务工经商人员"]) == {         # M2, M8; registered also R3, G1 (预备)
        "排查前在册党员人数": 4, "排查前在册预备党员": 1, "人数": 2, "女": 1, "少数民族": 1, "36岁至45岁": 1,
        "61岁及以上": 1, "党龄1年至5年": 1, "党龄21年及以上": 1, "初中及以下": 2, "副书记、委员": 1,
        "失联6个月以上不满1年": 1, "失联1年至5年": 1, "外出务工经商": 1, "工作单位改变": 1}


async def test_lost_summary_by_branch_and_for_one_branch(db, world):
    t = table_of(db, "lost-summary", world.committee, AS_OF)
    branches = {name: v for name, v in t.by_branch}
    assert list(branches) == sorted(["创意园党支部", "工业园党支部", "农村党支部"])
    # A: M1 M2 M3 R1 N1 P1 G1 (预备 M1 G1; lost M1 M2 M3); B: M4 M5 M6 R2 R5 R6 N2 (lost M4 M5 M6);
    # C: M7 M8 M9 R3 R4 D1 G2 (lost M7 M8 M9).
    assert {n: (v["排查前在册党员人数"], v["排查前在册预备党员"], v["人数"]) for n, v in branches.items()} == {
        "创意园党支部": (7, 2, 3), "工业园党支部": (7, 0, 3), "农村党支部": (7, 0, 3)}
    a = table_of(db, "lost-summary", world.branches["A"], AS_OF)
    assert a.org_name == "创意园党支部"
    assert (a.total["排查前在册党员人数"], a.total["人数"], a.total["_flow"]) == (7, 3, 1)
    # A's lost: M1 (35, 预备, 6 months, ②), M2 (36, 1 year 党龄, 6 months, ③ woman 回族), M3 (45, 5 years, 1 year, ⑧ 书记)
    assert nonzero(a.total) == {
        "排查前在册党员人数": 7, "排查前在册预备党员": 2, "人数": 3, "预备党员": 1, "女": 1, "少数民族": 1,
        "35岁及以下": 1, "36岁至45岁": 2, "党龄1年以下": 1, "党龄1年至5年": 2, "初中及以下": 1, "高中、中专": 1,
        "大学专科及以上": 1, "书记": 1, "失联6个月以上不满1年": 2, "失联1年至5年": 1, "外出务工经商": 2, "其他": 1}


async def test_lost_summary_notes_sheet(db, world):
    t = table_of(db, "lost-summary", world.committee, AS_OF)
    notes = {(n.branch, n.member): n.text for n in t.notes}
    assert notes == {
        ("农村党支部", "王九"): "学历未记录、最近一次参加组织生活或交纳党费日期未记录（失去联系时间按最近一次联系或录入日期计）",
        ("创意园党支部", "王三"): "失去联系情形未记录（计入⑦其他）",
        ("工业园党支部", "王四"): "失去联系情形未记录（计入⑦其他）",
    }


async def test_a_past_filling_date_reads_contacts_back(db, world):
    """On 2026-11-01 N2's check-in of 2026-10-30 exists, but a contact after the 填表日期 must not count:
    move N2's only contact after 2026-11-01 and it is unreachable on that day (events read back)."""
    async with db.write("test") as tx:
        await tx.execute("UPDATE members SET last_contact_on = '2026-11-20' WHERE id = ?", (world.members["N2"],))
        await tx.execute("INSERT INTO contact_events (member_id, kind, on_date, recorded_by, created_at)"
                         " VALUES (?, 'meeting', '2024-11-01', 'test', 'x'), (?, 'check_in', '2026-11-20', 'test', 'x')",
                         (world.members["N2"], world.members["N2"]))
    on_20th = table_of(db, "lost-summary", world.committee, AS_OF)
    assert on_20th.total["人数"] == 9                        # on 2026-11-23 the check-in of the 20th counts
    earlier = table_of(db, "lost-summary", world.committee, AS_OF.replace(day=1))
    # On 2026-11-01 N2's last contact on or before that day is the meeting of 2024-11-01: unreachable.
    # M1, M2 (last contact 2026-05-22) are five months and 10 days out on 2026-11-01: not yet.
    assert earlier.total["人数"] == 9 - 2 + 1


async def test_disposition_summary_golden(db, world):
    t = table_of(db, "disposition-summary", world.committee, AS_OF)
    rows = dict(t.rows)
    # Decided cases: M1 取消预备 (②), M2 停止党籍 (③), M3 自行脱党 (⑧), M5 开除 (④), M6 停止党籍 (⑦),
    # R1 纳入 (②), R2 纳入 but 补转 (⑦: not counted), R3 留党察看 (③), R4 保留 (⑤), R6 退党除名 (⑥),
    # D1 death (⑧: not in this table).
    assert nonzero(t.total) == {"纳入组织管理": 1, "取消预备党员资格": 1, "保留组织关系": 1, "停止党籍": 2,
                                "退党除名": 1, "自行脱党除名": 1, "留党察看": 1, "开除党籍": 1}
    assert nonzero(rows["非公有制企业离职人员"]) == {"纳入组织管理": 1, "取消预备党员资格": 1}
    assert nonzero(rows["农村外出务工经商人员"]) == {"停止党籍": 1, "留党察看": 1}
    assert nonzero(rows["组织关系在人才中心人员"]) == {"停止党籍": 1}
    assert nonzero(rows["其他"]) == {"自行脱党除名": 1}
    assert nonzero(rows["国有企业解除劳动关系人员"]) == {}
    assert (t.total["_decided"], t.total["_late_transfer"], t.total["_deceased"]) == (11, 1, 1)
    notes = sorted((n.member, n.text) for n in t.notes)
    assert notes == sorted([("王七", "处置尚未决定（支委会已提出初步处置意见）"), ("王八", "处置尚未决定（正在查找）"),
                            ("王九", "处置尚未决定（正在查找）"), ("李五", "处置尚未决定（已调查核实表现）"),
                            ("李二", "补转组织关系（不计入纳入组织管理）"), ("赵一", "确认已死亡（不列入本表）")])


async def test_disposition_stats_golden(db, world):
    t = table_of(db, "disposition-stats", world.committee, AS_OF)
    # A: 16 = the 15 members with a case + M4 (unreachable, no case yet).
    # X: D1. B (reached): R1–R6 = 6. O: M1–M9 = 9.
    # C: R1 纳入, R2 纳入 (补转 still under management), R3 留党察看 (备注 2), R4 保留 = 4; D: R4; G: R6 (J 退党除名);
    # N: R5 (not decided). P: M1 (R 取消预备), M3 (Q 自行脱党); S: M2 (T), M6 (U); V: M5; W: M4 (no case), M7
    # (proposed only), M8, M9 (searching).
    assert nonzero(t.total) == {"A": 16, "B": 6, "C": 4, "D": 1, "G": 1, "J": 1, "N": 1, "O": 9, "P": 2, "Q": 1,
                                "R": 1, "S": 2, "T": 1, "U": 1, "V": 1, "W": 4, "X": 1}
    assert t.rows == [("2026-11-23", t.total)]
    branches = {n: nonzero(v) for n, v in t.by_branch}
    assert branches == {
        "创意园党支部": {"A": 4, "B": 1, "C": 1, "O": 3, "P": 2, "Q": 1, "R": 1, "S": 1, "T": 1},    # M1 M2 M3 R1
        "工业园党支部": {"A": 6, "B": 3, "C": 1, "G": 1, "J": 1, "N": 1, "O": 3, "S": 1, "U": 1, "V": 1, "W": 1},
        "农村党支部": {"A": 6, "B": 2, "C": 2, "D": 1, "O": 3, "W": 3, "X": 1},                 # M7 M8 M9 R3 R4 D1
    }
