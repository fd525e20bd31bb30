"""`loaxa content review`: what waits for an official's review, and marking items reviewed.

A review is kept in the item itself, in its YAML file, as three lines the culture officer can
read and edit like any other:

    reviewed: true
    reviewed_by: "Nguyễn Văn A"
    reviewed_on: 04/12/2026

The file is edited line by line (content/yamlines.py knows where each key is), so its
comments, folding and order stay as they were; only those lines change.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.i18n import Translator
from content import yamlines
from content.loader import Library
from content.schema import Item, parse_date, show_date


class ReviewError(ValueError):
    """An item that cannot be marked reviewed, and why (a catalog key and its values)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True, slots=True)
class Marked:
    """An item now marked reviewed, or found already reviewed."""

    item: Item
    where: str  # "file:line"
    already: bool


def waiting(library: Library) -> list[Item]:
    """Return the items no official has reviewed yet, in library order."""
    return [item for item in library.items if not item.reviewed]


def run_review(
    args: argparse.Namespace, folder: Path, library: Library, t: Translator, *, today: date
) -> int:
    """List what waits for review, or mark the items named reviewed; return the exit code.

    Every id is checked before any file is written: one refused item changes nothing.
    """
    if not args.items:
        for item in waiting(library):
            print(f"{library.origins[item.id]}\t{item.id}\t{item.topic}\t{item.title}")
        count = len(waiting(library))
        print(t("content_cli.waiting", count=count) if count else t("content_cli.none_waiting"))
        return 0
    try:
        reviewer = (args.by or "").strip()
        if not reviewer or len(reviewer) > 80:
            raise ReviewError("content_cli.review_needs_by")
        day = _day(args.date, today)
        for item_id in args.items:
            check(library, item_id)
        done = [mark(folder, library, item_id, reviewer, day) for item_id in args.items]
    except ReviewError as exc:
        print(f"loaxa: {t(exc.key, **exc.values)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"loaxa: {t('content_cli.review_unwritable', error=exc)}", file=sys.stderr)
        return 2
    for marked in done:
        item = marked.item
        if marked.already:
            when = show_date(item.reviewed_on) if item.reviewed_on else ""
            print(t("content_cli.already", id=item.id, by=item.reviewed_by or "", date=when))
        else:
            shown = show_date(day)
            print(
                t("content_cli.reviewed", id=item.id, where=marked.where, by=reviewer, date=shown)
            )
    return 0


def _day(text: str | None, today: date) -> date:
    if text is None:
        return today
    try:
        return parse_date(text)
    except ValueError:
        raise ReviewError("content_cli.review_bad_date", date=text) from None


def check(library: Library, item_id: str) -> Item:
    """Return the item if it may be marked reviewed; ReviewError saying why not."""
    item = library.item(item_id)
    if item is None:
        # Read but left out for a problem: it must be fixed (loaxa content check) first.
        broken = item_id in library.origins
        key = "content_cli.review_broken" if broken else "content_cli.review_unknown"
        raise ReviewError(key, id=item_id)
    doc = library.documents.get(item.source) if item.source else None
    if doc is not None and doc.verify and not item.reviewed:
        raise ReviewError("content_cli.review_verify", id=item_id, cite=doc.cite)
    return item


def mark(
    folder: Path,
    library: Library,
    item_id: str,
    reviewer: str,
    day: date,
) -> Marked:
    """Mark one item reviewed by `reviewer` on `day`, in its file; ReviewError if it may not."""
    item = check(library, item_id)
    where = library.origins[item.id]
    if item.reviewed:
        return Marked(item, where, True)
    path = folder / where.rsplit(":", 1)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(_marked(text, item.id, reviewer, day), encoding="utf-8")
    return Marked(item, where, False)


def _entry(text: str, item_id: str) -> yamlines.Mapping:
    items = yamlines.load(text)["items"]
    return next(e for e in items if isinstance(e, yamlines.Mapping) and e.get("id") == item_id)


def _marked(text: str, item_id: str, reviewer: str, day: date) -> str:
    """Return the file's text with one item's review lines set, every other line as it was."""
    lines = text.split("\n")
    entry = _entry(text, item_id)
    old = sorted((entry.line_of(k) for k in ("reviewed_by", "reviewed_on") if k in entry),
                 reverse=True)  # fmt: skip
    for line in old:  # left by an earlier review: written again below
        del lines[line - 1]
    entry = _entry("\n".join(lines), item_id)
    key = "reviewed" if "reviewed" in entry else "id"
    at = entry.line_of(key)  # 1-based
    indent = " " * lines[at - 1].index(f"{key}:")
    new = [
        f"{indent}reviewed: true",
        f"{indent}reviewed_by: {json.dumps(reviewer, ensure_ascii=False)}",
        f"{indent}reviewed_on: {show_date(day)}",
    ]
    if key == "reviewed":
        lines[at - 1 : at] = new
    else:
        lines[at:at] = new
    return "\n".join(lines)
