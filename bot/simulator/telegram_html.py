"""Parse Telegram's HTML subset (core.telegram.org/bots/api#html-style)."""

import re
from typing import Any

from .telegram_entities import Builder, FormatError, byte_offset

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
_ATTR_RE = re.compile(r"""([a-zA-Z][\w-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML subset."""
    b = Builder()
    stack: list[tuple[str, dict[str, Any] | None]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            i = _html_tag(text, i, b, stack)
        elif char == "&":
            i = _html_entity(text, i, b)
        else:
            nxt = min(
                (j for j in (text.find("<", i), text.find("&", i)) if j >= 0), default=len(text)
            )
            b.add(text[i:nxt])
            i = nxt
    if stack:
        raise FormatError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return b.text(), b.entities


def _html_entity(text: str, i: int, b: Builder) -> int:
    """Decode one character entity at text[i] and return the index after it."""
    match = _ENTITY_RE.match(text, i)
    if not match:
        raise FormatError(
            f'Character "&" must be escaped as "&amp;" at byte offset {byte_offset(text, i)}'
        )
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
        if not 0 < code <= 0x10FFFF:
            raise FormatError(f"Invalid HTML entity at byte offset {byte_offset(text, i)}")
        b.add(chr(code))
    elif name in _NAMED_ENTITIES:
        b.add(_NAMED_ENTITIES[name])
    else:
        raise FormatError(
            f'Unsupported HTML entity "&{name};" at byte offset {byte_offset(text, i)}'
        )
    return match.end()


def _html_tag(text: str, i: int, b: Builder, stack: list) -> int:
    """Handle the tag starting at text[i] and return the index after it."""
    match = _TAG_RE.match(text, i)
    if not match:
        if text.find(">", i) < 0:
            raise FormatError(f"Can't find end of the tag at byte offset {byte_offset(text, i)}")
        name = re.match(r"</?([^\s>]*)", text[i:]).group(1)
        raise FormatError(f'Unsupported start tag "{name}" at byte offset {byte_offset(text, i)}')
    closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
    if closing:
        _html_close(text, i, name, b, stack)
    else:
        stack.append((name, _html_open(text, i, name, _html_attrs(raw_attrs), b, stack)))
    return match.end()


def _html_attrs(raw: str) -> dict[str, str]:
    """Parse tag attributes, decoding entities in their values."""
    attrs = {}
    for match in _ATTR_RE.finditer(raw or ""):
        value = (match.group(2) or "").strip("\"'")
        attrs[match.group(1).lower()] = _ENTITY_RE.sub(_decode_entity, value)
    return attrs


def _decode_entity(match: re.Match) -> str:
    """Decode an entity inside an attribute value."""
    name = match.group(1)
    if name.startswith("#"):
        return chr(int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:]))
    return _NAMED_ENTITIES.get(name, match.group())


def _html_open(text: str, i: int, name: str, attrs: dict, b: Builder, stack: list):
    """Return the entity a start tag opens (None when it adds nothing)."""
    entity: dict[str, Any] = {"type": name, "offset": b.pos}
    if name in _SIMPLE_TAGS:
        parent = stack[-1][1] if stack else None
        if name == "code" and parent and parent["type"] == "pre" and parent["offset"] == b.pos:
            if attrs.get("class", "").startswith("language-"):
                parent["language"] = attrs["class"].removeprefix("language-")
            return None
        entity["type"] = _SIMPLE_TAGS[name]
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise FormatError('Tag "span" must have class "tg-spoiler"')
        entity["type"] = "spoiler"
    elif name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif name == "a":
        entity.update(_html_link(attrs.get("href", "")))
    elif name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        raise FormatError(f'Unsupported start tag "{name}" at byte offset {byte_offset(text, i)}')
    return entity


def _html_link(href: str) -> dict[str, Any]:
    """Return the entity fields for <a href=...>."""
    user = re.fullmatch(r"tg://user\?id=(\d+)", href)
    if user:
        return {
            "type": "text_mention",
            "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
        }
    return {"type": "text_link", "url": href}


def _html_close(text: str, i: int, name: str, b: Builder, stack: list) -> None:
    """Close the innermost open tag, which must be name."""
    if not stack:
        raise FormatError(f'Unexpected end tag "{name}" at byte offset {byte_offset(text, i)}')
    open_name, entity = stack.pop()
    if open_name != name:
        raise FormatError(
            f"Unmatched end tag at byte offset {byte_offset(text, i)}, "
            f'expected "</{open_name}>", found "</{name}>"'
        )
    if entity is not None:
        b.close(entity)
