"""The period report as a Word file laid out per Nghị định 30/2020/NĐ-CP (công tác văn thư).

Header block in two columns (issuing body and number | national name, motto, place and
date in italics), "BÁO CÁO" and its title, the body (bot/report/sections.py), the closing
line, then "Nơi nhận:" beside the signature block "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH" and the
chairman's name from the commune file, or a placeholder: a name is never guessed. The body
the commune reports to (the commune file's `reports_to`, a body of the province since the
district level ended) is named in the opening and heads "Nơi nhận"; the commune's plan, when
the commune file gives it, is cited by number and date in the opening. Pages are numbered in
the header, centred, from page 2 (the decree's Phụ lục I: not on the first page).
Times New Roman, 14 pt body (13 pt header lines, 12 pt tables), A4 with the decree's
margins (top and bottom 20 mm, left 30 mm, right 15 mm). Every phrase comes from the catalog.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt

from bot.config import Commune
from bot.digest.data import Figures
from bot.i18n import Translator
from bot.report.sections import Block, Body, Table
from content import Library

FONT = "Times New Roman"
BODY_PT, HEADER_PT, TABLE_PT, RECIPIENTS_PT = 14, 13, 12, 11
INDENT = Cm(1.27)
CONTENT_WIDTH = Mm(210 - 30 - 15)  # A4 less the left and right margins
CENTER, JUSTIFY, LEFT = (
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
    WD_ALIGN_PARAGRAPH.LEFT,
)


def document_date(day: date | None, today: date) -> tuple[str, str, str]:
    """Day, month and year as the decree writes them: 05, 02 (January and February), 12.

    Without a signing day the day is left blank for the signer, as in the plan itself.
    """
    shown = day or today
    month = f"{shown.month:02d}" if shown.month < 3 else str(shown.month)
    return (f"{day.day:02d}" if day else "\u00a0" * 6), month, str(shown.year)


def report_docx(
    fig: Figures,
    commune: Commune,
    library: Library,
    t: Translator,
    *,
    today: date,
    signed_on: date | None = None,
) -> bytes:
    """Write the period report and return the .docx bytes."""
    doc = Document()
    _page(doc)
    _header(doc, commune, t, document_date(signed_on, today))
    period = fig.period
    first, last = _vn_date(period.first), _vn_date(period.last)
    where = commune.display_name
    _para(doc, t("reports.doc_type"), bold=True, align=CENTER, before=12)
    _para(
        doc, t("reports.doc_title", commune=where, year=period.last.year), bold=True, align=CENTER
    )
    _para(doc, t("reports.doc_period", first=first, last=last), align=CENTER)
    _short_line(doc.add_paragraph(), Cm(6.0))
    _para(doc, _opening(commune, t, first, last), indent=True)
    _para(doc, t("reports.doc_data_note"), indent=True, italic=True)
    for block in Body(fig, commune, library, t).blocks():
        _block(doc, block)
    closing = _para(doc, t("reports.doc_closing", commune=where), indent=True)
    closing.paragraph_format.keep_with_next = True
    _signature(doc, commune, t)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _opening(commune: Commune, t: Translator, first: str, last: str) -> str:
    """The opening sentence: which plan the report answers and whom it reports to."""
    where, plan = commune.display_name, commune.plan
    if plan is not None and plan.number and plan.signed:
        cited = t(
            "reports.doc_intro_plan",
            number=plan.number,
            date=_vn_date(plan.signed),
            commune=where,
            title=plan.title,
        )
    elif plan is not None:
        cited = t("reports.doc_intro_plan_title", commune=where, title=plan.title)
    else:
        cited = t("reports.doc_intro_any_plan", commune=where)
    key = "reports.doc_intro_to" if commune.reports_to else "reports.doc_intro"
    return t(key, plan=cited, commune=where, to=commune.reports_to, first=first, last=last)


def _vn_date(day: date) -> str:
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    _page_numbers(section)


def _page_numbers(section) -> None:
    """Number the pages from 2: a PAGE field centred in the header, none on the first page."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # its own, empty header
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = _run(paragraph, "2", size=HEADER_PT)  # the shown value until the reader updates it
    run._element.getparent().remove(run._element)
    field.append(run._element)
    paragraph._p.append(field)


def _run(paragraph, text: str, *, size=BODY_PT, bold=False, italic=False):
    run = paragraph.add_run(text)
    run.font.name, run.font.size = FONT, Pt(size)
    run.font.bold, run.font.italic = bold, italic
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return run


def _para(
    target,
    text: str,
    *,
    size=BODY_PT,
    bold=False,
    italic=False,
    align=JUSTIFY,
    indent=False,
    before=0,
    after=6,
):
    paragraph = target.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = INDENT
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _short_line(paragraph, width, container=CONTENT_WIDTH) -> None:
    """Draw the short rule the decree puts under a heading: an indented bottom border."""
    paragraph.alignment = CENTER
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), Pt(4)
    fmt.left_indent = fmt.right_indent = Emu(max(0, (container - width) // 2))
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().append(border)


def _cell_line(cell, text: str, *, size=HEADER_PT, bold=False, italic=False, first=False):
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.alignment = CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _header(doc, commune: Commune, t: Translator, when: tuple[str, str, str]) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [6.0, 10.5])
    left, right = table.rows[0].cells
    _cell_line(left, t("reports.doc_body_upper"), bold=True, first=True)
    _cell_line(left, commune.display_name.upper(), bold=True)
    _cell_rule(left, Cm(2.5), Cm(6.0))
    _cell_line(left, t("reports.doc_number"))
    _cell_line(right, t("reports.doc_nation"), size=12, bold=True, first=True)
    _cell_line(right, t("reports.doc_motto"), bold=True)
    _cell_rule(right, Cm(5.5), Cm(10.5))
    day, month, year = when
    _cell_line(
        right,
        t("reports.doc_place_date", place=commune.name, day=day, month=month, year=year),
        size=BODY_PT,
        italic=True,
    )


def _cell_rule(cell, width, cell_width) -> None:
    _short_line(cell.add_paragraph(), width, cell_width)


def _widths(table, centimetres) -> None:
    """Fix column widths (Word reads the cells, LibreOffice the grid: set both)."""
    table.autofit = False
    for column, width in zip(table.columns, centimetres, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _block(doc, block: Block) -> None:
    if isinstance(block, Table):
        _table(doc, block)
    elif block.kind == "part":
        _para(doc, block.text, bold=True, align=LEFT, before=6)
    elif block.kind == "section":
        _para(doc, block.text, bold=True, align=LEFT, indent=True)
    else:
        _para(doc, block.text, indent=True)


def _table(doc, block: Table) -> None:
    table = doc.add_table(rows=1, cols=len(block.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, block.headers, strict=True):
        _cell_line(cell, text, size=TABLE_PT, bold=True, first=True)
    rows = [(row, False) for row in block.rows]
    if block.total:
        rows.append((block.total, True))
    for values, bold in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            line = _cell_line(cell, text, size=TABLE_PT, bold=bold, first=True)
            line.alignment = LEFT if index < block.text_columns else CENTER
    if block.widths:
        _widths(table, block.widths)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _signature(doc, commune: Commune, t: Translator) -> None:
    table = doc.add_table(rows=1, cols=2)
    _widths(table, [8.0, 8.5])
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # one page
    left, right = table.rows[0].cells
    title = _cell_line(
        left, t("reports.doc_recipients_title"), size=12, bold=True, italic=True, first=True
    )
    title.alignment = LEFT
    lines = commune.report.recipients or t("reports.doc_recipients_default").split("\n")
    if commune.reports_to and not any(commune.reports_to in line for line in lines):
        lines = [t("reports.doc_recipient_reports_to", to=commune.reports_to), *lines]
    for line in lines:
        _cell_line(
            left, f"- {line.strip().removeprefix('- ')}", size=RECIPIENTS_PT
        ).alignment = LEFT
    _cell_line(right, t("reports.doc_sign_on_behalf"), size=HEADER_PT, bold=True, first=True)
    _cell_line(right, t("reports.doc_sign_title"), size=HEADER_PT, bold=True)
    for _ in range(4):
        _cell_line(right, "")
    name = commune.report.chairman_name
    _cell_line(
        right,
        name or t("reports.doc_sign_placeholder"),
        size=BODY_PT,
        bold=bool(name),
        italic=not name,
    )
