"""Text helpers: forgiving matching of typed answers, cleaning input, splitting long text."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Fold case and Vietnamese diacritics: "Xóm 3" and "XOM  3" both become "xom 3"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    bare = _NOT_WORD.sub(" ", bare.casefold())
    return _SPACES.sub(" ", bare).strip()


def _emoji_glue(c: str) -> bool:
    # The zero-width joiner and tag characters hold emoji sequences (families, flags) together.
    return c == "\u200d" or "\U000e0020" <= c <= "\U000e007f"


def clean(text: str) -> str:
    """Drop control and invisible formatting characters, keeping line breaks and tabs."""
    kept = (
        c
        for c in unicodedata.normalize("NFC", text)
        if c in "\n\t"
        or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co")
        or _emoji_glue(c)
    )
    return "".join(kept).strip()


def match_choice(typed: str, labels: Sequence[str]) -> int | None:
    """Return the index of the label a person meant by `typed`, or None.

    Accepts the 1-based number shown beside a choice, the label with or without
    diacritics and in any case, a unique prefix of it, or a close misspelling.
    """
    answer = fold(typed)
    if not answer:
        return None
    if answer.isdigit():  # "²" is a digit too, which int() refuses, as it does 5,000 digits
        number = int(answer) if answer.isascii() and len(answer) <= 9 else 0
        return number - 1 if 1 <= number <= len(labels) else None
    folded = [fold(label) for label in labels]
    if answer in folded:
        return folded.index(answer)
    starts = [i for i, label in enumerate(folded) if label.startswith(answer)]
    if len(starts) == 1 and len(answer) >= 3:
        return starts[0]
    close = difflib.get_close_matches(answer, folded, n=2, cutoff=0.8)
    if len(close) == 1 or (close and close[0] == answer):
        return folded.index(close[0])
    return None


def split_text(text: str, limit: int) -> list[str]:
    """Split text into pieces of at most `limit` characters, at paragraph breaks if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def snippet(text: str, limit: int) -> str:
    """Return the start of a text on one line, at most `limit` characters, cut at the end
    of a word and marked "…" when it goes on (every list line and quote uses this)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    head = line[: limit - 1]
    if line[limit - 1] != " " and " " in head:  # mid-word: back to the last whole word
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:.-–") + "…"
