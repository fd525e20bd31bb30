"""Locale catalogs: every sentence a person reads, in bot/locales/<language>/*.toml.

Each language is a folder; each flow may keep its sentences in a file of its own there
(core.toml, feedback.toml, ...). A key must not be defined in two files of one language.

How residents are addressed is the commune's choice (`address` in the commune file, "ông/bà"
by default): a sentence writes `{address}` where it names the person and `{Address}` at the
start of a sentence, and the translator fills both in without the caller passing them.
"""

from __future__ import annotations

import logging
import os
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "vi"
DEFAULT_ADDRESS = "ông/bà"
# Filled in by the translator itself: a language may use them or not.
INJECTED = frozenset({"address", "Address"})


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
    folder = resources.files("bot").joinpath("locales", language)
    if not folder.is_dir():
        return {}
    merged: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            flat = _flatten(tomllib.loads(entry.read_text(encoding="utf-8")))
            clash = merged.keys() & flat.keys()
            if clash:
                raise ValueError(f"locales/{language}/{entry.name} redefines {sorted(clash)}")
            merged.update(flat)
    return merged


def languages() -> list[str]:
    """List the languages that have a catalog."""
    folder = resources.files("bot").joinpath("locales")
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_"))


def placeholders(template: str) -> set[str]:
    """Return the {names} a template expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def address_forms(address: str) -> dict[str, str]:
    """Return the values of {address} and {Address} (capitalised for a sentence's start)."""
    return {"address": address, "Address": address[:1].upper() + address[1:]}


class Translator:
    """Looks up sentences in one language, falling back to Vietnamese, then to the key."""

    def __init__(self, language: str = DEFAULT_LANGUAGE, address: str = DEFAULT_ADDRESS) -> None:
        self.language = language if catalog(language) else DEFAULT_LANGUAGE
        self.address = address
        self._primary = catalog(self.language)
        self._fallback = catalog(DEFAULT_LANGUAGE)
        self._defaults = address_forms(address)

    def __call__(self, key: str, /, **values: Any) -> str:
        template = self.template(key)
        try:
            return template.format(**{**self._defaults, **values})
        except (KeyError, IndexError, ValueError):
            log.error("catalog key %s does not fit values %s", key, sorted(values))
            return template

    def template(self, key: str) -> str:
        """Return a sentence with only the form of address filled, its other {names} kept,
        for code that fills them later."""
        template = self._primary.get(key) or self._fallback.get(key)
        if template is None:
            log.error("missing catalog key %s", key)
            return key
        return self.fill(template)

    def fill(self, text: str) -> str:
        """Fill only {address} and {Address} in text that is not a catalog template (content)."""
        for name, value in self._defaults.items():
            text = text.replace("{" + name + "}", value)
        return text

    def has(self, key: str) -> bool:
        return key in self._primary or key in self._fallback


@cache
def translator(language: str | None, address: str = DEFAULT_ADDRESS) -> Translator:
    """Return the shared translator for a language code and a form of address."""
    return Translator(language or DEFAULT_LANGUAGE, address)


def operator_language() -> str:
    """Return the language of the command line and its messages: LOAXA_LANGUAGE, else "vi"."""
    chosen = os.environ.get("LOAXA_LANGUAGE", "").strip().lower()
    return chosen if chosen in languages() else DEFAULT_LANGUAGE


def operator_text(key: str, /, **values: Any) -> str:
    """Return an operator's sentence (the CLI's help and messages) in operator_language()."""
    return translator(operator_language())(key, **values)


def explained(error: Exception) -> str:
    """Return an error's sentence for the operator: its catalog key's, else its own text."""
    key = getattr(error, "key", None)
    return operator_text(key, **getattr(error, "values", {})) if key else str(error)
