"""parse_mode=MarkdownV2 (and legacy Markdown), following TDLib's parsers closely
enough that the common mistakes fail with Telegram's own wording, above all
"Character '.' is reserved and must be escaped with the preceding '\\'".
Blockquotes and custom emoji are reduced to the essentials.
"""

from __future__ import annotations

from .html_entities import EntityParseError, sort_entities, utf16_len

_RESERVED = "_*[]()~`>#+-=|{}.!"
_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
    "pre": "Pre", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}


class _Open:
    __slots__ = ("type", "argument", "offset16", "byte_offset", "out_len")

    def __init__(self, type_: str, argument: str, offset16: int, byte_offset: int, out_len: int):
        self.type, self.argument, self.offset16 = type_, argument, offset16
        self.byte_offset, self.out_len = byte_offset, out_len


def _ends(kind: str, text: str, i: int) -> bool:
    c = text[i]
    nxt = text[i + 1 : i + 2]
    return {
        "bold": c == "*",
        "italic": c == "_" and nxt != "_",
        "code": c == "`",
        "pre": text.startswith("```", i),
        "text_link": c == "]",
        "custom_emoji": c == "]",
        "underline": c == "_" and nxt == "_",
        "strikethrough": c == "~",
        "spoiler": c == "|" and nxt == "|",
    }[kind]


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    size16 = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    quote_start: int | None = None
    n = len(text)

    def byte_offset(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    def emit(piece: str) -> None:
        nonlocal size16
        out.append(piece)
        size16 += utf16_len(piece)

    def reserved(c: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
        )

    def close_quote() -> None:
        nonlocal quote_start
        # the newline that ends the last quoted line is not part of the quote
        end = size16 - (1 if out and out[-1] == "\n" else 0)
        if quote_start is not None and end > quote_start:
            entities.append({"type": "blockquote", "offset": quote_start, "length": end - quote_start})
        quote_start = None

    i = 0
    while i < n:
        c = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and not stack:
            if c == ">":
                if quote_start is None:
                    quote_start = size16
                i += 1
                continue
            close_quote()
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        if (c not in _RESERVED) or (in_code and c != "`"):
            emit(c)
            i += 1
            continue

        if stack and _ends(stack[-1].type, text, i):
            opened = stack.pop()
            kind = opened.type
            if kind in ("underline", "spoiler"):
                i += 1
            elif kind == "pre":
                i += 2
            elif kind in ("text_link", "custom_emoji"):
                if text[i + 1 : i + 2] != "(":
                    if kind == "custom_emoji":
                        raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                    opened.argument = "".join(out[opened.out_len :])
                else:
                    i += 2
                    url_begin = i
                    url: list[str] = []
                    while i < n and text[i] != ")":
                        if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                            url.append(text[i + 1])
                            i += 2
                            continue
                        url.append(text[i])
                        i += 1
                    if i >= n:
                        raise EntityParseError(f"Can't find end of a URL at byte offset {byte_offset(url_begin)}")
                    opened.argument = "".join(url)
            length = size16 - opened.offset16
            if length > 0:
                entity = {"type": kind, "offset": opened.offset16, "length": length}
                if kind == "text_link":
                    entity["url"] = opened.argument
                elif kind == "pre" and opened.argument:
                    entity["language"] = opened.argument
                elif kind == "custom_emoji":
                    entity["custom_emoji_id"] = opened.argument.rpartition("id=")[2]
                entities.append(entity)
            i += 1
            continue

        begin = i
        argument = ""
        if c == "_":
            kind = "underline" if text[i + 1 : i + 2] == "_" else "italic"
            i += 1 if kind == "underline" else 0
        elif c == "*":
            kind = "bold"
        elif c == "~":
            kind = "strikethrough"
        elif c == "|" and text[i + 1 : i + 2] == "|":
            kind, i = "spoiler", i + 1
        elif c == "[":
            kind = "text_link"
        elif c == "!" and text[i + 1 : i + 2] == "[":
            kind, i = "custom_emoji", i + 1
        elif c == "`" and text.startswith("```", i):
            kind = "pre"
            i += 3
            lang_end = i
            while lang_end < n and text[lang_end] not in " \t\r\n\v\f`":
                lang_end += 1
            if lang_end != i and lang_end < n and text[lang_end] != "`":
                argument, i = text[i:lang_end], lang_end
            if i < n and text[i] in "\r\n":
                i += 2 if text[i : i + 2] in ("\r\n", "\n\r") else 1
            i -= 1
        elif c == "`":
            kind = "code"
        else:
            raise reserved(c)
        stack.append(_Open(kind, argument, size16, byte_offset(begin), len(out)))
        i += 1

    if stack:
        raise EntityParseError(
            f"Can't find end of {_NAMES[stack[-1].type]} entity at byte offset {stack[-1].byte_offset}"
        )
    close_quote()
    return "".join(out), sort_entities(entities)


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url), no nesting."""
    out: list[str] = []
    size16 = 0
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c not in "_*`[":
            out.append(c)
            size16 += utf16_len(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = c == "`" and text.startswith("```", i)
        i += 3 if is_pre else 1
        start16 = size16
        chunk: list[str] = []
        while i < n and not (text.startswith("```", i) if is_pre else text[i] == end_char):
            chunk.append(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {len(text[:begin].encode('utf-8'))}"
            )
        i += 3 if is_pre else 1
        body = "".join(chunk)
        out.append(body)
        size16 += utf16_len(body)
        kind = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code", "[": "text_link"}[c]
        entity = {"type": kind, "offset": start16, "length": size16 - start16}
        if c == "[":
            if text[i : i + 1] == "(" and ")" in text[i:]:
                close = text.index(")", i)
                entity["url"] = text[i + 1 : close]
                i = close + 1
            else:
                entity["url"] = body
        if entity["length"] > 0:
            entities.append(entity)
    return "".join(out), sort_entities(entities)
