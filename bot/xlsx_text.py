"""Rows for every workbook the bot writes: text that people typed stays text.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by spreadsheet programs: a resident's comment `=HYPERLINK("http://…"&B2, "Xem")` would run
in a leader's copy of the digest (OWASP, "CSV Injection"). OWASP's rule: such a value gets a
leading single quote. On top of that every text cell is stored as a string (openpyxl's data
type "s"), whatever it starts with: openpyxl would otherwise store "=…" as a formula and
"#N/A" as an error. Control characters, which a workbook cannot hold, are dropped.

Every workbook writer (the digest, `loaxa export`, any later one) appends its rows through
`append_row`, headers included, so no writer has to remember which columns people typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    """Return `value` as it may sit in a cell: control characters dropped, quoted if needed."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def text_cell(sheet: Worksheet, value: str) -> Cell:
    """Make a cell that holds `value` as a string, never as a formula or an error."""
    cell = Cell(sheet, value=as_text(value))
    cell.data_type = "s"
    return cell


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row to `sheet`, every str value written as text (numbers and dates as is)."""
    sheet.append([text_cell(sheet, v) if isinstance(v, str) else v for v in values])
