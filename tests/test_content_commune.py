"""The library speaks for any commune: its own facts come from the commune file, texts that
need a fact it has not set are left out, and nothing out of date or of one commune ships."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.config import Plan
from content import check, get_library
from content.checks import DOCUMENT_NUMBER
from content.pulse import bank

ROOT = Path(__file__).resolve().parent.parent
# Everything a resident or a commune office reads of the shipped content: the library, the
# campaigns, the survey questions and every Vietnamese catalog.
SHIPPED = [
    *sorted((ROOT / "content" / "library").glob("*.yaml")),
    ROOT / "content" / "campaigns.yaml",
    *sorted((ROOT / "content" / "surveys").glob("*.yaml")),
    ROOT / "content" / "README.md",
    *sorted((ROOT / "bot" / "locales" / "vi").glob("*.toml")),
]


def test_without_the_commune_s_facts_nothing_of_another_commune_shows():
    library = get_library()
    text = " ".join(f"{i.title} {i.body}" for i in library.items)
    assert "{" not in text and "}" not in text
    plan = library.item("papi-ke-hoach-xa")
    assert plan is not None and "Kế hoạch số" not in plan.body  # its plan paragraph is left out
    assert (
        plan.body
        == "Duy trì, cải thiện và nâng cao Chỉ số PAPI là việc làm thường xuyên, liên tục, lâu dài."
    )
    assert library.item("cchc-mot-cua") is None  # all about the desk the commune has not named


def test_the_commune_file_fills_in_its_plan_website_and_desk(commune):
    ours = commune.model_copy(
        update={
            "plan": Plan(
                title="tuyên truyền nâng cao Chỉ số PAPI năm 2026",
                number="12/KH-UBND",
                signed=date(2026, 1, 15),
            ),
            "website": "https://thanhdinh.example.vn",
            "service_centre": "Trung tâm Phục vụ hành chính công xã Ví Dụ",
        }
    )
    library = get_library(ours.content_facts())
    plan = library.item("papi-ke-hoach-xa").body
    assert plan.startswith(
        "Ủy ban nhân dân xã Ví Dụ có Kế hoạch số 12/KH-UBND ngày 15/01/2026 về tuyên truyền"
        " nâng cao Chỉ số PAPI năm 2026."
    )
    assert "https://thanhdinh.example.vn" in library.item("ck-hinh-thuc").body
    desk = library.item("cchc-mot-cua").body
    assert "Trung tâm Phục vụ hành chính công xã Ví Dụ" in desk
    untitled = ours.model_copy(update={"plan": Plan(title="nâng cao Chỉ số PAPI")})
    body = get_library(untitled.content_facts()).item("papi-ke-hoach-xa").body
    assert "Kế hoạch số" not in body  # no number and date: the sentence is left out


def test_an_unknown_placeholder_is_a_problem_at_its_line(tmp_path):
    (tmp_path / "_documents.yaml").write_text("documents: []\n", encoding="utf-8")
    (tmp_path / "01-thu.yaml").write_text(
        "topic: thu\ntitle: Thử\nitems:\n  - id: mot\n    title: Một\n"
        "    body: Xem {trang_web} của xã.\n    papi: [2]\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in check(tmp_path)]
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{tmp_path / '01-thu.yaml'}:6: unknown placeholder {{trang_web}}"
    )


# The one list of names and documents that must not be presented as current (domain.md,
# "What changed in 2025-2026"), and of wrong official terms.
OUT_OF_DATE = {
    "UBND huyện": "the district level ended on 01/7/2025",
    "huyện": "the district level ended on 01/7/2025",
    "Thanh Định": "one commune's name in a library for any commune",
    "Định Hóa": "one district's name",
    "Thái Nguyên": "one province's documents",
    "XIII": "the 13th Congress as the current one",
    "Đại hội lần thứ 13": "the 14th Congress met in January 2026",
    "Nghị định 13": "replaced by Luật 91/2025/QH15 and Nghị định 356/2025/NĐ-CP",
    "13/2023": "replaced by Luật 91/2025/QH15 and Nghị định 356/2025/NĐ-CP",
    "Một cửa": "now the commune's public-administration service centre",
    "quy chế dân chủ": "since 2023: thực hiện dân chủ ở cơ sở",
    "2021 - 2025": "the environment scheme that has ended",
    "2021-2025": "the environment scheme that has ended",
    "2021 – 2025": "the environment scheme that has ended",
    "3941/QĐ-UBND": "a provincial document issued before the merger",
    "4203/QĐ-UBND": "a provincial document issued before the merger",
    "430/QĐ-UBND": "a provincial document issued before the merger",
    "08-CT/TU": "a provincial directive issued before the merger",
    "28-CT/TU": "a provincial directive issued before the merger",
    "61/2018": "the one-stop desk rules replaced on 01/7/2025",
    "107/2021": "the one-stop desk rules replaced on 01/7/2025",
    "Bộ phận tiếp nhận và trả kết quả": "now the commune's public-administration service centre",
    "chỉ số thành phần": "PAPI's official term is chỉ số nội dung",
    "trước hết ngày": "chậm nhất trong ngày …",
    "trung vị": "plain words: thường là",
    "tiêu chí": "SIPAS's official word is yếu tố",
    "Ban giám sát đầu tư cộng đồng": "Ban giám sát đầu tư của cộng đồng",
}


def test_the_shipped_content_holds_nothing_out_of_date():
    found = []
    for path in SHIPPED:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue  # editors' notes may say what was left out and why
            for words, why in OUT_OF_DATE.items():
                if re.search(rf"(?<!\w){re.escape(words)}(?!\w)", line, re.IGNORECASE):
                    found.append(f"{path.name}:{number}: {words!r} ({why})")
    assert found == []


def test_residents_are_never_called_ban_in_the_library():
    library = get_library()
    texts = [f"{i.title} {i.body}" for i in library.items]
    texts += [f"{i.quiz.question} {i.quiz.explanation}" for i in library.items if i.quiz]
    catalog = (ROOT / "bot" / "locales" / "vi" / "library.toml").read_text(encoding="utf-8")
    informal = re.compile(r"\b(bạn|nhé|bot)\b", re.IGNORECASE)
    assert [t for t in [*texts, *catalog.splitlines()] if informal.search(t)] == []


def test_every_shipped_text_uses_vietnamese_quotation_marks():
    library = get_library()
    texts = [f"{i.title} {i.body}" for i in library.items]
    texts += [
        " ".join([i.quiz.question, *i.quiz.options, i.quiz.explanation])
        for i in library.items
        if i.quiz
    ]
    texts += [question.text for question in bank().questions.values()]
    assert [text for text in texts if '"' in text or "'" in text] == []


def test_every_shipped_item_that_states_the_law_names_its_source():
    library = get_library()
    states_law = re.compile(r"\b(Luật|Nghị định|Pháp lệnh|Quyết định số)\b|\d/\d{4}/Q")
    stating = [i for i in library.items if states_law.search(f"{i.title} {i.body}")]
    assert len(stating) >= 9
    assert [i.id for i in stating if i.source is None] == []
    listed = {doc.number for doc in library.documents.values()}
    cited = {n for i in library.items for n in DOCUMENT_NUMBER.findall(i.body)}
    assert "10/2022/QH15" in cited and cited <= listed  # nothing cited that is not listed
