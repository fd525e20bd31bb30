"""Parse Telegram text formatting (HTML, MarkdownV2, Markdown) into plain text and entities.

Error strings follow Telegram's "can't parse entities: ..." details where they are known.
"""

from typing import Any

from .telegram_entities import FormatError, detect_entities, sort_entities, utf16_len
from .telegram_html import parse_html
from .telegram_markdown import parse_markdown, parse_markdown_v2

__all__ = ["FormatError", "detect_entities", "parse_text", "sort_entities", "utf16_len"]


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for text sent with parse_mode, or raise FormatError."""
    mode = (parse_mode or "").lower()
    if not mode:
        found = list(entities or [])
        plain = text
    elif mode == "html":
        plain, found = parse_html(text)
    elif mode == "markdownv2":
        plain, found = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, found = parse_markdown(text)
    else:
        raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    found.extend(detect_entities(plain, found))
    return plain, sort_entities(found)
