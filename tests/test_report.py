"""The period report (.docx): the decree's layout, every number of the dataset, no sender."""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.shared import Pt

from bot.config import Plan
from bot.report.build import build_report
from storage import Storage
from tests.report_seed import SECRET, seed
from tests.test_cli import loaxa  # noqa: F401  (runs `python -m bot` in tmp_path)

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
async def report(tmp_path, commune, caplog):
    caplog.set_level(logging.ERROR, logger="bot.i18n")
    store = await Storage.open(tmp_path / "report.db")
    try:
        await seed(store)
        data = await build_report(store, commune, *NOVEMBER, today=date(2026, 12, 1))
    finally:
        await store.close()
    assert not [r for r in caplog.records if "catalog key" in r.getMessage()]
    return data


def paragraphs(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_header_block_and_the_page(report):
    doc = Document(io.BytesIO(report))
    section = doc.sections[0]
    size = (section.page_width, section.page_height, section.left_margin, section.right_margin)
    assert [round(length.mm) for length in size] == [210, 297, 30, 15]  # A4, stored in twips
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size == Pt(14)
    left, right = doc.tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == [
        "ỦY BAN NHÂN DÂN", "XÃ VÍ DỤ", "Số:        /BC-UBND",
    ]  # fmt: skip
    lines = [p for p in right.paragraphs if p.text]
    assert [p.text for p in lines[:2]] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
    ]  # fmt: skip
    place = lines[2]
    assert place.text.startswith("Ví Dụ, ngày") and place.text.endswith("tháng 12 năm 2026")
    assert all(run.italic for run in place.runs)
    assert all(run.bold for run in lines[0].runs)
    text = paragraphs(doc)
    assert text[0] == "BÁO CÁO"
    assert text[1].startswith("Kết quả thực hiện kế hoạch tuyên truyền duy trì, cải thiện và")
    assert "(PAPI) xã Ví Dụ năm 2026" in text[1]
    assert text[2] == "(Từ ngày 01/11/2026 đến ngày 30/11/2026)"


def test_every_figure_of_the_period(report):
    doc = Document(io.BytesIO(report))
    text = paragraphs(doc)
    for line in (
        "I. KẾT QUẢ THỰC HIỆN",
        "- Đã gửi 6 tin tuyên truyền, thông báo, mời khảo sát tới 3 người dân; 1 tài khoản không"
        " nhận được tin (đã chặn hoặc ngừng sử dụng).",
        "- Số người dân đăng ký nhận tin đến cuối kỳ: 5 người, trong đó đăng ký mới trong kỳ:"
        " 3 người.",
        "- 2 người dân đã đọc tài liệu tuyên truyền; câu hỏi tìm hiểu: 1/2 câu trả lời đúng (50%)."
        " Kết quả theo chủ đề:",
        "- Tiếp nhận 10 phản ánh, kiến nghị; đã giải quyết xong 5, trong đó đúng hạn 2 (40%);"
        " thời gian giải quyết thường là 3 ngày làm việc.",
        "- Đến cuối kỳ còn 2 phản ánh, kiến nghị quá hạn chưa giải quyết. Kết quả theo lĩnh vực:",
        "- 6 người dân đã hoàn thành khảo sát. Tỷ lệ trả lời tích cực theo chỉ số nội dung:",
        "- Đã đăng công khai 2 văn bản: Thu, chi ngân sách: 1; Quy hoạch, kế hoạch sử dụng đất: 1.",
        "- 2 người dân đã nhận hoặc xem văn bản công khai.",
        "- 1 văn bản đã được thu hồi trong kỳ (có lưu hồ sơ người thu hồi, thời gian, lý do).",
        "II. TỒN TẠI, HẠN CHẾ",
        "- Còn 2 phản ánh, kiến nghị quá hạn chưa giải quyết; 3 phản ánh giải quyết trễ hạn.",
        # 3 or 4 ratings each, under the commune's minimum of 5: no factor is called a
        # shortcoming on so few answers; the report says they are too few.
        "- Số ý kiến đánh giá còn ít (dưới 5 ý kiến), chưa đủ để kết luận về mức độ hài lòng ở"
        " yếu tố: Tiếp cận dịch vụ; Thủ tục; Sự phục vụ của công chức; Kết quả; Tiếp nhận, xử lý"
        " góp ý.",
        "- Một số xóm còn ít người dân tham gia qua hệ thống: Xóm 4 (0 người đăng ký, 0 lượt"
        " tham gia); Xóm 5 (0 người đăng ký, 0 lượt tham gia); Xóm 6 (0 người đăng ký, 0 lượt"
        " tham gia).",
        "III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
    ):
        assert line in text, f"{line!r} missing"
    direction = text[text.index("III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI") + 1]
    assert direction.startswith("Tiếp tục tuyên truyền các nội dung của Kế hoạch")  # commune file
    tables = [cells(t) for t in doc.tables]
    by_category = next(t for t in tables if t[0][0] == "Lĩnh vực")
    assert ["Môi trường", "3", "3", "2", "0"] in by_category
    assert ["Thủ tục hành chính", "2", "1", "0", "1"] in by_category
    assert by_category[-1] == ["Tổng cộng", "10", "5", "2", "2"]
    sipas = next(t for t in tables if t[0][0] == "Yếu tố")
    assert ["Tiếp cận dịch vụ", "3", "4,0", "67%"] in sipas
    assert ["Sự phục vụ của công chức", "3", "2,3", "0%"] in sipas
    assert ["Tiếp nhận, xử lý góp ý", "4", "2,8", "25%"] in sipas
    assert ["Đánh giá chung (1 câu)", "2", "3,5", "50%"] in sipas
    pulse = next(
        t for t in tables if t[0] == ["Chỉ số nội dung PAPI", "Số câu trả lời", "Trả lời tích cực"]
    )
    assert pulse[1:] == [
        ["Tham gia của người dân ở cấp cơ sở", "6", "67%"],
        ["Công khai, minh bạch trong việc ra quyết định ở địa phương", "5", "60%"],
        ["Kiểm soát tham nhũng trong khu vực công", "5", "80%"],
    ]
    topics = next(t for t in tables if t[0][0] == "Chủ đề")
    assert ["Công khai, minh bạch", "2", "1", "2"] in topics


def test_the_signature_block(report):
    doc = Document(io.BytesIO(report))
    left, right = doc.tables[-1].rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:"
    assert left.paragraphs[-1].text == "- Lưu: VT, VP."
    signed = [p.text for p in right.paragraphs if p.text]
    assert signed == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "(Họ và tên)"]  # never a guessed name
    assert not [p for p in paragraphs(doc) if "Tỷ lệ hài lòng còn dưới" in p]
    closing = paragraphs(doc)[-1]
    assert closing.startswith("Trên đây là báo cáo") and closing.endswith("./.")


async def test_the_chairman_and_the_recipients_come_from_the_commune_file(tmp_path, commune):
    named = commune.model_copy(update={"report": commune.report.model_copy(update={
        "chairman_name": "Nguyễn Văn Chủ Tịch", "recipients": ["UBND tỉnh;", "Lưu: VT."],
        "direction": "Đoạn thứ nhất.\nĐoạn thứ hai."})})  # fmt: skip
    store = await Storage.open(tmp_path / "named.db")
    try:
        data = await build_report(store, named, *NOVEMBER, today=date(2026, 12, 1),
                                  signed_on=date(2026, 12, 4))  # fmt: skip
    finally:
        await store.close()
    doc = Document(io.BytesIO(data))
    left, right = doc.tables[-1].rows[0].cells
    assert [p.text for p in left.paragraphs][1:] == ["- UBND tỉnh;", "- Lưu: VT."]
    assert [p.text for p in right.paragraphs if p.text][-1] == "Nguyễn Văn Chủ Tịch"
    place = [p.text for p in doc.tables[0].rows[0].cells[1].paragraphs if p.text][2]
    assert place == "Ví Dụ, ngày 04 tháng 12 năm 2026"
    text = paragraphs(doc)
    assert "Đoạn thứ nhất." in text and "Đoạn thứ hai." in text
    assert "- Trong kỳ chưa có ý kiến đánh giá." in text  # an empty period says so


def test_the_report_never_names_an_anonymous_sender(report):
    with zipfile.ZipFile(io.BytesIO(report)) as docx:
        xml = "".join(docx.read(n).decode("utf-8") for n in docx.namelist() if n.endswith(".xml"))
    assert "Thủ tục hành chính" in xml  # the anonymous item's category is counted...
    assert SECRET not in xml and "Xuân" not in xml  # ...its sender is nowhere


def test_the_cli_writes_the_report_and_the_digest(loaxa, tmp_path):  # noqa: F811
    async def prepare() -> None:
        store = await Storage.open(tmp_path / "loaxa.db")
        try:
            await seed(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    done = loaxa("report", "--from", "01/11/2026", "--to", "2026-11-30", "--out", "bc/r.docx")
    assert done.returncode == 0, done.stderr
    doc = Document(str(tmp_path / "bc" / "r.docx"))
    assert "BÁO CÁO" in paragraphs(doc)
    bad = loaxa("report", "--from", "2026-12-01", "--to", "2026-11-01", "--out", "x.docx")
    assert bad.returncode == 2 and "after" in bad.stderr
    done = loaxa("digest", "--week", "2026-W48", "--out", "tuan")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "tuan").iterdir())
    assert names == [f"bao-cao-tuan-2026-W48.{ext}" for ext in ("png", "txt", "xlsx")]
    printed = loaxa("digest", "--week", "2026-W48", "--send")
    assert printed.returncode == 0, printed.stderr
    assert "nhận 5 (+2)" in printed.stdout and "queued 3 messages" in printed.stdout
    assert loaxa("digest", "--week", "next").returncode == 2


def test_pages_are_numbered_from_the_second(report):
    """Nghị định 30/2020, Phụ lục I: a page number at the top, centred, not on page 1."""
    with zipfile.ZipFile(io.BytesIO(report)) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        headers = {n: docx.read(n).decode("utf-8") for n in docx.namelist() if "header" in n}
    assert "<w:titlePg/>" in document  # the first page has its own header
    numbered = [xml for xml in headers.values() if 'w:instr="PAGE"' in xml]
    assert len(numbered) == 1 and '<w:jc w:val="center"/>' in numbered[0]
    first = Document(io.BytesIO(report)).sections[0].first_page_header
    assert not first.is_linked_to_previous and all(not p.text for p in first.paragraphs)


async def test_the_report_names_whom_it_reports_to_and_the_plan(tmp_path, commune):
    """The opening cites the commune's plan by number and date and names the province's
    body the report goes to; "Nơi nhận" starts with that body."""
    planned = commune.model_copy(update={
        "reports_to": "Sở Nội vụ tỉnh Mẫu",
        "plan": Plan(title="tuyên truyền nâng cao Chỉ số PAPI năm 2026", number="12/KH-UBND",
                     signed=date(2026, 1, 15)),
    })  # fmt: skip
    store = await Storage.open(tmp_path / "planned.db")
    try:
        data = await build_report(store, planned, *NOVEMBER, today=date(2026, 12, 1))
        plain = await build_report(store, commune, *NOVEMBER, today=date(2026, 12, 1))
    finally:
        await store.close()
    doc = Document(io.BytesIO(data))
    opening = next(p for p in paragraphs(doc) if p.startswith("Thực hiện"))
    assert opening == (
        "Thực hiện Kế hoạch số 12/KH-UBND ngày 15/01/2026 của Ủy ban nhân dân xã Ví Dụ về"
        " tuyên truyền nâng cao Chỉ số PAPI năm 2026, Ủy ban nhân dân xã Ví Dụ báo cáo Sở"
        " Nội vụ tỉnh Mẫu kết quả thực hiện từ ngày 01/11/2026 đến ngày 30/11/2026 như"
        " sau:"
    )
    left = doc.tables[-1].rows[0].cells[0]
    assert left.paragraphs[1].text == "- Sở Nội vụ tỉnh Mẫu (báo cáo);"
    text = "\n".join(paragraphs(Document(io.BytesIO(plain))))
    assert "báo cáo kết quả thực hiện từ ngày 01/11/2026" in text  # nobody named, none guessed
    assert "huyện" not in text and "Kế hoạch số" not in text
