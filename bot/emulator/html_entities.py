"""parse_mode=HTML the way Telegram (TDLib's parse_html) reads it.

The loop mirrors TDLib's so that the same input fails at the same place with the
same wording ("Unsupported start tag "br" at byte offset 5", ...). Offsets in
error messages are UTF-8 byte offsets, entity offsets are UTF-16 code units,
exactly like the real server.
"""

from __future__ import annotations

import re

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)

_ENTITY_TYPE = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
    "code": "code", "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}

_MARKUP = re.compile("[&<]")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Raised with the part of Telegram's description after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _is_space(ch: str) -> bool:
    # TDLib works on a NUL-terminated buffer, so "end of text" behaves like a space.
    return ch == "" or ch in " \t\r\n\v\f"


def _decode_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode the character reference starting at text[pos] == '&'.

    Returns (None, pos) when it is not one Telegram understands, in which case
    TDLib keeps the '&' literally.
    """
    end = text.find(";", pos + 1)
    if end == -1 or end - pos > 10:
        return None, pos
    body = text[pos + 1 : end]
    if body in _NAMED:
        return _NAMED[body], end + 1
    if body.startswith("#") and len(body) > 1:
        digits, base = (body[2:], 16) if body[1] in "xX" else (body[1:], 10)
        try:
            code = int(digits, base) if digits else -1
        except ValueError:
            return None, pos
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), end + 1
    return None, pos


class _Open:
    __slots__ = ("tag", "argument", "offset16")

    def __init__(self, tag: str, argument: str, offset16: int) -> None:
        self.tag, self.argument, self.offset16 = tag, argument, offset16


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Return (plain text, entities) or raise EntityParseError.

    strict_ampersand: Telegram silently keeps a bare '&' that starts no known
    character reference; in strict mode that is reported instead, because it almost
    always means user data was interpolated without html.escape().
    """
    out: list[str] = []
    size16 = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    n = len(text)

    def ch(k: int) -> str:
        return text[k] if k < n else ""

    def byte_offset(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    def emit(piece: str) -> None:
        nonlocal size16
        out.append(piece)
        size16 += utf16_len(piece)

    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded, after = _decode_entity(text, i)
            if decoded is not None:
                emit(decoded)
                i = after
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {byte_offset(i)} (write it as &amp;)'
                )
        if c != "<":
            # Emit the whole run of plain text up to the next markup character at once (the parser
            # is on the emulator's hot path: per-character emits made it a measurable share of
            # bench/updates_bench.py).
            stop = _MARKUP.search(text, i + 1)
            end = stop.start() if stop else n
            emit(text[i:end])
            i = end
            continue

        begin = i
        i += 1
        if ch(i) != "/":
            tag_begin = i
            while not _is_space(ch(i)) and ch(i) != ">":
                i += 1
            if ch(i) == "":
                raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[tag_begin:i].lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            while ch(i) != ">":
                while ch(i) != "" and _is_space(ch(i)):
                    i += 1
                if ch(i) == ">":
                    break
                attr_begin = i
                while not _is_space(ch(i)) and ch(i) not in ("=", ">"):
                    i += 1
                attr = text[attr_begin:i].lower()
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                while ch(i) != "" and _is_space(ch(i)):
                    i += 1
                if ch(i) != "=":
                    if tag == "blockquote" and attr == "expandable":
                        # the one boolean attribute Telegram accepts without a value
                        argument = "1"
                        continue
                    raise EntityParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {byte_offset(begin)}"
                    )
                i += 1
                while ch(i) != "" and _is_space(ch(i)):
                    i += 1
                if ch(i) == "":
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                if ch(i) not in ("'", '"'):
                    token_begin = i
                    while ch(i).isalnum() or ch(i) in (".", "-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(ch(i)) and ch(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {byte_offset(token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while ch(i) != quote and ch(i) != "":
                        if ch(i) == "&":
                            decoded, after = _decode_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded)
                                i = after
                                continue
                        chars.append(text[i])
                        i += 1
                    if ch(i) == quote:
                        i += 1
                    value = "".join(chars)
                if ch(i) == "":
                    raise EntityParseError("Unclosed start tag")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append(_Open(tag, argument, size16))
            i += 1
            continue

        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1
        name_begin = i
        while not _is_space(ch(i)) and ch(i) != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while ch(i) != "" and _is_space(ch(i)):
            i += 1
        if ch(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i += 1
        opened = stack[-1]
        if end_name and end_name != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{end_name}>"'
            )
        stack.pop()
        _close(opened, stack, entities, out, size16)

    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"'
        )
    return "".join(out), sort_entities(entities)


def _close(opened: _Open, stack: list[_Open], entities: list[dict], out: list[str], size16: int) -> None:
    length = size16 - opened.offset16
    if length <= 0:
        return  # Telegram drops empty entities instead of failing
    entity: dict = {"type": _ENTITY_TYPE[opened.tag], "offset": opened.offset16, "length": length}
    if opened.tag == "a":
        url = opened.argument or _tail16("".join(out), length)
        user_id = url.removeprefix("tg://user?id=")
        if user_id != url and user_id.isdigit():
            entity = {"type": "text_mention", "offset": opened.offset16, "length": length,
                      "user": {"id": int(user_id), "is_bot": False, "first_name": ""}}
        else:
            entity["url"] = url
    elif opened.tag == "code" and stack and stack[-1].tag == "pre" and stack[-1].offset16 == opened.offset16:
        # <pre><code class="language-x"> is how a pre block gets its language
        if opened.argument and not stack[-1].argument:
            stack[-1].argument = opened.argument
        return
    elif opened.tag == "pre" and opened.argument:
        entity["language"] = opened.argument
    elif opened.tag == "blockquote" and opened.argument:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "tg-emoji":
        entity["custom_emoji_id"] = opened.argument
    entities.append(entity)


def _tail16(text: str, length16: int) -> str:
    raw = text.encode("utf-16-le")
    return raw[len(raw) - 2 * length16 :].decode("utf-16-le")


def sort_entities(entities: list[dict]) -> list[dict]:
    # Telegram returns entities ordered by offset, outer (longer) first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))
