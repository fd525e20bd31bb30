"""Excel export of feedback for the commune's records and reports (`loaxa export feedback`).

Sheet 1 has one row per item; sheet 2 counts items by category and status. No sheet names
who sent an item: an anonymous item says "Anonymous", a named one only "Named".
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.config import Commune
from bot.i18n import Translator, translator
from bot.i18n import operator_text as say
from bot.workdays import WorkCalendar
from bot.xlsx_text import append_row
from handlers.feedback_status import Status
from storage import Storage
from storage.feedback import FeedbackItem

DATE_FORMAT = "DD/MM/YYYY"
# (catalog key of the header, column width in characters)
ITEM_COLUMNS = (
    ("export.col_code", 11),
    ("export.col_created", 12),
    ("export.col_kind", 20),
    ("export.col_category", 22),
    ("export.col_hamlet", 14),
    ("export.col_status", 22),
    ("export.col_deadline", 12),
    ("export.col_days", 16),
    ("export.col_answer", 60),
    ("export.col_rating", 12),
    ("export.col_sender", 12),
)


def _local_day(moment: datetime, commune: Commune) -> date:
    return moment.astimezone(commune.zone).date()


def _days_taken(item: FeedbackItem, commune: Commune, calendar: WorkCalendar) -> int | None:
    """Working days from sending to resolution, for items that are resolved."""
    if item.status != Status.RESOLVED or item.resolved_at is None:
        return None
    start, end = _local_day(item.created_at, commune), _local_day(item.resolved_at, commune)
    return calendar.working_days_between(start, end)


def _item_row(item: FeedbackItem, commune: Commune, t: Translator, calendar: WorkCalendar):
    category = commune.category(item.category)
    return [
        item.code,
        _local_day(item.created_at, commune),
        t(f"fb.kind_{item.kind}"),
        category.name if category else item.category,
        item.hamlet or "",
        t(f"fb.status_{item.status}"),
        t(f"inbox.due_{item.kind}") if item.formal else item.deadline,  # never the commune's
        _days_taken(item, commune, calendar),
        item.last_answer or "",
        item.rating,
        t("export.anonymous" if item.anonymous else "export.named"),
    ]


def _header(sheet: Worksheet, labels: Sequence[str], widths: Sequence[int]) -> None:
    append_row(sheet, list(labels))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def build_workbook(items: Sequence[FeedbackItem], commune: Commune) -> Workbook:
    """Lay out the items sheet and the category-by-status counts sheet."""
    t = translator(commune.language)
    calendar = WorkCalendar(commune.extra_days_off, commune.extra_working_days)
    book = Workbook()
    sheet = book.active
    sheet.title = t("export.sheet_items")
    _header(sheet, [t(key) for key, _ in ITEM_COLUMNS], [w for _, w in ITEM_COLUMNS])
    for item in items:
        append_row(sheet, _item_row(item, commune, t, calendar))
    for column in ("B", "G"):
        for cell in sheet[column][1:]:
            cell.number_format = DATE_FORMAT
    for cell in sheet["I"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    _counts_sheet(book.create_sheet(t("export.sheet_counts")), items, commune, t)
    return book


def _counts_sheet(
    sheet: Worksheet, items: Sequence[FeedbackItem], commune: Commune, t: Translator
) -> None:
    counts = Counter((item.category, item.status) for item in items)
    names = {c.id: c.name for c in commune.categories}
    names |= {i.category: i.category for i in items if i.category not in names}
    statuses = list(Status)
    labels = [t("export.col_category"), *(t(f"fb.status_{s}") for s in statuses)]
    _header(sheet, [*labels, t("export.total")], [24] + [14] * (len(statuses) + 1))
    for category_id, name in names.items():
        row = [counts[(category_id, s.value)] for s in statuses]
        append_row(sheet, [name, *row, sum(row)])
    totals = [sum(counts[(c, s.value)] for c in names) for s in statuses]
    append_row(sheet, [t("export.total"), *totals, sum(totals)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"


async def export_feedback(
    store: Storage, commune: Commune, first: date, last: date, out: Path
) -> int:
    """Write the items created from `first` to `last` (commune dates) to an xlsx file."""
    start = datetime.combine(first, time(), commune.zone)
    end = datetime.combine(last + timedelta(days=1), time(), commune.zone)
    items = await store.feedback.created_between(start, end)
    book = build_workbook(items, commune)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return len(items)


def parse_day(text: str) -> date:
    """Read a date typed on the command line: 2027-02-28 or 28/02/2027."""
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(say("cli.not_a_date", text=text)) from None


def add_arguments(export) -> None:
    """Add `export feedback --from --to --out` to the CLI's `export` subparsers."""
    feedback = export.add_parser("feedback", help=say("cli.help.export_feedback"))
    add_period_arguments(feedback)
    feedback.add_argument("--out", required=True, type=Path, help=say("cli.help.export_out"))


def add_period_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --from and --to (dates, as `first` and `last`) to a command."""
    parser.add_argument(
        "--from", dest="first", required=True, type=day_argument, help=say("cli.help.first_day")
    )
    parser.add_argument(
        "--to", dest="last", required=True, type=day_argument, help=say("cli.help.last_day")
    )


def day_argument(text: str) -> date:
    """Read a date argument for argparse: parse_day's error as argparse's."""
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


async def run_cli(store: Storage, commune: Commune, args) -> int:
    """Run `loaxa export feedback` and print what was written."""
    if args.first > args.last:
        print(say("cli.from_after_to", first=args.first, last=args.last), file=sys.stderr)
        return 2
    if args.out.suffix.lower() != ".xlsx":
        print(say("cli.out_suffix", path=args.out, suffix=".xlsx"), file=sys.stderr)
        return 2
    count = await export_feedback(store, commune, args.first, args.last, args.out)
    print(say("cli.exported", count=count, first=args.first, last=args.last, path=args.out))
    return 0
