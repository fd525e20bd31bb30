"""What a person types as they would talk: words for commands, greetings, typed answers.

The words come from the locale catalogs ([words] and [greetings], see
bot/locales/vi/conversation.toml), so a new language brings its own; they are compared with
`bot.text.fold`, so case and diacritics do not matter.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from bot.i18n import DEFAULT_LANGUAGE, catalog
from bot.text import fold

WORDS = "words."
GREETINGS = "greetings.words"


@dataclass(frozen=True, slots=True)
class Typed:
    """A command typed as words: which command, its arguments, and whether the words were
    typed with the catalog's own diacritics ("hủy", not "huy")."""

    command: str
    args: str
    exact: bool


@dataclass(frozen=True, slots=True)
class _Phrase:
    folded: tuple[str, ...]
    exact: str
    command: str
    arg: str


def _entries(language: str, key: str) -> list[str]:
    value = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key, "")
    return [word.strip() for word in value.split("|") if word.strip()]


def _bare(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def says_any(language: str, key: str, text: str) -> bool:
    """Tell whether typed text contains one of the catalog's `[typed]` words for `key`."""
    folded = fold(text)
    return any(fold(word) in folded for word in _entries(language, f"typed.{key}"))


def command_words(language: str, command: str) -> list[str]:
    """Return the words that name a command in a language, as the catalog writes them."""
    return _entries(language, f"{WORDS}{command}")


@cache
def _phrases(language: str) -> tuple[_Phrase, ...]:
    keys = {k for k in (*catalog(DEFAULT_LANGUAGE), *catalog(language)) if k.startswith(WORDS)}
    phrases = []
    for key in keys:
        command, _, arg = key.removeprefix(WORDS).partition("_")
        for word in _entries(language, key):
            phrases.append(_Phrase(tuple(fold(word).split()), _bare(word), command, arg))
    return tuple(sorted(phrases, key=lambda p: (-len(p.folded), p.command, p.arg)))


def typed_command(text: str, language: str) -> Typed | None:
    """Return the command that `text` names in words ("tra cuu PA-7K3M9"), or None.

    The words must be the whole message, or be followed by one more word that the command
    receives as its argument (only for words that do not carry an argument of their own).
    """
    words = text.split()
    if not words or len(words) > 6:
        return None
    for phrase in _phrases(language):
        size = len(phrase.folded)
        rest = words[size:]
        if len(words) < size or len(rest) > (0 if phrase.arg else 1):
            continue
        if tuple(fold(" ".join(words[:size])).split()) != phrase.folded:
            continue
        exact = _bare(" ".join(words[:size]).strip(" .!?,;:")) == phrase.exact
        return Typed(phrase.command, " ".join([phrase.arg, *rest]).strip(), exact)
    return None


@cache
def _greeting_words(language: str) -> frozenset[str]:
    return frozenset(w for entry in _entries(language, GREETINGS) for w in fold(entry).split())


def is_greeting(text: str, language: str) -> bool:
    """Tell whether a message is only a greeting ("xin chào", "alo", "Chào xã ạ")."""
    words = fold(text).split()
    return bool(words) and all(word in _greeting_words(language) for word in words)
