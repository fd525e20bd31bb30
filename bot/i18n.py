"""Locale catalogs: every sentence a person reads, per language, in bot/locales/*.toml."""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "vi"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[key] = str(value)
    return flat


@cache
def catalog(language: str) -> dict[str, str]:
    """Return the flat catalog of one language ({} when there is none)."""
    entry = resources.files("bot").joinpath("locales", f"{language}.toml")
    if not entry.is_file():
        return {}
    return _flatten(tomllib.loads(entry.read_text(encoding="utf-8")))


def languages() -> list[str]:
    """List the languages that have a catalog."""
    folder = resources.files("bot").joinpath("locales")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def placeholders(template: str) -> set[str]:
    """Return the {names} a template expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Translator:
    """Looks up sentences in one language, falling back to Vietnamese, then to the key."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language if catalog(language) else DEFAULT_LANGUAGE
        self._primary = catalog(self.language)
        self._fallback = catalog(DEFAULT_LANGUAGE)

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self._primary.get(key) or self._fallback.get(key)
        if template is None:
            log.error("missing catalog key %s", key)
            return key
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            log.error("catalog key %s does not fit values %s", key, sorted(values))
            return template

    def has(self, key: str) -> bool:
        return key in self._primary or key in self._fallback


@cache
def translator(language: str | None) -> Translator:
    """Return the shared translator for a language code."""
    return Translator(language or DEFAULT_LANGUAGE)
