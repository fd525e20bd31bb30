"""Reading what people type: folding, matching choices, cleaning input, splitting long text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import clean, fold, match_choice, split_text

CONSENT = ["Đồng ý", "Không đồng ý"]
HAMLETS = ["Xóm 1", "Xóm 2", "Xóm 3", "Thôn Đông", "Bản Mường"]
CATEGORIES = ["Đất đai", "Môi trường", "Đường sá, hạ tầng", "An ninh, trật tự"]


# --- fold ------------------------------------------------------------------------------------


def test_fold_ignores_diacritics_case_spaces_and_punctuation():
    assert fold("Xóm 3") == fold("xom 3") == fold("XOM  3!") == "xom 3"


def test_fold_turns_d_with_stroke_into_d():
    assert fold("đ") == "d"
    assert fold("Đường Đông") == "duong dong"


# --- match_choice ----------------------------------------------------------------------------


def test_match_choice_by_number():
    assert match_choice("2", HAMLETS) == 1
    assert match_choice(" 5 ", HAMLETS) == 4


def test_match_choice_by_label_without_diacritics_in_any_case():
    assert match_choice("thon dong", HAMLETS) == 3
    assert match_choice("MÔI TRƯỜNG", CATEGORIES) == 1
    assert match_choice("dong y", CONSENT) == 0
    assert match_choice("khong dong y", CONSENT) == 1


def test_match_choice_by_unique_prefix():
    assert match_choice("moi", CATEGORIES) == 1
    assert match_choice("Ban M", HAMLETS) == 4


def test_match_choice_forgives_a_typo():
    assert match_choice("dong yy", CONSENT) == 0
    assert match_choice("moi truongg", CATEGORIES) == 1


def test_match_choice_ambiguous_answer_is_none():
    assert match_choice("xom", HAMLETS) is None
    assert match_choice("xom 7", HAMLETS) is None


def test_match_choice_out_of_range_number_is_none():
    assert match_choice("0", HAMLETS) is None
    assert match_choice("6", HAMLETS) is None


def test_match_choice_empty_answer_is_none():
    assert match_choice("", HAMLETS) is None
    assert match_choice("   ", HAMLETS) is None
    assert match_choice("?!", HAMLETS) is None


# --- clean -----------------------------------------------------------------------------------


def test_clean_drops_nul_and_control_characters():
    assert clean("Bãi\x00 rác\x07\x1b tự phát") == "Bãi rác tự phát"


def test_clean_drops_right_to_left_and_invisible_marks():
    assert clean("abc\u200f\u202edef\u2066\ufeff") == "abcdef"


def test_clean_keeps_newlines_and_emoji():
    assert clean("Dòng 1\nDòng 2 🙏🏽\n\n👍") == "Dòng 1\nDòng 2 🙏🏽\n\n👍"


def test_clean_keeps_the_zero_width_joiner_in_emoji_sequences():
    family = "👨\u200d👩\u200d👧"
    assert clean(f"Gia đình {family}") == f"Gia đình {family}"


def test_clean_keeps_flag_emoji():
    vietnam = "🇻🇳"
    scotland = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert clean(f"{vietnam} {scotland}") == f"{vietnam} {scotland}"


def test_clean_composes_vietnamese_letters():
    decomposed = "Xo\u0301m"  # o + combining acute
    assert clean(decomposed) == "Xóm"


# --- split_text ------------------------------------------------------------------------------


def test_short_text_is_one_piece():
    assert split_text("Xin chào", 4096) == ["Xin chào"]


def test_split_prefers_paragraph_breaks():
    first, second = "Đoạn một có vài từ.", "Đoạn hai cũng có vài từ."
    text = f"{first}\n\n{second}"
    assert split_text(text, len(text) - 1) == [first, second]


def test_split_falls_back_to_line_breaks_then_spaces():
    assert split_text("aaa\nbbb ccc", 8) == ["aaa", "bbb ccc"]
    assert split_text("aaa bbb ccc", 8) == ["aaa bbb", "ccc"]


def test_split_cuts_a_word_longer_than_the_limit():
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_split_never_sends_an_empty_piece():
    assert "" not in split_text("   " + "x" * 10, 2)
    assert "" not in split_text("\n\nĐoạn một.\n\nĐoạn hai.", 10)


_WORDS = st.text(alphabet=st.sampled_from("ab đỗ\n\n🙂\t"), max_size=400)


@settings(max_examples=200, deadline=None)
@given(text=_WORDS, limit=st.integers(min_value=1, max_value=60))
def test_split_respects_the_limit_and_loses_no_visible_character(text, limit):
    pieces = split_text(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)
