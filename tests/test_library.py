"""The outreach library: the shipped files, the validator on a broken library, the CLI, storage."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.text import fold
from content import check, get_library, load_library, show_date
from content.checks import BODY_MAX, PAPI_DIMENSIONS
from content.schema import parse_date
from storage import Storage

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "fixtures" / "broken_library"

# What the issue asks the starter library to cover: a topic id and words its text must contain.
REQUIRED_TOPICS = {
    "dan-chu": ["Luật Thực hiện dân chủ ở cơ sở", "34/2007/PL-UBTVQH11"],
    "phuong-cham": ["Dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng"],
    "papi": ["PAPI", "8 chỉ số nội dung"],
    "sipas": ["SIPAS", "5 yếu tố"],
    "cchc": ["cải cách hành chính"],
    "moi-truong": ["72/2020/QH14"],
    "dat-dai": ["31/2024/QH15"],
    "nuoc": ["28/2023/QH15"],
    "van-hoa-cv": ["1847/QĐ-TTg"],
    "tham-nhung": ["tham nhũng"],
}


# ---- the shipped library ------------------------------------------------------------------


def test_the_shipped_library_has_no_problems():
    assert [str(p) for p in check()] == []


def test_the_shipped_library_is_big_enough_and_all_unreviewed():
    library = get_library()
    items = library.items
    assert len(items) >= 30
    assert sum(1 for item in items if item.quiz) >= 20
    assert all(item.reviewed is False for item in items)
    assert all(len(item.body) <= BODY_MAX for item in items)


def test_every_topic_the_issue_lists_is_covered():
    library = get_library()
    for topic_id, phrases in REQUIRED_TOPICS.items():
        topic = library.topic(topic_id)
        assert topic is not None, topic_id
        text = " ".join(f"{i.title} {i.body}" for i in topic.items)
        for phrase in phrases:
            assert phrase in text, (topic_id, phrase)


def test_every_papi_dimension_has_an_item_and_every_topic_a_quiz():
    library = get_library()
    dimensions = {number for item in library.items for number in item.papi}
    assert dimensions == set(PAPI_DIMENSIONS)
    assert set(library.quizzes_by_topic()) == {t.id for t in library.topics}


def test_the_replaced_ordinance_appears_only_as_replaced():
    library = get_library()
    citing = [i for i in library.items if "34/2007" in f"{i.title} {i.body}"]
    assert citing
    for item in citing:
        assert "thay thế" in item.body
        assert "10/2022/QH15" in item.body
    sourced = [i for i in library.items if i.source == "pl-34-2007"]
    assert [i.superseded_by for i in sourced] == ["luat-dcs-2022"]


def test_documents_flagged_verify_are_cited_only_by_unreviewed_items():
    library = get_library()
    unverified = {d.id for d in library.documents.values() if d.verify}
    assert "qd-2640-2017" in unverified
    assert not [i.id for i in library.items if i.source in unverified and i.reviewed]


def test_quiz_answers_are_options_that_read_differently_without_accents():
    for item in get_library().items:
        if item.quiz:
            assert item.quiz.answer in item.quiz.options
            folded = [fold(option) for option in item.quiz.options]
            assert len(set(folded)) == len(folded), item.id


def test_button_data_of_every_item_fits_telegram():
    for item in get_library().items:
        assert len(f"tl:ans:{item.id}:9".encode()) <= 64


def test_dates_are_read_and_written_the_vietnamese_way():
    assert show_date(parse_date("1/7/2023")) == "01/7/2023"
    assert show_date(parse_date("9/1/2015")) == "09/01/2015"
    assert show_date(parse_date("24/2/2021")) == "24/02/2021"
    assert show_date(parse_date("14/12/2018")) == "14/12/2018"
    with pytest.raises(ValueError):
        parse_date("31/2/2021")


# ---- a broken library: each kind of mistake at its own line -------------------------------

EXPECTED = [
    ("01-hong.yaml", 13, "papi: input should be a valid list"),
    ("01-hong.yaml", 14, "unknown field 'tieu_de'"),
    ("01-hong.yaml", 18, "body has 923 characters; at most 800"),
    ("01-hong.yaml", 28, "quiz answer 'Ba' is not one of the options"),
    ("01-hong.yaml", 35, "link 'ftp//khong-phai-dia-chi' is not a web address"),
    ("01-hong.yaml", 40, "which was replaced by luat-moi: set superseded_by: luat-moi"),
    ("01-hong.yaml", 43, "duplicate id 'dung' (first at 01-hong.yaml:5)"),
    ("01-hong.yaml", 53, "unknown PAPI dimension 9"),
    ("01-hong.yaml", 57, "names 34/2007/PL-UBTVQH11, replaced by luat-moi, without saying so"),
    ("01-hong.yaml", 63, "states the law without a source: name the document it comes from"),
    ("01-hong.yaml", 68, "cites 4203/QĐ-UBND, which is not in _documents.yaml"),
    ("02-cu-phap.yaml", 7, "not valid YAML"),
]


@pytest.mark.parametrize(("name", "line", "message"), EXPECTED)
def test_the_broken_library_reports_each_mistake_at_its_line(name, line, message):
    found = [str(p) for p in check(BROKEN)]
    prefix = f"{BROKEN / name}:{line}: "
    assert any(p.startswith(prefix) and message in p for p in found), found


def test_the_broken_library_reports_nothing_else_and_keeps_only_the_sound_item():
    library, problems = load_library(BROKEN)
    assert len(problems) == len(EXPECTED)
    assert [item.id for item in library.items] == ["dung"]


def test_a_superseded_source_passes_once_the_text_says_it_was_replaced(tmp_path):
    for name in ("_documents.yaml",):
        (tmp_path / name).write_text((BROKEN / name).read_text(encoding="utf-8"), "utf-8")
    (tmp_path / "01-x.yaml").write_text(
        "topic: x\ntitle: X\nitems:\n  - id: cu\n    title: Văn bản cũ\n"
        "    body: Pháp lệnh 34/2007 đã được thay thế bằng Luật số 10/2022/QH15.\n"
        "    source: phap-lenh-cu\n    superseded_by: luat-moi\n    papi: [1]\n",
        "utf-8",
    )
    assert check(tmp_path) == []
    text = (tmp_path / "01-x.yaml").read_text("utf-8").replace("đã được thay thế bằng", "và")
    (tmp_path / "01-x.yaml").write_text(text, "utf-8")
    assert [p.line for p in check(tmp_path)] == [6, 6]  # "say it was replaced", at the body


def test_a_reviewed_item_may_not_cite_a_document_to_verify(tmp_path):
    (tmp_path / "_documents.yaml").write_text(
        "documents:\n  - id: nd\n    cite: Nghị định số 04/2015/NĐ-CP ngày 09/01/2015\n"
        "    number: 04/2015/NĐ-CP\n    date: 09/01/2015\n    verify: true\n",
        "utf-8",
    )
    (tmp_path / "01-x.yaml").write_text(
        "topic: x\ntitle: X\nitems:\n  - id: a\n    title: A\n    body: B\n"
        "    source: nd\n    papi: [1]\n    reviewed: true\n    reviewed_by: Hoa\n"
        "    reviewed_on: 04/12/2026\n",
        "utf-8",
    )
    assert [(p.line, "verified first" in p.message) for p in check(tmp_path)] == [(9, True)]


def test_a_reviewed_item_says_who_reviewed_it_and_when(tmp_path):
    (tmp_path / "_documents.yaml").write_text("documents: []\n", "utf-8")
    (tmp_path / "01-x.yaml").write_text(
        "topic: x\ntitle: X\nitems:\n  - id: a\n    title: A\n    body: B\n"
        "    papi: [1]\n    reviewed: true\n",
        "utf-8",
    )
    assert [(p.line, "needs reviewed_by" in p.message) for p in check(tmp_path)] == [(8, True)]


def test_a_citation_must_show_its_number_and_date(tmp_path):
    (tmp_path / "_documents.yaml").write_text(
        "documents:\n  - id: qd\n    cite: Quyết định số 430/QĐ-UBND ngày 24/2/2021\n"
        "    number: 430/QĐ-UBND\n    date: 24/02/2021\n",
        "utf-8",
    )
    problems = check(tmp_path)
    assert [(p.line, p.message) for p in problems] == [
        (3, "cite does not contain the date 'ngày 24/02/2021'")
    ]


def test_a_missing_folder_is_one_problem(tmp_path):
    assert [p.message for p in check(tmp_path / "nowhere")] == ["no such folder"]


# ---- the command line ---------------------------------------------------------------------


def _loaxa(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env |= {"PYTHONPATH": str(ROOT), "PYTHONUTF8": "1", "LOAXA_DB": str(tmp_path / "x.db")}
    env["LOAXA_LANGUAGE"] = "en"  # the assertions read English
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
    )


def test_content_check_passes_on_the_shipped_library(tmp_path):
    done = _loaxa(tmp_path, "content", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout
    # The bundled sample commune sets none of its own facts: the officer is told what is left out.
    assert (
        "Tệp cấu hình của xã Ví Dụ chưa ghi: plan_date, plan_number, plan_title,"
        " service_centre, website." in done.stdout
    )


def test_content_check_prints_file_line_message_and_exits_1(tmp_path):
    done = _loaxa(tmp_path, "content", "check", "--dir", str(BROKEN))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == len(EXPECTED)
    assert f"{BROKEN / '01-hong.yaml'}:28: quiz answer 'Ba' is not one of the options" in lines


def test_content_list_unreviewed_lists_every_shipped_item(tmp_path):
    done = _loaxa(tmp_path, "content", "list", "--unreviewed")
    assert done.returncode == 0
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert len(rows) == len(load_library()[0].items)  # every item, whatever the commune sets
    assert all(row[3] == "unreviewed" for row in rows)
    assert all(re.fullmatch(r"\d\d-[a-z-]+\.yaml:\d+", row[0]) for row in rows)


# ---- storage: reads and answers -----------------------------------------------------------


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    try:
        yield opened
    finally:
        await opened.close()


async def _resident(store: Storage, user_id: str) -> int:
    return (await store.residents.register("telegram", user_id, user_id, "X", "vi")).id


async def test_reads_and_answers_are_counted_by_topic(store):
    lan, hoa = await _resident(store, "1"), await _resident(store, "2")
    await store.content.record_read(lan, "a1", "a")
    await store.content.record_read(lan, "a1", "a")
    await store.content.record_read(hoa, "a1", "a")
    await store.content.record_read(hoa, "b1", "b")
    reads = await store.content.reads_by_topic()
    assert reads == {"a": (2, 2), "b": (1, 1)}
    count = await store.db.fetchval(
        "SELECT read_count FROM content_reads WHERE resident_id = ? AND item_id = 'a1'", (lan,)
    )
    assert count == 2
    assert await store.content.items_read(hoa) == {"a1", "b1"}

    await store.content.record_answer(lan, "a1", "a", "Hai", False)
    await store.content.record_answer(lan, "a1", "a", "Một", True)  # changed: one row remains
    await store.content.record_answer(hoa, "a1", "a", "Hai", False)
    await store.content.record_answer(hoa, "b1", "b", "Có", True)
    assert await store.content.answers(lan) == {"a1": True}
    assert await store.content.answers_by_topic() == {"a": (1, 1), "b": (1, 0)}
    assert await store.content.answers_by_item() == {"a1": (1, 1), "b1": (1, 0)}


async def test_a_topic_is_known_when_every_quiz_of_it_is_answered_right(store):
    lan = await _resident(store, "1")
    quizzes = {"a": {"a1", "a2"}, "b": {"b1"}}
    await store.content.record_answer(lan, "a1", "a", "x", True)
    await store.content.record_answer(lan, "b1", "b", "x", True)
    assert await store.content.topics_known(lan, quizzes) == {"b"}
    await store.content.record_answer(lan, "a2", "a", "x", True)
    assert await store.content.topics_known(lan, quizzes) == {"a", "b"}
    await store.content.record_answer(lan, "b1", "b", "y", False)
    assert await store.content.topics_known(lan, quizzes) == {"a"}


async def test_report_counts_can_start_at_a_moment(store):
    lan = await _resident(store, "1")
    old, new = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    await store.content.record_read(lan, "a1", "a", at=old)
    await store.content.record_answer(lan, "a1", "a", "x", True, at=old)
    await store.content.record_read(lan, "b1", "b", at=new)
    since = datetime(2025, 3, 1, tzinfo=UTC)
    assert await store.content.reads_by_topic(since) == {"b": (1, 1)}
    assert await store.content.answers_by_topic(since) == {}


async def test_erasing_a_resident_keeps_anonymous_counts_and_a_hard_delete_cascades(store):
    lan = await _resident(store, "1")
    await store.content.record_read(lan, "a1", "a")
    await store.content.record_answer(lan, "a1", "a", "x", True)
    await store.residents.erase(lan)
    assert await store.content.reads_by_topic() == {"a": (1, 1)}
    async with store.db.transaction() as conn:
        await conn.execute("DELETE FROM residents WHERE id = ?", (lan,))
    assert await store.content.reads_by_topic() == {}
    assert await store.content.answers_by_topic() == {}
