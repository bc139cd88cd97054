"""The columns of the 支部党员名册 (seed 000): the official headers, their aliases and notes.

The first thirteen columns are the seed's roster exactly; the further columns carry what the
campaign needs to know besides (last 组织生活 and 党费, 党内职务, 职业, 失去联系情形 …). The headers and the
填表说明 are the official form's wording, so they are written in Chinese here, like the `.zh`
labels of the code tables (they are form text, not interface messages).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.domain.codes import CodedEnum, Education, Gender, LostContactReason, MemberType, Occupation, PartyPost
from bot.i18n import N_

SHEET_ROSTER = "支部党员名册"
SHEET_NOTES = "填表说明"
HEADER_SEARCH_ROWS = 20
NO_HEADER = N_("No header row found: the first rows must name the columns, such as 姓名 and 身份证号码")


@dataclass(frozen=True)
class RosterColumn:
    key: str
    header: str                          # the official header, as the template writes it
    note: str                            # what the 填表说明 sheet says about the column
    example: str = ""
    aliases: tuple[str, ...] = ()        # other headers seen on rosters in the wild
    codes: type[CodedEnum] | None = None  # the code table the column takes
    text: bool = False                   # formatted as text, so Excel keeps every digit
    width: int = 12


COLUMNS: tuple[RosterColumn, ...] = (
    # The seed's 支部党员名册, in its order.
    RosterColumn("seq", "序号", "行号，可不填；导入时忽略。", "1", width=6),
    RosterColumn("name", "姓名", "必填。与本人身份证上的姓名一致。", "王XX", ("姓名（必填）",), width=10),
    RosterColumn("gender", "性别", "男 或 女；不填时按身份证号码第17位确定，填写时须与身份证号码一致。", "男",
                 codes=Gender, width=6),
    RosterColumn("ethnicity", "民族", "填写56个民族的规范名称（GB/T 3304），如：汉族、回族；写“汉”“回”亦可，导入时补全。",
                 "汉族", width=8),
    RosterColumn("native_place", "籍贯", "本人祖居所在地，填到区县一级。", "浙江省XX县"),
    RosterColumn("birth", "出生年月", "可只填年月；须与身份证号码中的出生年月一致。不填时取身份证号码中的出生日期。",
                 "1985.03", ("出生日期",), text=True, width=10),
    RosterColumn("education", "学历", "国家认可的最高学历，见学历代码表；也可填写大专、本科、大学（按大学本科）、硕士、博士、在职研究生（按研究生）等常见写法。",
                 "大学本科", codes=Education, width=10),
    RosterColumn("id_number", "身份证号码", "18位公民身份号码（旧15位号码自动升位），末位校验码须正确；同一号码不得重复。"
                 "请以文本格式填写，以免Excel丢失位数。", "33010619850312001X", ("身份证号", "公民身份号码"),
                 text=True, width=21),
    RosterColumn("joined", "入党时间", "成为预备党员的时间，须在年满18周岁之后。", "2008.07", ("入党日期",),
                 text=True, width=10),
    RosterColumn("confirmed", "转正时间", "须晚于入党时间。不填且“党员类型”未填“正式”的，按预备党员登记。", "2009.07",
                 ("转正日期",), text=True, width=10),
    RosterColumn("work_unit", "工作单位", "当前工作或学习单位全称（可含职务）；离退休或无职业的可填原工作单位。",
                 "XX创意园", ("工作单位及职务", "工作单位及职务（职称）", "现工作（学习）单位", "现工作单位"), width=20),
    RosterColumn("mobile", "联系电话", "本人手机号码，11位，以13–19开头；可带 +86。填写固定电话的，导入时记入“其他联系方式”。", "13800000000",
                 ("手机号码", "手机", "联系方式"), text=True, width=14),
    RosterColumn("remarks", "备注", "“口袋党员”、外出流动、出国（境）等特殊情况在此注明。", "", width=20),
    # Further columns the campaign needs (登记表 and the lost-contact registers).
    RosterColumn("last_meeting", "最近参加组织生活日期", "最近一次参加党组织生活的日期，不得晚于今天；失联时间由此起算。",
                 "2026-10-15", ("最近参加组织生活时间",), text=True, width=14),
    RosterColumn("last_dues", "最近交纳党费日期", "最近一次交纳党费的日期，不得晚于今天。", "2026-10-15",
                 ("最近交纳党费时间",), text=True, width=14),
    RosterColumn("party_post", "党内职务", "书记、副书记、常委、委员、候补委员；无则不填。", "", codes=PartyPost),
    RosterColumn("occupation", "职业", "按职业代码表填写代码（①–⑧或1–8）或名称。", "", codes=Occupation, width=14),
    RosterColumn("member_type", "党员类型", "正式 或 预备（也可填“正式党员”“预备党员”）；不填时按是否有转正时间确定。",
                 "正式", codes=MemberType, width=10),
    RosterColumn("household_register", "户籍所在地", "户籍所在的具体地址，一般不多于32个汉字。", "浙江省XX县XX镇XX村",
                 width=24),
    RosterColumn("residence", "实际居住地址", "目前长期居住的地址。", "杭州市XX区XX路XX号", ("现居住地", "现居住地址"),
                 width=24),
    RosterColumn("other_contacts", "其他联系方式", "工作单位电话、家庭电话、微信号、QQ号、电子信箱等。", "微信 wangxx",
                 width=18),
    # For members already lost (the 失联 register): the case opened on import keeps the reason.
    RosterColumn("lost_reason", "失去联系情形", "已失去联系的党员填写：代码①–⑦（或1–7）或名称，见失去联系情形代码表；"
                 "填写后导入时即为其建立失联查找记录。", "", ("失联原因", "失联情形", "失去联系原因"),
                 codes=LostContactReason, width=14),
)

SEED_HEADERS = tuple(c.header for c in COLUMNS[:13])
BY_KEY = {c.key: c for c in COLUMNS}

DATE_FORMS = (
    "年月：1985.03、1985-03、1985/3、1985年3月、198503",
    "完整日期：1985-03-12、1985/3/12、1985.03.12、1985年3月12日、19850312",
    "Excel日期单元格亦可。年月写成数字时（如 1985.3、1985.12）按“年.月”读取；1985.1 无法分辨1月还是10月，"
    "请将该列设为文本后写成 1985.01 或 1985.10。",
    "只填年月的，日期按当月1日记；出生年月只比对年和月。",
)


def normalize_header(text: Any) -> str:
    """A header without spacing, line breaks or width differences: "姓 名" and "出生\\n年月" match."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = "".join(s.split())
    return s.strip("*:：")


_LOOKUP: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.header, *_col.aliases):
        _LOOKUP.setdefault(normalize_header(_name), _col.key)


def column_for(header: Any) -> str | None:
    """The column key a header names, or None."""
    return _LOOKUP.get(normalize_header(header))
