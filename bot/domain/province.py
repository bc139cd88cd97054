"""China's provincial-level divisions, for 省内 / 省外 on the 回执 statistics table (seed 001 附件4).

People type "浙江", "浙江省", "广西壮族自治区" or "北京市": `canonical` maps each to one short name so two
organizations' provinces can be compared.
"""

from __future__ import annotations

import unicodedata

from bot.domain.errors import DomainError
from bot.i18n import N_

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
)
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def canonical(text: str) -> str:
    """The short name of a province as typed ("浙江省" → "浙江"); DomainError if it names none."""
    s = "".join(unicodedata.normalize("NFKC", str(text or "")).split())
    for suffix in _SUFFIXES:
        if s.endswith(suffix) and s[: -len(suffix)] in PROVINCES:
            s = s[: -len(suffix)]
            break
    if s not in PROVINCES:
        raise DomainError(N_("Not a province I know: {value} (try 浙江 or 浙江省)"), field="province", value=s[:20])
    return s


def province_in(text: str | None) -> str | None:
    """The province a free-text place names at its start ("浙江省杭州市…" → "浙江"), or None."""
    s = "".join(unicodedata.normalize("NFKC", str(text or "")).split())
    for name in sorted(PROVINCES, key=len, reverse=True):
        if s.startswith(name):
            return name
    return None
