"""Parse MarkdownV2 and legacy Markdown (core.telegram.org/bots/api#formatting-options)."""

import re
from dataclasses import dataclass, field
from typing import Any

from .telegram_entities import Builder, FormatError, byte_offset

_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


@dataclass
class _Md2:
    """State of one MarkdownV2 parse."""

    text: str
    b: Builder = field(default_factory=Builder)
    stack: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    quote: dict[str, Any] | None = None
    i: int = 0

    def fail(self, detail: str) -> None:
        """Raise a FormatError."""
        raise FormatError(detail)

    def toggle(self, kind: str, width: int) -> None:
        """Open kind, or close it when it is open."""
        for pos, (open_kind, entity, _) in enumerate(self.stack):
            if open_kind == kind:
                del self.stack[pos]
                self.b.close(entity)
                break
        else:
            self.stack.append((kind, {"type": kind, "offset": self.b.pos}, self.i))
        self.i += width


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2, rejecting unescaped reserved characters."""
    st = _Md2(text)
    while st.i < len(text):
        _md2_step(st)
    if st.quote:
        st.b.close(st.quote)
    if st.stack:
        kind, _, start = st.stack[-1]
        st.fail(
            f"Can't find end of {_MD2_NAMES.get(kind, kind)} entity at byte offset "
            f"{byte_offset(text, start)}"
        )
    return st.b.text(), st.b.entities


def _md2_step(st: _Md2) -> None:
    """Consume one token of MarkdownV2."""
    text, i = st.text, st.i
    char, nxt = text[i], text[i + 1 : i + 2]
    pairs = {"__": "underline", "||": "spoiler"}
    singles = {"*": "bold", "_": "italic", "~": "strikethrough"}
    if char == "\\":
        if not nxt or not 0 < ord(nxt) < 127:
            st.fail(
                f"Character '\\' is reserved and must be escaped at byte offset "
                f"{byte_offset(text, i)}"
            )
        st.b.add(nxt)
        st.i += 2
    elif char + nxt in pairs:
        st.toggle(pairs[char + nxt], 2)
    elif char in singles:
        st.toggle(singles[char], 1)
    elif char == "`":
        _md2_code(st)
    elif char == "[" or (char == "!" and nxt == "["):
        kind = "custom_emoji" if char == "!" else "text_link"
        st.stack.append((kind, {"type": kind, "offset": st.b.pos}, i))
        st.i += 2 if char == "!" else 1
    elif char == "]" and st.stack and st.stack[-1][0] in ("text_link", "custom_emoji"):
        _md2_link_end(st)
    elif char == ">" and (i == 0 or text[i - 1] == "\n"):
        if st.quote is None:
            st.quote = {"type": "blockquote", "offset": st.b.pos}
        st.i += 1
    elif char == "\n" and st.quote is not None and nxt != ">":
        st.b.close(st.quote)
        st.quote = None
        st.b.add(char)
        st.i += 1
    elif char in _MD2_RESERVED:
        st.fail(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
    else:
        st.b.add(char)
        st.i += 1


def _md2_code(st: _Md2) -> None:
    """Consume `code` or ```pre``` where only ` and \\ need escaping."""
    text, start = st.text, st.i
    fence = "```" if text.startswith("```", start) else "`"
    j = start + len(fence)
    language = ""
    if fence == "```":
        line_end = text.find("\n", j)
        first_line = text[j:line_end] if line_end >= 0 else ""
        if line_end >= 0 and re.fullmatch(r"[\w+#-]*", first_line):
            language, j = first_line, line_end + 1
    chunk: list[str] = []
    while j < len(text) and not text.startswith(fence, j):
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        chunk.append(text[j])
        j += 1
    if j >= len(text):
        name = "Pre" if fence == "```" else "Code"
        st.fail(f"Can't find end of {name} entity at byte offset {byte_offset(text, start)}")
    entity: dict[str, Any] = {"type": "pre" if fence == "```" else "code", "offset": st.b.pos}
    if language:
        entity["language"] = language
    st.b.add("".join(chunk))
    st.b.close(entity)
    st.i = j + len(fence)


def _md2_link_end(st: _Md2) -> None:
    """Consume ](url) closing a text link or custom emoji."""
    text, i = st.text, st.i
    kind, entity, start = st.stack.pop()
    if text[i + 1 : i + 2] != "(":
        st.fail(
            f"Can't find end of {_MD2_NAMES.get(kind, kind)} entity at byte offset "
            f"{byte_offset(text, start)}"
        )
    j, url = i + 2, []
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url.append(text[j])
        j += 1
    if j >= len(text):
        st.fail(f"Can't find end of a URL at byte offset {byte_offset(text, i + 1)}")
    target = "".join(url)
    if kind == "custom_emoji":
        entity["custom_emoji_id"] = target.rpartition("id=")[2]
    else:
        entity["url"] = target
    st.b.close(entity)
    st.i = j + 1


# --- legacy Markdown ----------------------------------------------------------------------

_LEGACY_RE = re.compile(
    r"```(?:([\w+#-]*)\n)?(.*?)```|`([^`]*)`|\*([^*]*)\*|_([^_]*)_|\[([^\]]*)\]\(([^)]*)\)",
    re.S,
)


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown (bold, italic, code, pre, links; no nesting)."""
    b = Builder()
    i = 0
    for match in _LEGACY_RE.finditer(text):
        _legacy_plain(text, i, match.start(), b)
        lang, pre, code, bold, italic, link_text, url = match.groups()
        kinds = (
            ("pre", pre),
            ("code", code),
            ("bold", bold),
            ("italic", italic),
            ("text_link", link_text),
        )
        kind, body = next((k, v) for k, v in kinds if v is not None)
        entity: dict[str, Any] = {"type": kind, "offset": b.pos}
        if lang:
            entity["language"] = lang
        if url is not None:
            entity["url"] = url
        b.add(body)
        b.close(entity)
        i = match.end()
    _legacy_plain(text, i, len(text), b)
    return b.text(), b.entities


def _legacy_plain(text: str, start: int, end: int, b: Builder) -> None:
    """Add text[start:end], rejecting an unmatched entity marker."""
    for j in range(start, end):
        if text[j] in "*_`[":
            raise FormatError(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, j)}"
            )
    b.add(text[start:end])
