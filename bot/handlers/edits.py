"""Skipping an edit that would change nothing ("message is not modified").

Pressing the same button twice (the language already chosen, 主菜单 from the main menu, a 返回 that lands
where the user is) makes a handler edit the message into what it already shows; Telegram refuses that
with 400 "message is not modified". `shows_already` compares what we would send — HTML text and inline
keyboard — with the pressed message as Telegram delivered it (its text, formatting entities and
keyboard), and the edit helpers skip the call when they are the same.

The text is compared as Telegram stores it: tags turned into entities (offsets in UTF-16 code units),
character references resolved, leading and trailing whitespace trimmed. Entities Telegram finds by
itself (links, commands, mentions) are left out on both sides: we never send those as markup.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from telegram import InlineKeyboardMarkup, Message

# HTML tags of Telegram's parse_mode HTML and the entity each becomes.
TAG_ENTITY = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
              "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code",
              "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler", "blockquote": "blockquote"}
FORMATTING = frozenset(TAG_ENTITY.values()) | {"expandable_blockquote", "text_mention", "custom_emoji"}


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parse(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.length = 0                       # UTF-16 units so far
        self.open: list[tuple[str, int, str | None]] = []
        self.entities: list[tuple[str, int, int, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = TAG_ENTITY.get(tag)
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            kind = "spoiler"
        if tag == "blockquote" and any(k == "expandable" for k, _ in attrs):
            kind = "expandable_blockquote"
        url = dict(attrs).get("href") if tag == "a" else None
        self.open.append((kind or "", self.length, url))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            return
        kind, start, url = self.open.pop()
        if kind and self.length > start:
            self.entities.append((kind, start, self.length - start, url))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.length += _u16(data)


def html_as_telegram_shows(html: str) -> tuple[str, set[tuple[str, int, int, str | None]]]:
    """(text, formatting entities) of an HTML message text, as Telegram stores it."""
    p = _Parse()
    p.feed(html)
    p.close()
    text = "".join(p.text)
    stripped = text.strip()
    lead = _u16(text[: len(text) - len(text.lstrip())])
    size = _u16(stripped)
    entities = set()
    for kind, offset, length, url in p.entities:
        start, end = max(offset - lead, 0), min(offset - lead + length, size)
        if end > start:
            entities.add((kind, start, end - start, url))
    return stripped, entities


def _entities_of(message: Message) -> set[tuple[str, int, int, str | None]]:
    return {(str(e.type), e.offset, e.length, e.url if str(e.type) == "text_link" else None)
            for e in message.entities or () if str(e.type) in FORMATTING}


def _keyboard(markup: Any) -> Any:
    if not isinstance(markup, InlineKeyboardMarkup) or not markup.inline_keyboard:
        return None
    return markup.to_dict()


def shows_already(message: Any, html: str, markup: Any) -> bool:
    """True when `message` already shows `html` (parse_mode HTML) with `markup` (None: no keyboard)."""
    if not isinstance(message, Message) or message.text is None:
        return False
    # The keyboard first: a wizard's next step has other buttons, and parsing the HTML is the dear part.
    if _keyboard(message.reply_markup) != _keyboard(markup):
        return False
    text, entities = html_as_telegram_shows(html)
    return message.text == text and _entities_of(message) == entities

