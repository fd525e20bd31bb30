"""The locale catalogs: the same sentences in every language, and every key the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import INJECTED, Translator, catalog, languages, placeholders
from storage.models import Role

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [*ROOT.glob("handlers/*.py"), *ROOT.glob("bot/**/*.py"), *ROOT.glob("content/*.py")]
)

_KEY = r'"([a-z_]+(?:\.[a-z_]+)+)"'
KEY_USES = (
    re.compile(r"\b(?:say|t)\(\s*" + _KEY),  # ctx.say("k"), ctx.t("k"), t("k")
    re.compile(r"\bbutton\([^()]*?,\s*" + _KEY),  # ctx.button(data, "k")
    re.compile(r"\bmenu=" + _KEY),  # Flow(menu="k")
    re.compile(r"\(ctx,\s*" + _KEY + r"\)"),  # helper(ctx, "k")
    re.compile(r"\b(?:say|t)\(\s*" + _KEY + r"\s+if\b[^\n]*?\belse\s+" + _KEY),  # "k" if … else "k"
)


def keys_used_in_sources() -> dict[str, str]:
    """Map each literal catalog key found in the sources to the file that uses it."""
    found = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in KEY_USES:
            for match in pattern.finditer(text):
                for key in match.groups():
                    found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_vietnamese_and_english_catalogs_exist():
    assert {"vi", "en"} <= set(languages())
    assert catalog("vi")
    assert catalog("en")


def test_catalogs_have_the_same_keys():
    vi, en = catalog("vi"), catalog("en")
    assert sorted(vi.keys() - en.keys()) == []
    assert sorted(en.keys() - vi.keys()) == []


def test_catalogs_have_the_same_placeholders_per_key():
    """The values the code passes match; {address} and {Address}, which the translator fills
    in itself, a language may use or not (English has no forms of address to choose)."""
    vi, en = catalog("vi"), catalog("en")
    differing = {
        key: (placeholders(vi[key]) - INJECTED, placeholders(en[key]) - INJECTED)
        for key in vi.keys() & en.keys()
        if placeholders(vi[key]) - INJECTED != placeholders(en[key]) - INJECTED
    }
    assert differing == {}


def test_the_source_scan_finds_keys():
    used = keys_used_in_sources()
    assert {"onb.greeting", "privacy.yes", "menu.help", "error.group_only_private"} <= used.keys()
    assert {"onb.ask_hamlet", "onb.hamlet_again", "onb.done_no_pushes"} <= used.keys()


def test_every_key_the_code_uses_exists_in_vietnamese():
    vi = catalog("vi")
    missing = {key: where for key, where in keys_used_in_sources().items() if key not in vi}
    assert missing == {}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_name(role):
    assert f"role.{role.value}" in catalog("vi")


def test_unknown_language_falls_back_to_vietnamese():
    t = Translator("fr")
    assert t.language == "vi"
    assert t("privacy.no") == "Không xóa"


def test_english_translator_speaks_english():
    assert Translator("en")("privacy.no") == "Do not delete"


def test_placeholders_are_filled():
    assert Translator("vi")("onb.welcome_back", name="Lan") == "Chào mừng ông/bà quay lại, Lan."


def test_the_form_of_address_is_filled_in_and_capitalised_at_a_sentence_start():
    t = Translator("vi", "bà con")
    assert t("onb.welcome_back", name="Lan") == "Chào mừng bà con quay lại, Lan."
    assert t("onb.already_agreed") == "Bà con đã đăng ký rồi."
    assert Translator("vi", "anh/chị")("onb.already_agreed") == "Anh/chị đã đăng ký rồi."
    assert t.fill("Nơi {address} ở có bị ô nhiễm không?") == "Nơi bà con ở có bị ô nhiễm không?"


def test_missing_key_returns_the_key():
    assert Translator("vi")("nowhere.to_be_found") == "nowhere.to_be_found"


def test_missing_value_returns_the_template_instead_of_raising():
    assert Translator("vi")("onb.welcome_back") == "Chào mừng ông/bà quay lại, {name}."
