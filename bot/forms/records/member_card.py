"""中国共产党党员基本情况登记表 (seed 000), one per member; variant `full`: seed 002 附件1 党员基本情况登记表
with the flow block (党员流动信息) and 出国（境）情况.

The member fills and signs it (note 1), the branch, the 党总支 and the 基层党（工）委 sign and stamp: those
blocks are left blank for ink. Check boxes print □ / ☑ from the record. Who is listed without a member
picked: every member on the register of the scope.
"""

from __future__ import annotations

from typing import Any

from bot.domain.codes import MaritalStatus, MemberType, OutflowType, SpecialStatus, UnitCategory
from bot.domain.rules import age
from bot.forms import docx_kit, queries
from bot.forms.cells import check_boxes, year_month, zh_date
from bot.forms.docx_kit import Cell, label, value
from bot.forms.model import FormDocument, Meta, RecordSet, Row, SheetData, Table, col
from bot.forms.records.facts import MemberRecord, load_records
from bot.forms.registers.common import meta_for
from bot.forms.registry import PER_MEMBER, FormRequest, FormSpec, Scope, register

TITLE = "中国共产党党员基本情况登记表"
TITLE_FULL = "党员基本情况登记表"
W4 = (3.4, 5.1, 3.4, 5.5)
W6 = (2.4, 3.0, 2.4, 3.0, 2.4, 4.2)
SPECIAL = (SpecialStatus.POCKET, SpecialStatus.RELIGIOUS, SpecialStatus.RELATIONSHIP_RETAINED,
           SpecialStatus.MEMBERSHIP_SUSPENDED, SpecialStatus.DECEASED)


def _d(d: Any) -> str:
    return zh_date(d) if d else ""


def card_rows(rec: MemberRecord) -> list[list[Cell]]:
    """The seed 000 form, row by row, on a four-column grid (label, value, label, value)."""
    m = rec.member
    flow_box = check_boxes(["流动党员"], ["流动党员"] if m.flow else [])
    in_service = check_boxes(["在职党员"], ["在职党员"] if m.reported_community else [])
    hardship = check_boxes(["生活困难党员", "离退休党员"],
                           [x for x, on in (("生活困难党员", m.hardship), ("离退休党员", m.retired)) if on])
    return [
        [label("姓    名"), value(m.name), label("性    别"), value(m.gender.zh if m.gender else "")],
        [label("民    族"), value(m.ethnicity), label("籍    贯"), value(m.native_place)],
        [label("出生日期"), value(_d(m.birth_date)), label("身份证号码"), value(m.id_number)],
        [label("手机号码"), value(m.mobile), label("其他联系方式"), value(m.other_contacts)],
        [label("户籍所在地"), value(m.household_register, span=3)],
        [label("实际居住地址"), value(m.residence, span=3)],
        [label("婚姻状况"), value(check_boxes(MaritalStatus, m.marital_status), span=3)],
        [label("毕业院校"), value(m.graduated_from, span=3)],
        [label("学    历"), value(m.education.zh if m.education else ""), label("学    位"), value(m.degree)],
        [label("参加工作时间"), value(_d(m.work_started_on), span=3)],
        [label("工作单位及职务（职称）"), value(m.work_unit, span=3)],
        [label("入党日期"), value(_d(m.joined_on)), label("入党时所在党组织"), value(m.joined_at_org)],
        [label("转正日期"), value(_d(m.confirmed_on), span=3)],
        [label("现所在支部"), value(rec.branch_name), label("进入支部日期"), value(_d(m.entered_branch_on))],
        [label("党内职务"), value(m.party_post.zh if m.party_post else ""), label("每月党费交纳数额"),
         value(f"{m.monthly_dues}元" if m.monthly_dues is not None else "")],
        [label("党员类型"), value(check_boxes(MemberType, m.member_type), span=3)],
        [label(""), value(check_boxes(UnitCategory, m.unit_category), span=3)],
        [label(""), value(hardship, span=3)],
        [label("党员流动情况"), value(flow_box), label("流入地（单位）"),
         value((m.flow.inflow_place or m.flow.destination) if m.flow else "")],
        [label("在职党员情况"), value(in_service), label("报到社区"), value(m.reported_community)],
        [label("特殊状态"), value(check_boxes(SPECIAL, m.special_statuses), span=3)],
        [value("本人签名（盖印）：", span=4, align="right", height=1.2)],
        [label("党 支 部\n意　　见"), value(docx_kit.signature("党支部书记签字：", "党支部（盖章）"), span=3, align="right",
                                          height=2.4)],
        [label("党总支\n审核意见"), value(docx_kit.signature("党总支书记签字：", "党总支部（盖章）"), span=3, align="right",
                                         height=2.4)],
        [label("基层党（工）委\n审核意见"), value(docx_kit.signature("基层党（工）委（盖章）"), span=3, align="right",
                                            height=2.2)],
        [label("备注"), value(m.remarks, span=3, height=1.5)],
    ]


def render(doc: Any, rec: MemberRecord, meta: Meta) -> None:
    docx_kit.title(doc, TITLE)
    docx_kit.form_table(doc, W4, card_rows(rec))
    docx_kit.line(doc, "注：本表正反面打印，一式两份，一份由党支部留存，一份存入个人党员档案。", size=9)


def full_rows(rec: MemberRecord, on: Any) -> list[list[Cell]]:
    """Seed 002 附件1 on a six-column grid; what the register does not record is left blank to fill by hand."""
    m = rec.member
    f = m.flow
    born = f"{year_month(m.birth_date)}\n（{age(m.birth_date, on)}岁）" if m.birth_date else ""
    abroad = f is not None and f.outflow_type is OutflowType.ABROAD
    return [
        [label("姓 名"), value(m.name), label("性 别"), value(m.gender.zh if m.gender else ""), label("出生年月\n（ 岁）"),
         value(born)],
        [label("民 族"), value(m.ethnicity), label("籍 贯"), value(m.native_place), label("婚姻状况"),
         value(m.marital_status.zh if m.marital_status else "")],
        [label("入党日期"), value(_d(m.joined_on)), label("转正日期"), value(_d(m.confirmed_on)), label("参加工作\n时间"),
         value(_d(m.work_started_on))],
        [label("入党时\n所在支部"), value(m.joined_at_org, span=2), label("转正时\n所在支部"), value("", span=2)],
        [label("学 历"), value(m.education.zh if m.education else ""), label("全日制教\n育"), value("", span=1),
         label("毕业院校\n系及专业"), value(m.graduated_from)],
        [label("学 位"), value(m.degree), label("在职教育"), value(""), label("毕业院校\n系及专业"), value("")],
        [label("工作单位\n及职务"), value(m.work_unit, span=5)],
        [label("组织关系\n所在单位"), value(rec.branch_name, span=5)],
        [label("户籍所在地"), value(m.household_register, span=5)],
        [label("现居住地"), value(m.residence, span=5)],
        [label("所在党支部"), value(rec.branch_name, span=2), label("进入党\n支部日期"), value(_d(m.entered_branch_on), span=2)],
        [label("现任党内职务"), value(m.party_post.zh if m.party_post else "", span=2), label("入 党\n介绍人"),
         value("", span=2)],
        [label("月应交纳党费"), value(f"{m.monthly_dues}元" if m.monthly_dues is not None else "", span=2),
         label("手机号码"), value(m.mobile, span=2)],
        [label("身份证号码"), value(m.id_number, span=2), label("QQ号码\n或微信号"), value(m.other_contacts, span=2)],
        [label("党员\n流动\n信息", down=5), label("流出日期"), value(_d(f.left_on) if f else ""), label("外出流向"),
         value(f.destination if f else "", span=2)],
        [label("外出类型"), value(f.outflow_type.zh if f and f.outflow_type else ""), label("外出原因"),
         value(f.outflow_reason.zh if f and f.outflow_reason else "", span=2)],
        [label("活动证号码"), value(f.certificate_no if f else ""), label("与党组织\n联系情况"), value("", span=2)],
        [label("流出党支部联系\n人及联系方式"), value(""), label("流入党支部联系人\n及联系方式"),
         value(f.inflow_contact if f else "", span=2)],
        [label("流入地（单位）"), value(f.inflow_place if f else ""), label("失去联系时间"), value("", span=2)],
        [label("奖惩情况"), value("", span=5, height=1.2)],
        [label("民主\n评议\n情况", down=2), label("评议时间"), value("", span=4)],
        [label("评议结果"), value("", span=4)],
        [label("出国（境）\n情况", down=3), label("出国日期"), value(_d(f.left_on) if abroad and f else ""),
         label("出国原因"), value("", span=2)],
        [label("出国后与\n组织联系\n情况"), value(""), label("党籍\n处理方式"),
         value(check_boxes((SpecialStatus.RELATIONSHIP_RETAINED, SpecialStatus.MEMBERSHIP_SUSPENDED),
                           m.special_statuses) if abroad else "", span=2)],
        [label("回国日期"), value(""), label("恢复组织\n生活情况"), value("", span=2)],
        [label("家庭主要成\n员及重要社\n会\n关系情况", down=4), label("称谓"), label("姓名"), label("年龄"), label("政治面貌"),
         label("工作单位及职务")],
        [value(""), value(""), value(""), value(""), value("")],
        [value(""), value(""), value(""), value(""), value("")],
        [value(""), value(""), value(""), value(""), value("")],
        [label("党 支 部\n意 见"), value(docx_kit.signature("支部书记签字：", "党支部（盖章）"), span=5, align="right",
                                       height=2.2)],
        [label("党（工）委\n审核意见"), value(docx_kit.signature("党（工）委（盖章）"), span=5, align="right", height=2.0)],
    ]


def render_full(doc: Any, rec: MemberRecord, meta: Meta) -> None:
    docx_kit.title(doc, TITLE_FULL)
    docx_kit.form_table(doc, W6, full_rows(rec, meta.filled_on))
    docx_kit.line(doc, "填表人签名：", align="right")


CSV_COLUMNS = (col("姓名"), col("性别"), col("民族"), col("籍贯"), col("出生日期"), col("身份证号码"), col("手机号码"),
               col("学历"), col("工作单位及职务（职称）"), col("入党日期"), col("转正日期"), col("现所在支部"),
               col("党内职务"), col("党员类型"), col("流入地（单位）"), col("特殊状态"), col("备注"))


def _csv_row(rec: MemberRecord) -> Row:
    m = rec.member
    return Row([m.name, m.gender.zh if m.gender else "", m.ethnicity, m.native_place, _d(m.birth_date), m.id_number,
                m.mobile, m.education.zh if m.education else "", m.work_unit, _d(m.joined_on), _d(m.confirmed_on),
                rec.branch_name, m.party_post.zh if m.party_post else "", m.member_type.zh,
                (m.flow.inflow_place or m.flow.destination) if m.flow else "",
                "、".join(s.zh for s in m.special_statuses), m.remarks])


def build(db: queries.Reader, req: FormRequest, scope: Scope) -> FormDocument:
    ids = list(req.member_ids) or [r["id"] for r in queries.members(db, scope.org_id)]
    records = load_records(db, ids, scope.names, req.as_of)
    full = req.variant == "full"
    title = TITLE_FULL if full else TITLE
    table = Table(title, CSV_COLUMNS)
    return FormDocument("member-card", title, meta_for(req, scope), [SheetData(table, [_csv_row(r) for r in records])],
                        records=RecordSet(title, records, render_full if full else render), row_count=len(records),
                        scope_name=scope.name)


SPEC = register(FormSpec(6, "member-card", TITLE, "000, 002", PER_MEMBER, ("docx", "csv"), build,
                         variants=("full",), needs_member=True))
