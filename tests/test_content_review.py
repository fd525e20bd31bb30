"""`loaxa content review` as a real process on a copy of the shipped library: what waits,
marking items reviewed with the reviewer's name and the date, the file otherwise untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from content import load_library
from tests.test_cli import loaxa  # noqa: F401  (runs `python -m bot` in tmp_path)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def library(tmp_path) -> Path:
    folder = tmp_path / "thu-vien"
    shutil.copytree(ROOT / "content" / "library", folder)
    return folder


def test_it_lists_what_waits_for_review(loaxa, library):  # noqa: F811
    done = loaxa("content", "review", "--dir", str(library))
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    assert len(rows) == len(load_library(library)[0].items)  # the whole starter library waits
    assert [
        "01-dan-chu.yaml:8",
        "dcs-luat-2022",
        "dan-chu",
        "Luật Thực hiện dân chủ ở cơ sở",
    ] in rows
    assert f"{len(rows)} bài đang chờ cán bộ xã kiểm tra." in done.stdout


def test_it_marks_items_reviewed_in_their_file_and_keeps_the_rest(loaxa, library):  # noqa: F811
    path = library / "01-dan-chu.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    done = loaxa(
        "content", "review", "dcs-luat-2022", "dcs-trong-tam",
        "--by", "Nguyễn Thị Hoa", "--date", "4/12/2026", "--dir", str(library),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Đã ghi bài dcs-luat-2022 (01-dan-chu.yaml:8) là đã kiểm tra: Nguyễn Thị Hoa, ngày" \
        " 04/12/2026." in done.stdout  # fmt: skip
    after = path.read_text(encoding="utf-8").splitlines()
    added = [line for line in after if line not in before]
    assert added == 2 * [
        "    reviewed: true",
        '    reviewed_by: "Nguyễn Thị Hoa"',
        "    reviewed_on: 04/12/2026",
    ]  # the same three lines for both items, each in place of its "reviewed: false"
    assert len(after) == len(before) + 4
    assert after.count("    reviewed: false") == before.count("    reviewed: false") - 2
    assert after[:3] == before[:3]  # comments kept
    loaded, problems = load_library(library)
    assert problems == []
    item = loaded.item("dcs-luat-2022")
    assert (item.reviewed, item.reviewed_by, str(item.reviewed_on)) == (
        True, "Nguyễn Thị Hoa", "2026-12-04",
    )  # fmt: skip
    assert loaded.item("dcs-phap-lenh-34").reviewed is False  # between the two: untouched
    waiting = loaxa("content", "review", "--dir", str(library))
    assert "dcs-luat-2022" not in waiting.stdout and "dcs-phap-lenh-34" in waiting.stdout
    again = loaxa("content", "review", "dcs-luat-2022", "--by", "Lê Văn Nam", "--dir", str(library))
    assert "đã được kiểm tra trước đó: Nguyễn Thị Hoa, ngày 04/12/2026" in again.stdout


def test_a_refused_review_changes_no_file_and_says_why_in_one_line(loaxa, library):  # noqa: F811
    files = {p: p.read_text(encoding="utf-8") for p in library.glob("*.yaml")}
    cases = [
        (["dcs-luat-2022"], "cần ghi --by"),  # who reviewed it is kept: no name, no review
        (["dcs-luat-2022", "khong-co", "--by", "Hoa"], "thư viện không có bài khong-co"),
        (["sipas-la-gi", "--by", "Hoa"], "văn bản chưa xác minh còn hiệu lực"),
        (["dcs-luat-2022", "--by", "Hoa", "--date", "31/2/2026"], "không phải là ngày"),
    ]
    for args, why in cases:
        done = loaxa("content", "review", *args, "--dir", str(library))
        assert done.returncode == 2 and why in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert {p: p.read_text(encoding="utf-8") for p in library.glob("*.yaml")} == files
