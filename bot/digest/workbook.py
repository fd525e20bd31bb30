"""The digest's Excel attachment: the tables behind every figure of the message.

Laid out like `loaxa export feedback` (bold wrapped headers, frozen first row). No sheet
names a resident: overdue items carry their code and who handles them, low ratings only
the service, desk, score and comment.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.config import Commune
from bot.digest.data import DigestData, Figures
from bot.digest.papi import trends
from bot.i18n import Translator
from bot.xlsx_text import append_row
from content import Library
from storage.ratings import COMPONENTS

DATE_FORMAT = "DD/MM/YYYY"
PERCENT = "0%"


def digest_workbook(data: DigestData, commune: Commune, library: Library, t: Translator) -> bytes:
    """Lay out every table of the digest and return the .xlsx bytes."""
    book = Workbook()
    book.remove(book.active)
    now, before = data.current, data.previous
    _summary(book, now, before, t)
    _categories(book, now, before, commune, t)
    _hamlets(book, now, commune, t)
    _overdue(book, data, commune, t)
    _sipas(book, now, before, t)
    _pulse(book, now, before, t)
    _papi(book, now, before, commune, library, t)
    _lowest(book, data, commune, t)
    _trend(book, data, t)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title_key: str, t: Translator, headers: Sequence[str], widths):
    sheet = book.create_sheet(t(title_key)[:31])
    append_row(sheet, [t(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _percent(sheet, *columns: str) -> None:
    for column in columns:
        for cell in sheet[column][1:]:
            cell.number_format = PERCENT


def _summary(book, now: Figures, before: Figures, t: Translator) -> None:
    sheet = _sheet(
        book,
        "reports.xl_summary",
        t,
        ("reports.xl_figure", "reports.xl_now", "reports.xl_before"),
        (44, 14, 14),
    )
    fb, old = now.feedback, before.feedback
    rows = [
        ("reports.xl_received", fb.received, old.received),
        ("reports.xl_resolved", fb.resolved, old.resolved),
        ("reports.xl_on_time", fb.on_time, old.on_time),
        ("reports.xl_on_time_share", fb.on_time_share, old.on_time_share),
        ("reports.xl_overdue", fb.overdue, old.overdue),
        ("reports.xl_median_days", fb.median_workdays, old.median_workdays),
        ("reports.xl_delivered", now.reach.delivered, before.reach.delivered),
        ("reports.xl_reached", now.reach.residents_reached, before.reach.residents_reached),
        ("reports.xl_unreachable", now.reach.unreachable, before.reach.unreachable),
        ("reports.xl_readers", now.reach.readers, before.reach.readers),
        ("reports.xl_quiz_right", now.reach.quiz_right, before.reach.quiz_right),
        ("reports.xl_quiz_total", now.reach.quiz_total, before.reach.quiz_total),
        ("reports.xl_new_residents", now.residents.new, before.residents.new),
        ("reports.xl_registered", now.residents.registered, before.residents.registered),
        ("reports.xl_respondents", now.pulse.respondents, before.pulse.respondents),
        (
            "reports.xl_publications",
            sum(now.publications.values()),
            sum(before.publications.values()),
        ),
        ("reports.xl_disclosure_reach", now.reach.disclosure_reach, before.reach.disclosure_reach),
    ]
    for key, value, previous in rows:
        append_row(sheet, [t(key), value, previous])
        if key == "reports.xl_on_time_share":
            for cell in sheet[sheet.max_row][1:]:
                cell.number_format = PERCENT


def _categories(book, now: Figures, before: Figures, commune: Commune, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_categories",
        t,
        (
            "reports.xl_category",
            "reports.xl_received",
            "reports.xl_resolved",
            "reports.xl_on_time",
            "reports.xl_overdue",
            "reports.xl_received_before",
        ),
        (26, 12, 12, 12, 12, 14),
    )
    fb = now.feedback
    ids = [c.id for c in commune.categories]
    ids += sorted({*fb.by_category, *fb.resolved_by_category, *fb.overdue_by_category} - set(ids))
    for category_id in ids:
        category = commune.category(category_id)
        resolved, on_time = fb.resolved_by_category.get(category_id, (0, 0))
        append_row(
            sheet,
            [
                category.name if category else category_id,
                fb.by_category.get(category_id, 0),
                resolved,
                on_time,
                fb.overdue_by_category.get(category_id, 0),
                before.feedback.by_category.get(category_id, 0),
            ],
        )


def _hamlets(book, now: Figures, commune: Commune, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_hamlets",
        t,
        (
            "reports.xl_hamlet",
            "reports.xl_received",
            "reports.xl_new_residents",
            "reports.xl_registered",
            "reports.xl_respondents",
        ),
        (18, 12, 14, 14, 14),
    )
    names = list(commune.hamlets)
    seen = {*now.feedback.by_hamlet, *now.residents.registered_by_hamlet}
    names += sorted(h for h in seen if h is not None and h not in names)
    for hamlet in [*names, None]:
        row = [
            now.feedback.by_hamlet.get(hamlet, 0),
            now.residents.new_by_hamlet.get(hamlet, 0),
            now.residents.registered_by_hamlet.get(hamlet, 0),
            now.pulse.by_hamlet.get(hamlet, 0),
        ]
        if hamlet is None and not any(row):
            continue
        append_row(sheet, [hamlet or t("reports.no_hamlet"), *row])


def _overdue(book, data: DigestData, commune: Commune, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_overdue_items",
        t,
        (
            "reports.xl_code",
            "reports.xl_category",
            "reports.xl_hamlet",
            "reports.xl_deadline",
            "reports.xl_assignee",
        ),
        (12, 24, 14, 12, 24),
    )
    for item in data.oldest_overdue:
        category = commune.category(item.category)
        append_row(
            sheet,
            [
                item.code,
                category.name if category else item.category,
                item.hamlet or "",
                item.deadline,
                item.assignee or t("reports.nobody"),
            ],
        )
    for cell in sheet["D"][1:]:
        cell.number_format = DATE_FORMAT


def _sipas(book, now: Figures, before: Figures, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_sipas",
        t,
        (
            "reports.xl_component",
            "reports.xl_answers",
            "reports.xl_mean",
            "reports.xl_share",
            "reports.xl_share_before",
        ),
        (30, 12, 12, 14, 14),
    )
    rows = [(t(f"rate.c{c}_short"), now.sipas[c], before.sipas[c]) for c in COMPONENTS]
    rows.append((t("reports.sipas_overall"), now.overall, before.overall))
    for name, s, old in rows:
        mean = round(s.mean, 2) if s.mean is not None else None
        append_row(sheet, [name, s.count, mean, s.satisfied_share, old.satisfied_share])
    _percent(sheet, "D", "E")


def _pulse(book, now: Figures, before: Figures, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_pulse",
        t,
        (
            "reports.xl_dimension",
            "reports.xl_answers",
            "reports.xl_share",
            "reports.xl_share_before",
        ),
        (44, 12, 14, 14),
    )
    for d, score in now.pulse.by_dimension.items():
        old = before.pulse.by_dimension.get(d)
        append_row(sheet, [t(f"papi.d{d}"), score.count, score.share, old.share if old else None])
    _percent(sheet, "C", "D")


def _papi(book, now, before, commune, library, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_papi",
        t,
        ("reports.xl_dimension", "reports.xl_signal", "reports.xl_now", "reports.xl_before"),
        (44, 40, 12, 12),
    )
    for d, signals in trends(now, before, commune, library).items():
        for s in signals:
            append_row(sheet, [t(f"papi.d{d}"), t(f"reports.xl_sig_{s.key}"), s.now, s.before])
            if s.share:
                for cell in sheet[sheet.max_row][2:]:
                    cell.number_format = PERCENT


def _lowest(book, data: DigestData, commune: Commune, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_lowest",
        t,
        ("reports.xl_service", "reports.xl_desk", "reports.xl_score", "reports.xl_comment"),
        (30, 26, 8, 60),
    )
    for row in data.lowest:
        service, desk = commune.service(row["service"]), commune.desk(row["desk"])
        append_row(
            sheet,
            [
                service.name if service else row["service"],
                desk.name if desk else row["desk"],
                row["low"],
                row["comment"] or "",
            ],
        )


def _trend(book, data: DigestData, t) -> None:
    sheet = _sheet(
        book,
        "reports.xl_trend",
        t,
        ("reports.xl_week", "reports.xl_week_start", "reports.xl_received", "reports.xl_resolved"),
        (12, 14, 12, 12),
    )
    for period, received, resolved in data.trend:
        week = t("reports.chart_week", week=period.week_number[0])  # "Tuần 48", never "W48"
        append_row(sheet, [week, period.first, received, resolved])
    for cell in sheet["B"][1:]:
        cell.number_format = DATE_FORMAT
