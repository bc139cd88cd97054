"""Golden tests: the registers of a fictional committee (tests/forms_world.py), every value worked out by
hand from the seeds' definitions, read back from the real xlsx / csv with openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from bot.clock import FrozenClock
from bot.forms.registry import FormRequest
from bot.services.context import OPERATOR, Services
from bot.services.forms import export_form
from bot.storage import Database
from tests.conftest import AUDIT_KEY
from tests.forms_seed import block, seed_text, squash, tab_cells
from tests.forms_world import AS_OF, NOW, build_world


@pytest.fixture
async def world(tmp_path):
    db = Database(tmp_path / "forms.db", AUDIT_KEY, FrozenClock(NOW))
    await db.open()
    try:
        yield db, await build_world(db)
    finally:
        await db.close()


async def export(db, tmp_path, form, org, as_of=AS_OF, **kw):
    fmt = kw.pop("fmt", "xlsx")
    path = tmp_path / f"{form}-{org}-{as_of}.{fmt}"
    result = await export_form(Services(db, db.clock), OPERATOR, FormRequest(form, org, as_of, fmt=fmt, **kw), path)
    return result, path


def sheet(path):
    return openpyxl.load_workbook(path).worksheets[0]


def data_rows(ws, header_rows=1):
    """The rows between the header (which starts on row 3) and the 填表人 footer."""
    rows = [list(r) for r in ws.iter_rows(min_row=3 + header_rows, values_only=True)]
    return [["" if v is None else v for v in r] for r in rows if not str(r[0] or "").startswith("填表人")]


def headers(ws):
    return [squash(c.value) for c in ws[3]]


# --- 支部党员名册 -------------------------------------------------------------------------------------------

async def test_roster_lists_the_register_with_the_seeds_remarks(world, tmp_path):
    db, w = world
    result, path = await export(db, tmp_path, "roster", w.branch)
    ws = sheet(path)
    assert ws["A1"].value == "支部党员名册"
    assert ws["A2"].value == "XX街道党工委    创意园党支部"            # the seed's "党（工）委 … 党支部" line
    assert ws["G2"].value == "填表日期：2026年12月1日"
    rows = data_rows(ws)
    # Seven members of 创意园 (郑XX is in 社区党支部), ordered by name as SQLite orders text.
    assert [r[1] for r in rows] == ["吴XX", "周XX", "孙XX", "李XX", "王XX", "赵XX", "陈XX"]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    wu = rows[0]
    # 吴XX: born 2000-02-29 → 出生年月 2000.02; 预备党员 joined 2026-03-01, no 转正; ID in full on the 名册.
    assert wu[2:10] == ["女", "回族", "浙江省XX县", "2000.02", "高中", "330106200002290221", "2026.03", ""]
    assert rows[1][12] == "外出流动（广东省深圳市）"                  # 填表说明 3: 外出流动 in 备注
    assert rows[2][12] == "“口袋”党员"                              # 填表说明 2: the 口袋党员 stays and is marked
    assert rows[3][12] == ""
    assert result.rows == 7 and result.filename == "支部党员名册-创意园党支部-2026-12-01.xlsx"


async def test_roster_header_is_the_seeds_thirteen_columns(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "roster", w.branch)
    expected = tab_cells(seed_text("000"), "支 部 党 员 名 册", "序号", 13)
    assert expected[:3] == ["序号", "姓名", "性别"] and expected[-1] == "备注"
    assert headers(sheet(path)) == expected


async def test_roster_csv_twin_has_one_header_row_and_a_bom(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "roster", w.branch, fmt="csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == tab_cells(seed_text("000"), "支 部 党 员 名 册", "序号", 13)
    assert len(rows) == 8 and rows[3][1] == "孙XX" and rows[3][12] == "“口袋”党员"


# --- the lost-contact registers -----------------------------------------------------------------------

async def test_unreachable_golden_with_the_six_month_edge(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "unreachable", w.branch)
    rows = data_rows(sheet(path))
    # 2026-12-01: 吴XX (last 组织生活 2026-02-01 → 2026-08-01 passed) and 王XX (2026-03-01 → 2026-09-01 passed).
    # 李XX's last 组织生活 2026-06-01 is exactly six months before: not yet "6个月以上" by the scan's rule.
    assert [r[0] for r in rows] == ["吴XX", "王XX"]
    assert rows[0] == ["吴XX", "女", "回族",
                       26,            # born 2000-02-29: 26 full years on 2026-12-01
                       0,             # 预备党员: 党龄 0
                       "高中", "", "",
                       "10个月",       # 2026-02-01 → 2026-12-01
                       "",            # no case: no 失去联系情形 recorded
                       "②",           # 创意园 is a 非公有制企业 branch
                       "尚未开展联系查找"]   # listed although no search was logged, 备注 saying so
    assert rows[1] == ["王XX", "男", "汉族",
                       46,            # born 1980-05-10
                       21,            # 转正 2005-07-01: 21 full years on 2026-12-01
                       "大学本科", "②", "", "9个月",   # 2026-03-01 → 2026-12-01
                       "①", "②", "已联系查找3次；支委会已提出初步处置意见：自行脱党除名"]
    # One day later 李XX is over six months and joins the register.
    _, later = await export(db, tmp_path, "unreachable", w.branch, as_of=date(2026, 12, 2))
    rows = data_rows(sheet(later))
    assert [r[0] for r in rows] == ["吴XX", "李XX", "王XX"]
    assert rows[1][8] == "6个月" and rows[1][11] == "尚未开展联系查找"


async def test_found_golden_and_the_five_month_member_is_not_found(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "found", w.branch)
    rows = data_rows(sheet(path))
    # 赵XX: last 组织生活 2026-01-10, 失联 from 2026-07-11, reached 2026-11-20 → found.
    # 陈XX: 2026-04-01 then 2026-09-01 — five months, never 失联 → not found.
    assert rows == [["赵XX", "男", "汉族",
                     36,              # born 1990-12-01: the 36th birthday is the 填表日期 itself
                     9,               # 转正 2016-12-02: the 10th year completes on 2026-12-02, the day after
                     "大学本科", "⑤", "",
                     "10个月",         # 2026-01-10 → 2026-11-20 (the end of the search): 10 full months
                     "⑥", "②", "13800000015", "2026年11月20日取得联系"]]


async def test_found_detailed_variant_adds_work_unit_and_residence(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "found", w.branch, variant="detailed")
    ws = sheet(path)
    expected = tab_cells(seed_text("001"), "填报单位（盖章）：                                                      "
                                           "                                  填表日期：", "姓  名", 15)
    assert headers(ws) == expected and "现工作（学习）单位" in expected
    assert data_rows(ws)[0][7] == "XX创意园"


async def test_lost_register_is_found_and_unreachable_together(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "lost", w.branch)
    rows = data_rows(sheet(path))
    assert [(r[0], r[12]) for r in rows] == [("吴XX", "尚未开展联系查找"),
                                             ("王XX", "已联系查找3次；支委会已提出初步处置意见：自行脱党除名"),
                                             ("赵XX", "2026年11月20日取得联系")]
    assert rows[1][11] == "13800000011"          # 附件3 carries 联系电话


async def test_committee_export_over_two_branches_names_each_members_branch(world, tmp_path):
    db, w = world
    result, path = await export(db, tmp_path, "unreachable", w.committee)
    ws = sheet(path)
    assert ws["A2"].value == "填报单位（盖章）：XX街道党工委"
    assert headers(ws)[-2:] == ["所在党支部", "备注"]
    rows = data_rows(ws)
    assert [(r[0], r[11]) for r in rows] == [("吴XX", "创意园党支部"), ("王XX", "创意园党支部"), ("郑XX", "社区党支部")]
    zheng = rows[2]
    # 郑XX: born 1970-12-02 → 55 on 2026-12-01; 转正 1991-07-01 → 35; 2025-10-01 → 2026-12-01 = 1年2个月;
    # ⑦其他 with its reason in 备注 (note 5); 社区党支部 is a 街道社区 branch ⑦.
    assert zheng[3:6] == [55, 35, "大学本科"] and zheng[8:11] == ["1年2个月", "⑦", "⑦"]
    assert zheng[12] == "已联系查找1次；失联原因：长期在外，下落不明"
    assert result.rows == 3 and result.filename == "经查找仍然无法取得联系党员登记表-XX街道党工委-2026-12-01.xlsx"
    roster = data_rows(sheet((await export(db, tmp_path, "roster", w.committee))[1]))
    assert len(roster) == 8 and roster[-1][1] == "郑XX" and roster[-1][12] == "社区党支部"


@pytest.mark.parametrize("form, seed, start, end", [
    ("found", "000", "姓  名", "备  注"),
    ("unreachable", "000", "姓  名", "备  注"),
    ("lost", "002", "姓 名 性别 民族 年龄 党龄 学历 职业 曾任党内职务", "联系电话 备 注"),
    ("flow", "002", "流动党员基本信息登记表\n\n姓 名", "流动证号 联系方式"),
])
async def test_register_headers_equal_the_seed_labels(world, tmp_path, form, seed, start, end):
    db, w = world
    _, path = await export(db, tmp_path, form, w.branch)
    text = seed_text(seed)
    if seed == "000":
        title = {"found": "\t经查找取得联系党员登记表", "unreachable": "\t经查找仍然无法取得联系党员登记表"}[form]
        expected = "".join(tab_cells(text, title, "姓  名", 13 if form == "found" else 12))
    else:
        expected = block(text, start, end).removeprefix("流动党员基本信息登记表")
    assert "".join(headers(sheet(path))) == expected


async def test_notes_sheet_holds_the_code_tables(world, tmp_path):
    db, w = world
    _, path = await export(db, tmp_path, "unreachable", w.branch)
    notes = [c.value for c in openpyxl.load_workbook(path)["填表说明"]["A"] if c.value]
    assert "①国有企业解除劳动关系人员" in notes and "⑦其他" in notes and "⑨其他" in notes
    assert any("经查找仍然无法取得联系党员是指党员组织关系排查工作结束时" in n for n in notes)


# --- receipts (seed 001 附件4) ------------------------------------------------------------------------------

async def test_receipts_count_transfers_in_and_out_by_level_and_province(world, tmp_path):
    from bot.domain.codes import TransferKind
    from bot.services import records, transfers_in

    db, w = world
    svc = Services(db, db.clock)
    await transfers_in.set_province(svc, OPERATOR, w.committee, "浙江省")
    # In: 周XX (研究生) from 江苏, 回执 sent; 李XX (大学本科) from 浙江, 回执 not yet sent.
    await transfers_in.record_transfer_in(svc, OPERATOR, w.ids["周XX"], date(2026, 3, 1), "南京XX党支部", "江苏省",
                                          date(2026, 3, 5))
    await transfers_in.record_transfer_in(svc, OPERATOR, w.ids["李XX"], date(2026, 4, 1), "宁波XX党支部", "浙江")
    # Out: 孙XX (大学本科) to an address naming 浙江 (no province recorded), 回执 back; 陈XX (大学专科) to 上海.
    base = {"kind": TransferKind.PERMANENT, "phone": "13800000099", "backup_name": "钱XX", "backup_phone": "13800000098"}
    t1 = await records.record_transfer(svc, OPERATOR, {**base, "member_id": w.ids["孙XX"], "to_org": "浙江省杭州市XX党支部",
                                                       "destination": "杭州", "sent_on": date(2026, 5, 1)})
    await records.record_receipt(svc, OPERATOR, t1, date(2026, 6, 1))
    t2 = await records.record_transfer(svc, OPERATOR, {**base, "member_id": w.ids["陈XX"], "to_org": "XX党支部",
                                                       "destination": "上海", "sent_on": date(2026, 7, 1)})
    await transfers_in.set_transfer_out_province(svc, OPERATOR, t2, "上海市")
    _, path = await export(db, tmp_path, "receipts", w.branch)
    ws = sheet(path)
    assert ws["A1"].value == "2026年度党员组织关系回执情况统计表"
    assert ws["A2"].value == "填报单位：创意园党支部" and ws["E2"].value == "填报时间：2026年12月"
    assert headers(ws) == tab_cells(seed_text("001"), "          填报单位：                              填报时间：    年"
                                                      "     月   ", "项 目", 8)
    #                  总数 研究生 本科生 专科生 省内 省外 回执
    assert data_rows(ws) == [["转入组织关系数", 2, 1, 1, 0, 1, 1, 1],
                             ["转出组织关系数", 2, 0, 1, 1, 1, 1, 1]]


async def test_receipts_need_the_province(world, tmp_path):
    from bot.domain.errors import DomainError

    db, w = world
    with pytest.raises(DomainError) as err:
        await export(db, tmp_path, "receipts", w.branch)
    assert err.value.field == "province"
