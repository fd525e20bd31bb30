"""The commune's voice: a People's Committee writing to residents, many of them elderly.

Every Vietnamese catalog string is read as a resident would read it: no "bạn", no chat tail
"nhé", no "bot" or "menu" as words to understand, Vietnamese quotation marks, and the person
named only through the commune's chosen form of address ({address}, the commune file's
`address`). Then the setting itself, end to end: what a resident reads follows it.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest

from bot.config import ConfigError, load_commune
from bot.i18n import Translator, catalog
from content.pulse import bank
from storage.feedback import FORMAL_KINDS
from tests.test_onboarding_e2e import onboard

VI = catalog("vi")
PLACEHOLDER = re.compile(r"\{[Aa]ddress\}")

# Staff- and operator-facing keys: the only strings that may address an official in person
# ("anh/chị", "Mời gõ lại") and, for the command line an operator reads, speak of the "bot".
STAFF_FACING = (
    "cli.",
    "doctor.",  # operator.toml: loaxa doctor, loaxa db restore, a refused start
    "restore.",
    "service.",
    "inbox.",
    "outreach.bc_",
    "supervision.",
    "webdemo.",
    "web.",  # the staff console and /web: staff only
    "onb.staff_welcome",
)


# What residents may type (bot/conversation.py reads them), never shown to them: "menu" and
# "bot" are words people type.
TYPED = ("words.", "greetings.")


def staff_facing(key: str) -> bool:
    return key.startswith(STAFF_FACING) or key.startswith(TYPED)


def offending(pattern: str, *, resident_only: bool = False) -> dict[str, str]:
    found = re.compile(pattern, re.IGNORECASE)
    return {
        key: text
        for key, text in VI.items()
        if found.search(text) and not (resident_only and staff_facing(key))
    }


def test_no_string_says_ban():
    assert offending(r"\bbạn\b") == {}


def test_no_sentence_ends_in_nhe():
    assert offending(r"\bnhé\s*([.!?…,;)]|$)") == {}


def test_no_resident_must_understand_bot_or_menu():
    assert offending(r"\b(bot|menu)\b", resident_only=True) == {}


def test_vietnamese_text_uses_vietnamese_quotation_marks():
    """Straight quotes only inside a command line to type (`--by "Họ và tên"`): the shell's."""
    quoted = offending(r"[\"«»]")
    shell = {k: t for k, t in quoted.items() if re.fullmatch(r'[^"«»]*(--\w+ "[^"]*"[^"«»]*)+', t)}
    assert quoted.keys() - shell.keys() == set()


def test_the_person_is_addressed_only_through_the_communes_form_of_address():
    """A literal "ông/bà", "anh/chị", "bà con" or "quý vị" would ignore the commune's choice."""
    literal = r"\b(ông\s*/\s*bà|anh\s*/\s*chị|bà con|quý vị|ông bà|anh chị)\b"
    assert offending(literal, resident_only=True) == {}


def test_every_string_that_speaks_to_a_resident_names_them():
    """Inviting, thanking, greeting or apologising to a resident names them with {address}."""
    speaks = re.compile(r"\b(Mời|Xin|Cảm ơn|Chào|Kính chào)\b")
    unnamed = {
        key: text
        for key, text in VI.items()
        if speaks.search(text) and not PLACEHOLDER.search(text) and not staff_facing(key)
    }
    assert unnamed == {}


def test_deadlines_say_at_the_latest_on_the_day():
    assert offending(r"trước hết ngày") == {}
    assert "chậm nhất trong ngày" in VI["sla.remind"]
    assert "chậm nhất trong ngày" in VI["fb.sent_petition"]


def test_complaint_is_described_by_the_laws_definition_not_as_disagreement():
    described = VI["fb.ask_kind"]
    assert "trái pháp luật, xâm phạm quyền, lợi ích hợp pháp" in described
    assert "không đồng ý" not in described


def test_the_laws_are_cited_by_number_and_year():
    texts = "\n".join(VI.values())
    assert "Luật Khiếu nại số 02/2011/QH13" in texts
    assert "Luật Tố cáo số 25/2018/QH14" in texts
    assert "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15" in VI["onb.privacy"]
    assert "Nghị định số 356/2025/NĐ-CP" in VI["onb.privacy"]
    assert "13/2023" not in texts


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("kind", sorted(FORMAL_KINDS))
def test_each_formal_kind_has_its_texts(language, kind):
    texts = catalog(language)
    for key in (f"fb.sent_{kind}", f"fb.formal_{kind}", f"fb.ask_name_{kind}",
                f"fb.track_due_{kind}", f"inbox.due_{kind}", f"inbox.formal_{kind}"):  # fmt: skip
        assert key in texts, key


def test_consent_names_each_kind_of_data_its_purpose_and_what_stays():
    consent = VI["onb.privacy"] + "\n" + VI["onb.privacy_keep"]
    for kind in ("Tên", "số tài khoản", "Xóm", "Nội dung phản ánh", "ảnh", "địa chỉ",
                 "vị trí bản đồ", "Họ tên", "Điểm", "câu trả lời khảo sát"):  # fmt: skip
        assert kind in consent, kind
    assert consent.count(": để ") >= 4  # each kind of data with what it is for
    assert "cho đến khi {address} xóa" in consent
    assert f"thay bằng dòng ghi “{VI['fb.erased_text'].strip('()')}”" in consent
    assert "ảnh, địa chỉ, vị trí bản đồ và lời nhận xét bị xóa" in consent
    assert "chỉ giữ số liệu không gắn với ai để thống kê: lĩnh vực, xóm, ngày gửi" in consent
    assert "tên hiển thị" not in consent and "mã tài khoản tin nhắn" not in consent


def test_stopping_and_its_confirmation_agree():
    """/dung stops automatic messages, not answers: the menu line and the reply say the same."""
    assert "mọi tin" not in VI["cmd.dung"]
    assert "tự động" in VI["cmd.dung"] and "tự động" in VI["basics.stopped"]
    assert "vẫn được gửi" in VI["basics.stopped"]


def test_survey_questions_fit_their_answers():
    t = Translator("vi")
    assert [t("survey.yes"), t("survey.no"), t("survey.unknown")] == ["Có", "Không", "Không rõ"]
    labels = [t(f"survey.scale_{n}") for n in range(5, 0, -1)]
    assert labels == ["5 - Rất tốt", "4 - Tốt", "3 - Bình thường", "2 - Kém", "1 - Rất kém"]
    for question in bank().questions.values():
        text = question.text
        assert "bạn" not in text.lower()
        if question.scale == "yes_no":
            assert re.search(r"\bcó\b.*\bkhông\?$", text, re.IGNORECASE), text
        else:
            assert "đánh giá thế nào" in text and text.endswith("?"), text


def test_the_form_of_address_is_one_the_commune_may_choose(tmp_path):
    assert load_commune(None)[0].address == "ông/bà"
    bad = tmp_path / "loaxa.toml"
    sample = resources.files("bot").joinpath("sample_commune.toml")
    bad.write_text(
        sample.read_text(encoding="utf-8").replace('address = "ông/bà"', 'address = "bạn"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"loaxa.toml: address: "):
        load_commune(bad)


@pytest.fixture
def commune():
    return load_commune(None)[0].model_copy(update={"address": "bà con"})


async def test_the_address_setting_changes_what_a_resident_reads(world):
    lan = world.resident("Lan")
    greeting = await lan.says("/start")
    texts = [m.text for m in greeting]
    assert texts[0].startswith("Kính chào bà con! Đây là Loa Xã")
    assert "xin bà con đồng ý" in texts[1]
    assert texts[-1].endswith("Bà con có đồng ý không?")
    assert not any("ông/bà" in text for text in texts)

    final = await onboard(lan)
    assert final[0].text.startswith("Xong. Bà con đã đăng ký.")
    assert final[-1].text.startswith("Bà con cần gì?")
    answer = await lan.says("/phananh")
    assert answer[0].text.startswith("Bà con muốn gửi loại nào?")
    assert "mà bà con cho là trái pháp luật" in answer[0].text
