"""Every message the bot can show is translated: zh_CN completely, en where the msgid is Chinese.

The msgids are extracted from bot/ with babel's python extractor (keywords _, N_, gettext,
ngettext; method calls such as `ctx.tr.gettext(...)` and `ctx._(...)` match too). A failure lists
each missing msgid with the file and line it comes from, grouped by file, so each owner sees theirs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.i18n import all_catalog_ids, normalize_locale, translator

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def extracted() -> dict[str | tuple[str, str], list[str]]:
    """msgid -> ["bot/x.py:12", ...]"""
    found: dict[str | tuple[str, str], list[str]] = defaultdict(list)
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(BOT), [("**.py", "python")], keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        found[message].append(f"bot/{filename}:{lineno}")
    return found


def _has(catalog: dict, message: str | tuple[str, str]) -> bool:
    if isinstance(message, tuple):
        return bool(catalog.get(message) or catalog.get(message[0]))
    return bool(catalog.get(message))


def _report(missing: dict[str | tuple[str, str], list[str]], what: str) -> str:
    by_file: dict[str, list[str]] = defaultdict(list)
    for message, places in missing.items():
        by_file[places[0].split(":")[0]].append(f"    {places[0]}: {message!r}")
    lines = [f"{len(missing)} msgid(s) {what}:"]
    for file in sorted(by_file):
        lines.append(f"  {file}")
        lines.extend(sorted(by_file[file]))
    return "\n".join(lines)


def test_extraction_finds_method_calls() -> None:
    messages = extracted()
    # common.py calls ctx._(...) and tr.gettext(...): both must be seen by the extractor.
    assert "Cancelled. Nothing was saved." in messages
    assert ("This conversation was closed after {n} minute without an answer. Nothing unconfirmed was "
            "saved; send /start to begin again.",
            "This conversation was closed after {n} minutes without an answer. Nothing unconfirmed was "
            "saved; send /start to begin again.") in messages


def test_every_msgid_has_a_chinese_translation() -> None:
    catalog = all_catalog_ids("zh_CN")
    missing = {m: places for m, places in extracted().items() if not _has(catalog, m)}
    if missing:
        pytest.fail(_report(missing, "without a zh_CN translation (add them to locales/zh_CN/LC_MESSAGES/"
                                     "<feature>.po)"), pytrace=False)


def test_every_chinese_msgid_has_an_english_translation() -> None:
    catalog = all_catalog_ids("en")
    chinese = {m: p for m, p in extracted().items() if HAN.search(m if isinstance(m, str) else " ".join(m))}
    missing = {m: places for m, places in chinese.items() if not _has(catalog, m)}
    if missing:
        pytest.fail(_report(missing, "containing Chinese without an en translation (add them to "
                                     "locales/en/LC_MESSAGES/<feature>.po)"), pytrace=False)


def test_translations_keep_their_placeholders() -> None:
    """A translation that drops or renames a {placeholder} crashes at format time."""
    field = re.compile(r"\{(\w*)[^{}]*\}")
    bad = []
    for locale in ("zh_CN", "en"):
        for message, text in all_catalog_ids(locale).items():
            ids = message if isinstance(message, tuple) else (message,)
            texts = text if isinstance(text, tuple) else (text,)
            wanted = set(field.findall(" ".join(ids)))
            for t in texts:
                if t and not set(field.findall(t)) <= wanted | {"n"}:
                    bad.append(f"{locale}: {message!r} -> {t!r}")
    assert not bad, "translations with placeholders the msgid does not have:\n" + "\n".join(bad)


@pytest.mark.parametrize("code, locale", [
    ("zh-hans", "zh_CN"), ("zh-hant", "zh_CN"), ("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_TW", "zh_CN"),
    ("en", "en"), ("en-us", "en"), ("en-GB", "en"), (None, "zh_CN"),
])
def test_telegram_language_codes_map_to_our_locales(code, locale) -> None:
    assert normalize_locale(code) == locale


def test_core_messages_read_in_both_languages() -> None:
    from bot.handlers.common import INVITE_HINT

    zh = translator("zh_CN").gettext(INVITE_HINT)
    assert HAN.search(zh), zh
    assert translator("en").gettext(INVITE_HINT) == INVITE_HINT
