"""民族: the 56 names of GB/T 3304-1991 (中国各民族名称的罗马字母拼写法和代码) with their two-digit codes.

The 汇总表 (seed 002 附件6) counts 少数民族 as every member whose 民族 is not 汉族, so a roster's "汉" must be
stored as "汉族": an unnormalised short form would be counted as a minority. Rosters write the short forms
(汉, 回, 维吾尔, 蒙古 …) and a few former names (僮族 for 壮族 until 1965, 崩龙族 for 德昂族 until 1985,
毛难族 for 毛南族 until 1986); anything else is refused with the list.
"""

from __future__ import annotations

import unicodedata

from bot.domain.errors import DomainError
from bot.i18n import N_

# (code, official name) in the standard's order.
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("01", "汉族"), ("02", "蒙古族"), ("03", "回族"), ("04", "藏族"), ("05", "维吾尔族"), ("06", "苗族"),
    ("07", "彝族"), ("08", "壮族"), ("09", "布依族"), ("10", "朝鲜族"), ("11", "满族"), ("12", "侗族"),
    ("13", "瑶族"), ("14", "白族"), ("15", "土家族"), ("16", "哈尼族"), ("17", "哈萨克族"), ("18", "傣族"),
    ("19", "黎族"), ("20", "傈僳族"), ("21", "佤族"), ("22", "畲族"), ("23", "高山族"), ("24", "拉祜族"),
    ("25", "水族"), ("26", "东乡族"), ("27", "纳西族"), ("28", "景颇族"), ("29", "柯尔克孜族"), ("30", "土族"),
    ("31", "达斡尔族"), ("32", "仫佬族"), ("33", "羌族"), ("34", "布朗族"), ("35", "撒拉族"), ("36", "毛南族"),
    ("37", "仡佬族"), ("38", "锡伯族"), ("39", "阿昌族"), ("40", "普米族"), ("41", "塔吉克族"), ("42", "怒族"),
    ("43", "乌孜别克族"), ("44", "俄罗斯族"), ("45", "鄂温克族"), ("46", "德昂族"), ("47", "保安族"),
    ("48", "裕固族"), ("49", "京族"), ("50", "塔塔尔族"), ("51", "独龙族"), ("52", "鄂伦春族"), ("53", "赫哲族"),
    ("54", "门巴族"), ("55", "珞巴族"), ("56", "基诺族"),
)
NAMES: tuple[str, ...] = tuple(name for _, name in ETHNIC_GROUPS)
CODE_OF: dict[str, str] = {name: code for code, name in ETHNIC_GROUPS}
HAN = "汉族"

_FORMER = {"僮族": "壮族", "崩龙族": "德昂族", "毛难族": "毛南族", "蒙": "蒙古族", "维": "维吾尔族"}
_ACCEPTED: dict[str, str] = {}
for _code, _name in ETHNIC_GROUPS:
    _ACCEPTED[_name] = _name
    _ACCEPTED[_name[:-1]] = _name          # 汉 → 汉族, 维吾尔 → 维吾尔族
    _ACCEPTED[_code] = _name               # the code itself (01 …)
    _ACCEPTED[str(int(_code))] = _name     # 1 … 56, as a number cell loses the leading zero
for _old, _name in _FORMER.items():
    _ACCEPTED[_old] = _name
    _ACCEPTED[_old.removesuffix("族")] = _name


def parse_ethnicity(text: object) -> str:
    """The official name for a roster's 民族 cell (汉 → 汉族, 05 → 维吾尔族), or DomainError listing the 56."""
    s = "".join(unicodedata.normalize("NFKC", str(text)).split())
    found = _ACCEPTED.get(s)
    if found is None:
        raise DomainError(N_("民族 “{value}” is not one of the 56 official names (GB/T 3304): {names}"),
                          field="ethnicity", value=s[:20], names="、".join(NAMES))
    return found


def is_minority(name: str | None) -> bool | None:
    """少数民族 as the 汇总表 counts it: None when 民族 is not recorded."""
    if not name:
        return None
    return parse_ethnicity(name) != HAN
