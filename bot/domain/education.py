"""学历 as rosters write it, mapped to the 学历 code table (`bot.domain.codes.Education`).

The mapping, for the ways secretaries fill the column (say it in the 填表说明 and the refusal):
- 研究生 ← 硕士, 博士, 硕士研究生, 博士研究生, 在职研究生, 研究生毕业, MBA, EMBA, MPA, 工程硕士 and other
  professional master's degrees: the code table has one level above 大学本科.
- 大学本科 ← 本科, 大学, 大本, 学士: in 党员名册 "大学" alone is the 本科 level (专科 is written 大专 or 大学专科).
- 大学专科 ← 大专, 专科, 高职, 高专.
- 中专 ← 中技, 技校, 职高, 中师, 职业高中.
- 小学及以下 ← 小学, 文盲, 半文盲, 扫盲, 无.
Prefixes for the way it was studied (在职, 函授, 自考, 成人, 电大, 网络教育, 夜大, 全日制) and the words 毕业 / 学历
are dropped first: 函授大专 is 大学专科. "中学" (初中 or 高中?) is refused, like anything not listed.
"""

from __future__ import annotations

import unicodedata

from bot.domain.codes import Education
from bot.domain.errors import DomainError
from bot.i18n import N_

ALIASES: dict[str, Education] = {
    **{k: Education.POSTGRADUATE for k in (
        "研究生", "硕士", "博士", "硕士研究生", "博士研究生", "研究生毕业", "硕士生", "博士生", "MBA", "EMBA", "MPA",
        "MPACC", "MBA硕士", "工程硕士", "专业硕士", "博士后")},
    **{k: Education.BACHELOR for k in ("大学本科", "本科", "大学", "大本", "学士", "本科生")},
    **{k: Education.COLLEGE for k in ("大学专科", "大专", "专科", "高职", "高专", "大专生")},
    **{k: Education.VOCATIONAL for k in ("中专", "中技", "技校", "职高", "中师", "职业高中", "中等专科")},
    **{k: Education.SENIOR for k in ("高中",)},
    **{k: Education.JUNIOR for k in ("初中", "初中及以下")},
    **{k: Education.PRIMARY for k in ("小学及以下", "小学", "文盲", "半文盲", "扫盲", "无", "小学以下")},
}
_PREFIXES = ("在职", "函授", "自考", "成人", "电大", "网络教育", "夜大", "全日制", "非全日制", "业余")
_SUFFIXES = ("毕业", "学历", "肄业", "在读")


def parse_education(text: object) -> Education:
    """The 学历 code for a roster cell (code, official label or a usual form), or DomainError with the list."""
    s = "".join(unicodedata.normalize("NFKC", str(text)).split()).strip("()（）")
    raw = s
    if s in ALIASES:
        return ALIASES[s]
    for prefix in _PREFIXES:
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[:-len(suffix)]
    s = s.strip("()（）")
    key = s.upper() if s.isascii() else s
    if key in ALIASES:
        return ALIASES[key]
    try:
        return Education.parse(s)   # the code (1–7), the key or the official label
    except DomainError:
        raise DomainError(N_("学历 “{value}” is not in the 学历 table: use {levels} (本科, 大专, 硕士, 博士, 在职研究生"
                             " are also read)"), field="education", value=raw[:20],
                          levels="、".join(m.zh for m in reversed(Education))) from None
