"""The library speaks for any commune: its own facts come from the commune file, texts that
need a fact it has not set are left out, and nothing out of date or of one commune ships."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.config import Plan
from content import check, get_library

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    *sorted((ROOT / "content" / "library").glob("*.yaml")),
    ROOT / "content" / "campaigns.yaml",
    ROOT / "content" / "README.md",
    ROOT / "bot" / "locales" / "vi" / "library.toml",
    ROOT / "bot" / "locales" / "vi" / "reports.toml",
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
            "service_centre": "Trung tâm Phục vụ hành chính công xã Thanh Định",
        }
    )
    library = get_library(ours.content_facts())
    plan = library.item("papi-ke-hoach-xa").body
    assert plan.startswith(
        "Ủy ban nhân dân xã Thanh Định có Kế hoạch số 12/KH-UBND ngày 15/01/2026 về tuyên truyền"
        " nâng cao Chỉ số PAPI năm 2026."
    )
    assert "https://thanhdinh.example.vn" in library.item("ck-hinh-thuc").body
    desk = library.item("cchc-mot-cua").body
    assert "Trung tâm Phục vụ hành chính công xã Thanh Định" in desk
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


OUT_OF_DATE = {
    "UBND huyện": "the district level ended on 01/7/2025",
    "huyện": "the district level ended on 01/7/2025",
    "Thanh Định": "one commune's name in a library for any commune",
    "Định Hóa": "one district's name",
    "Thái Nguyên": "one province's documents",
    "XIII": "the 13th Congress as the current one",
    "13/2023": "replaced by Luật 91/2025/QH15 and Nghị định 356/2025/NĐ-CP",
    "Một cửa": "now the commune's public-administration service centre",
    "quy chế dân chủ": "since 2023: thực hiện dân chủ ở cơ sở",
    "2021 - 2025": "the environment scheme that has ended",
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
                if words.casefold() in line.casefold():
                    found.append(f"{path.name}:{number}: {words!r} ({why})")
    assert found == []


def test_residents_are_never_called_ban_in_the_library():
    library = get_library()
    texts = [f"{i.title} {i.body}" for i in library.items]
    texts += [f"{i.quiz.question} {i.quiz.explanation}" for i in library.items if i.quiz]
    catalog = (ROOT / "bot" / "locales" / "vi" / "library.toml").read_text(encoding="utf-8")
    informal = re.compile(r"\b(bạn|nhé|bot)\b", re.IGNORECASE)
    assert [t for t in [*texts, *catalog.splitlines()] if informal.search(t)] == []
