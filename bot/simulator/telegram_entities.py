"""Shared pieces of Telegram text formatting: UTF-16 offsets, errors, automatic entities.

Entity offsets and lengths are in UTF-16 code units, as in the Bot API.
"""

import re
from dataclasses import dataclass, field
from typing import Any

_AUTO_PATTERNS = (
    ("url", re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")),
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url", "email", "text_mention", "custom_emoji"}


class FormatError(ValueError):
    """A formatting error; str() is the detail after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    """Return the UTF-8 byte offset of a code-point index, as Telegram reports errors."""
    return len(text[:index].encode("utf-8"))


@dataclass
class Builder:
    """Accumulate plain text and entities while tracking the UTF-16 position."""

    out: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, chunk: str) -> None:
        """Append plain text."""
        self.out.append(chunk)
        self.pos += utf16_len(chunk)

    def close(self, entity: dict[str, Any]) -> None:
        """Finish an entity opened at entity["offset"]; drop it when empty."""
        entity["length"] = self.pos - entity["offset"]
        if entity["length"] > 0:
            self.entities.append(entity)

    def text(self) -> str:
        """Return the plain text built so far."""
        return "".join(self.out)


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort entities by offset, longer first, as Telegram does."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def detect_entities(plain: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the url/mention/hashtag/bot_command/email entities Telegram adds by itself."""
    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _NO_AUTO_INSIDE
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(plain):
            start = utf16_len(plain[: match.start()])
            end = start + utf16_len(match.group())
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            found.append({"type": kind, "offset": start, "length": end - start})
            taken.append((start, end))
    return sort_entities(found)
