"""The per-member records read back with python-docx: the 记录表 reproduces seed 000's worked examples word
for word, the 登记表 and 纪实表 carry the seeds' labels, check boxes tick what is recorded, one document
holds several members with a page break between them."""

from __future__ import annotations

import csv
import io
import re

import docx
import pytest

from bot.domain.errors import PermissionDenied
from bot.forms.registry import FormRequest
from bot.services.context import Actor, OPERATOR, Services
from bot.services.forms import export_form
from tests.forms_seed import seed_text, squash
from tests.forms_world import AS_OF, EXAMPLE_DATES, PROPOSAL
from tests.test_forms_registers import export, world  # noqa: F401 (the fixture)


def cell_texts(document) -> list[str]:
    out = []
    for table in document.tables:
        for row in table.rows:
            for c in row.cells:
                if not out or out[-1] != c.text:     # merged cells repeat
                    out.append(c.text)
    return out


def paragraphs(document) -> list[str]:
    return [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]


def page_breaks(document) -> int:
    return sum(1 for p in document.paragraphs for r in p.runs if 'w:br w:type="page"' in r._element.xml)


async def test_search_record_reproduces_the_seeds_three_examples_word_for_word(world, tmp_path):
    db, w = world
    result, path = await export(db, tmp_path, "search-record", w.branch, fmt="docx", member_ids=(w.ids["王XX"],))
    d = docx.Document(path)
    texts = paragraphs(d)
    seed = seed_text("000")
    examples = re.findall(r"如：(XXXX年XX月XX日，支部工作人员李XX[^\n]*)", seed)
    assert len(examples) == 3
    for example, on in zip(examples, EXAMPLE_DATES):
        expected = example.replace("XXXX年XX月XX日", f"{on.year}年{on.month}月{on.day}日", 1)
        assert expected in texts, expected
    cells = cell_texts(d)
    assert "第一次联系查找情况" in cells and "第四次联系查找情况" in cells and "第五次联系查找情况" not in cells
    assert any("查找人签名：李XX、陈XX" in c for c in cells)
    # 支委会意见 from the case's proposal (seed 000 note 5's own example), 基层党委意见 blank for ink.
    opinion = next(c for c in cells if c.startswith(PROPOSAL))
    assert "支部书记签名：" in opinion and "2026年11月25日" in opinion
    assert "党委书记签名（盖章）：\n年    月    日" in cells
    assert "①外出务工经商" in cells and "9个月" in cells
    assert result.filename == "与党组织失去联系党员联系查找情况记录表-王XX-2026-12-01.docx"


async def test_search_record_lists_every_attempt_not_only_four(world, tmp_path):
    from datetime import date

    from bot.domain.codes import SearchMethod, SearchResult
    from bot.services.search import log_search_attempt

    db, w = world
    svc = Services(db, db.clock)
    for day in (12, 19):
        await log_search_attempt(svc, OPERATOR, {
            "member_id": w.ids["王XX"], "on": date(2026, 11, day), "method": SearchMethod.PHONE, "contacted": "王XX本人",
            "narrative": f"11月{day}日再次拨打王XX手机，无人接听。", "result": SearchResult.NOT_REACHED,
            "signer_ids": [w.ids["李XX"], w.ids["陈XX"]]})
    _, path = await export(db, tmp_path, "search-record", w.branch, fmt="docx", member_ids=(w.ids["王XX"],))
    cells = cell_texts(docx.Document(path))
    assert "第五次联系查找情况" in cells
    fifth = cells[cells.index("第五次联系查找情况") + 1]
    assert fifth.startswith("2026年11月19日，11月19日再次拨打王XX手机，无人接听。")
    assert "第六次联系查找情况" not in cells


async def test_search_record_csv_has_one_row_per_attempt(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "search-record", w.committee, fmt="csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:4] == ["姓名", "所在党组织名称", "次数", "查找日期"]
    assert [(r[0], r[2]) for r in rows[1:]] == [("王XX", "第一次"), ("王XX", "第二次"), ("王XX", "第三次"),
                                                ("郑XX", "第一次")]


MEMBER_CARD_LABELS = ("姓名", "性别", "民族", "籍贯", "出生日期", "身份证号码", "手机号码", "其他联系方式", "户籍所在地",
                      "实际居住地址", "婚姻状况", "毕业院校", "学历", "学位", "参加工作时间", "工作单位及职务（职称）",
                      "入党日期", "入党时所在党组织", "转正日期", "现所在支部", "进入支部日期", "党内职务",
                      "每月党费交纳数额", "党员类型", "党员流动情况", "流入地（单位）", "在职党员情况", "报到社区", "特殊状态",
                      "党支部意见", "党总支审核意见", "基层党（工）委审核意见", "备注")


async def test_member_card_carries_the_seeds_labels_and_ticks_the_record(world, tmp_path):
    db, w = world
    ids = (w.ids["孙XX"], w.ids["周XX"])
    result, path = await export(db, tmp_path, "member-card", w.branch, fmt="docx", member_ids=ids)
    d = docx.Document(path)
    seed = squash(seed_text("000"))
    cells = [squash(c) for c in cell_texts(d)]
    for label in MEMBER_CARD_LABELS:
        assert label in seed, label              # the label is the seed's …
        assert label in cells, label             # … and the form prints it
    assert "☑正式党员□预备党员" in cells
    assert "☑“口袋”党员□参教信教党员□保留组织关系□停止党籍□死亡" in cells    # 孙XX
    assert "☑流动党员" in cells and "广东省深圳市" in cells                   # 周XX
    assert page_breaks(d) == 1 and result.rows == 2                       # two members, one break between


async def test_member_card_full_variant_has_the_flow_block_and_abroad_section(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "member-card", w.branch, fmt="docx", member_ids=(w.ids["周XX"],),
                           variant="full")
    d = docx.Document(path)
    cells = [squash(c) for c in cell_texts(d)]
    seed = squash(seed_text("002"))
    for label in ("党员流动信息", "流出日期", "外出流向", "外出类型", "外出原因", "活动证号码", "出国（境）情况", "出国日期",
                  "党籍处理方式", "家庭主要成员及重要社会关系情况", "党（工）委审核意见"):
        assert label in seed and label in cells, label
    assert "1992.02（34岁）" in cells                       # born 1992-02-02: 34 on 2026-12-01


CASE_RECORD_LABELS = ("组织关系所在党组织名称", "与党组织失去联系时间", "失联原因", "党组织查找情况记录", "查找过程",
                      "证明人签字", "失联党员表现调查核实情况", "支委会初步处置意见", "基层党委预审意见",
                      "上一级党委组织部门对拟劝退、除名处置的预审意见", "支部党员大会决议", "基层党委审核（审批）意见",
                      "上一级党委组织部门对劝退、除名处置的审批意见")


async def test_case_record_has_the_search_rows_and_the_chain_blank_until_decided(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "case-record", w.branch, fmt="docx", member_ids=(w.ids["王XX"],))
    d = docx.Document(path)
    cells = cell_texts(d)
    squashed = [squash(c) for c in cells]
    seed = squash(seed_text("004"))
    for label in CASE_RECORD_LABELS:
        assert label in seed and label in squashed, label
    assert "2026年9月15日" in cells and "李XX、陈XX" in cells
    proposal = cells[cells.index("支委会初步处置意见") + 1]
    assert proposal.startswith(PROPOSAL) and proposal.endswith("党支部（盖章）\n2026年11月25日")
    assert cells[cells.index("支部党员大会决议") + 1] == "\n党支部（盖章）\n年  月  日"    # not decided yet: blank
    assert "330106198005100112" in cells                  # the 纪实表 carries the ID number in full


async def test_per_member_forms_refuse_a_member_outside_the_scope(world, tmp_path):
    db, w = world
    with pytest.raises(PermissionDenied):
        await export(db, tmp_path, "search-record", w.branch, fmt="docx", member_ids=(w.ids["郑XX"],))


async def test_only_officers_of_the_node_or_above_may_export(world, tmp_path):
    from bot.domain.codes import Role

    db, w = world
    svc = Services(db, db.clock)
    req = FormRequest("roster", w.branch, AS_OF)
    member = Actor(label="tg:1", tg_id=1, member_id=w.ids["王XX"])
    other_secretary = Actor(label="tg:2", tg_id=2, roles=[(Role.SECRETARY, w.community)])
    committee = Actor(label="tg:3", tg_id=3, roles=[(Role.COMMITTEE, w.committee)])
    for actor in (member, other_secretary, Actor(label="tg:4", tg_id=4)):
        with pytest.raises(PermissionDenied):
            await export_form(svc, actor, req, tmp_path / "no.xlsx")
        assert not (tmp_path / "no.xlsx").exists()
    result = await export_form(svc, committee, req, tmp_path / "ok.xlsx")
    assert result.rows == 7
    row = await db.fetchone("SELECT actor, entity, entity_id, action, after FROM audit_log WHERE entity = 'export'"
                            " ORDER BY id DESC LIMIT 1")
    assert (row["actor"], row["entity_id"], row["action"]) == ("tg:3", "roster", "export")
    assert '"rows":7' in row["after"] and "王XX" not in row["after"] and "330106" not in row["after"]


async def test_export_scopes_follow_the_roles_down_the_tree(world):
    from bot.domain.codes import Role
    from bot.services.forms import export_scopes

    db, w = world
    svc = Services(db, db.clock)
    committee = Actor(label="tg:3", tg_id=3, roles=[(Role.COMMITTEE, w.committee)])
    scopes = await export_scopes(svc, committee)
    assert [(s.name, s.depth) for s in scopes] == [("XX街道党工委", 0), ("创意园党支部", 1), ("社区党支部", 1)]
    secretary = Actor(label="tg:2", tg_id=2, roles=[(Role.SECRETARY, w.community)])
    assert [s.name for s in await export_scopes(svc, secretary)] == ["社区党支部"]
    with pytest.raises(PermissionDenied):
        await export_scopes(svc, Actor(label="tg:1", tg_id=1, member_id=w.ids["王XX"]))


async def test_scope_members_search_by_name_within_the_scope_only(world):
    from bot.domain.codes import Role
    from bot.services.forms import scope_members

    db, w = world
    svc = Services(db, db.clock)
    committee = Actor(label="tg:3", tg_id=3, roles=[(Role.COMMITTEE, w.committee)])
    assert [(n, b) for _i, n, b in await scope_members(svc, committee, w.committee, "郑")] == [("郑XX", "社区党支部")]
    assert await scope_members(svc, committee, w.branch, "郑") == []
    assert len(await scope_members(svc, committee, w.branch)) == 7
    assert await scope_members(svc, committee, w.branch, "%") == []          # LIKE wildcards are literal
    secretary = Actor(label="tg:2", tg_id=2, roles=[(Role.SECRETARY, w.community)])
    with pytest.raises(PermissionDenied):
        await scope_members(svc, secretary, w.branch, "王")
