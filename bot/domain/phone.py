"""Mainland mobile numbers: +86 / 0086 prefixes and separators accepted, stored as 11 digits."""

from __future__ import annotations

import re
import unicodedata

from bot.domain.errors import DomainError
from bot.i18n import N_

_SEPARATORS = re.compile(r"[\s\-‐–—()（）.]")
# [0-9], not \d: \d also matches other scripts' digits (Arabic-Indic ١٢٣…), which NFKC leaves alone.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalise_mobile(raw: str) -> str:
    """Return the 11-digit mobile number or raise DomainError."""
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    s = _SEPARATORS.sub("", s)
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if not _MOBILE.fullmatch(s):
        raise DomainError(N_("“{value}” is not a mobile number: 11 digits starting 13–19"), field="phone",
                          value=str(raw)[:40])
    return s


def mask_mobile(mobile: str) -> str:
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) == 11 else "****"
