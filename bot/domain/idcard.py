"""Resident identity card numbers (GB 11643-1999): normalisation, check digit, birth date."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from datetime import date

from bot.domain.errors import DomainError
from bot.i18n import N_

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# 81/82/83: residence permits for Hong Kong, Macao and Taiwan residents (GB 11643 applies).
PERMIT_PREFIXES = ("81", "82", "83")
# ASCII only: str.isdigit() and a bare \d also accept other scripts' digits (Arabic-Indic ١٢٣…), which
# NFKC leaves alone; int() would read them and the stored number would not be the one on the card.
_DIGITS_15 = re.compile(r"[0-9]{15}")
_SHAPE_18 = re.compile(r"[0-9]{17}[0-9X]")
VALID_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", *PERMIT_PREFIXES,
}


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _normalise(raw: str) -> str:
    # NFKC folds full-width digits and Ｘ; separators people type are dropped.
    s = unicodedata.normalize("NFKC", str(raw))
    s = "".join(ch for ch in s if not ch.isspace() and ch not in "-‐")
    return s.upper()


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date

    @property
    def masked(self) -> str:
        """1101**********123X: enough to recognise, not enough to misuse."""
        return self.value[:4] + "*" * 10 + self.value[-4:]

    @property
    def gender_code(self) -> int:
        """Odd 17th digit: male (1); even: female (2)."""
        return 1 if int(self.value[16]) % 2 else 2


def _birth(digits: str) -> date:
    try:
        return date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise DomainError(N_("The ID number holds no real birth date ({digits})"), field="id_number",
                          digits=digits) from None


def upgrade_15(old: str) -> str:
    """Convert a first-generation 15-digit number (19yy birth) to 18 digits."""
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_digit(first17)


def parse_id_number(raw: str, today: date | None = None) -> IdNumber:
    """Validate and normalise an ID number; raises DomainError with a clear reason."""
    return _parse(str(raw), today)


# Every read of a member record validates its ID number twice (field and model validators): /me on each
# tap. The result depends on the text alone, and errors are not cached (lru_cache keeps returns only).
@lru_cache(maxsize=1024)
def _parse(raw: str, today: date | None) -> IdNumber:
    s = _normalise(raw)
    if _DIGITS_15.fullmatch(s):
        s = upgrade_15(s)
    if len(s) != 18:
        raise DomainError(N_("An ID number has 18 characters (or 15 digits for an old one); this has {n}"),
                          field="id_number", n=len(s))
    if not _SHAPE_18.fullmatch(s):
        raise DomainError(N_("An ID number is 17 digits followed by a digit or X"), field="id_number")
    if s[:2] not in VALID_PROVINCES:
        raise DomainError(N_("The ID number starts with an unknown region code {code}"), field="id_number",
                          code=s[:2])
    born = _birth(s[6:14])
    if born.year < 1900 or (today is not None and born > today):
        raise DomainError(N_("The birth date in the ID number is not possible"), field="id_number")
    expected = check_digit(s[:17])
    if s[17] != expected:
        raise DomainError(N_("The ID number's check digit is wrong: please check each digit"), field="id_number")
    return IdNumber(s, born)
