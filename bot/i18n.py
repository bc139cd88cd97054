"""Localisation: gettext catalogs under locales/, loaded from the .po files with babel.

The .po files are read directly (babel's reader) instead of compiled .mo files, so a fresh
clone works without a build step and no build output is committed.  Message ids are English;
zh_CN is the default language and must be complete, en is complete by construction
(an empty msgstr falls back to the English msgid, and a test fails if a msgid is untranslated).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po

DOMAIN = "bot"
DEFAULT_LOCALE = "zh_CN"
SUPPORTED = ("zh_CN", "en")


def locales_dir() -> Path:
    override = os.environ.get("BRANCHBOT_LOCALES_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "locales"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (translated where shown)."""
    return message


@lru_cache(maxsize=None)
def _catalog(locale: str) -> dict[Any, Any]:
    """Every .po file of the locale, merged (bot.po first; feature fragments may add entries)."""
    folder = locales_dir() / locale / "LC_MESSAGES"
    table: dict[Any, Any] = {}
    paths = sorted(folder.glob("*.po"), key=lambda p: (p.stem != DOMAIN, p.name)) if folder.exists() else []
    for path in paths:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id or message.fuzzy or not message.string:
                continue
            table.setdefault(message.id, message.string)
    return table


def resolve_locale(override: str | None, language_code: str | None, default: str) -> str:
    """The /lang override, else Telegram's language_code (zh-hans, zh-hant, zh, en-us …), else the default."""
    if override in SUPPORTED:
        return override  # type: ignore[return-value]
    if language_code and language_code.strip().lower()[:2] in ("zh", "en"):
        return normalize_locale(language_code)
    return default if default in SUPPORTED else DEFAULT_LOCALE


def normalize_locale(code: str | None) -> str:
    """Map a Telegram/IETF language code (zh-hans, zh-hant, zh, en-us, …) to a supported locale."""
    if not code:
        return DEFAULT_LOCALE
    c = code.strip().replace("_", "-").lower()
    if c.startswith("zh"):
        return "zh_CN"
    if c.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


class Translator:
    """Translations and locale-aware formatting for one locale."""

    def __init__(self, locale: str = DEFAULT_LOCALE):
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE
        self._babel_locale = Locale.parse(self.locale)

    def gettext(self, message: str, **params: Any) -> str:
        text = _catalog(self.locale).get(message) or message
        if isinstance(text, tuple):  # a plural entry used as singular
            text = text[0] or message
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        entry = _catalog(self.locale).get((singular, plural)) or _catalog(self.locale).get(singular)
        forms = entry if isinstance(entry, tuple) and any(entry) else None
        if forms:
            idx = Locale.parse(self.locale).plural_form(n)
            order = ["zero", "one", "two", "few", "many", "other"]
            text = forms[min(order.index(idx) if idx in order else 0, len(forms) - 1)] if len(forms) > 1 else forms[0]
            if self.locale == "en":
                text = forms[0] if n == 1 else forms[-1]
        else:
            text = singular if n == 1 else plural
        return text.format(n=n, **params)

    _ = gettext

    def date(self, value: date | None) -> str:
        if value is None:
            return "—"
        return format_date(value, format="medium", locale=self._babel_locale)

    def datetime(self, value: datetime | None, tz: Any = None) -> str:
        if value is None:
            return "—"
        return format_datetime(value, format="medium", tzinfo=tz, locale=self._babel_locale)


@lru_cache(maxsize=None)
def translator(locale: str | None = None) -> Translator:
    return Translator(normalize_locale(locale) if locale not in SUPPORTED else locale)


def all_catalog_ids(locale: str) -> dict[Any, Any]:
    """Every entry of a locale's catalog (for the completeness test)."""
    return dict(_catalog(locale))
