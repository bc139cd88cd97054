"""Whether a roster's 姓名 cell can be a person's name, and whether a row is a total (合计) row."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.errors import DomainError
from bot.i18n import N_

# 合计 / 小计 / 总计 / 共计 / 累计 / 总数 / 总人数, with the form's spacing ("合 计") and a tail ("合计：12人").
_TOTAL = re.compile(r"^(合计|小计|总计|共计|累计|总数|总人数|汇总)($|[:：\d(（]|共|人)|^共\d+人$")
# Letters of any script, the middle dot of transliterated names (买买提·艾力), spaces and hyphens.
_NAME_CHARS = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ ·•．.\-'])*$")


def is_total_label(value: object) -> bool:
    """True for a 合计 / 小计 / 总计 … cell: the row sums the roster up and is no member."""
    if value is None:
        return False
    s = "".join(unicodedata.normalize("NFKC", str(value)).split())
    return bool(_TOTAL.match(s))


def check_person_name(value: str) -> str:
    """The name as given, or DomainError when it cannot be a person's name ("2人", "3.5", "—")."""
    s = " ".join(unicodedata.normalize("NFKC", value).split())
    if not _NAME_CHARS.match(s) or len(s) > 40:
        raise DomainError(N_("“{value}” cannot be a person's name: 姓名 holds letters only, no digits or marks"),
                          field="name", value=value[:20])
    return value
