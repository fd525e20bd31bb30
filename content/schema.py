"""The shape of the outreach library: cited documents, items and their quizzes.

Types only; what makes an item fit to show (lengths, answers, citations) is checked in
`content.checks`, so that one message can name the exact problem and its line.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_date(value: Any) -> date:
    """Read a date written the Vietnamese way (20/4/2007) or as a YAML date."""
    if isinstance(value, date):
        return value
    match = _DMY.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not a date: write it as day/month/year, e.g. 01/7/2023")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"not a real date: {value}") from exc


def show_date(moment: date) -> str:
    """Write a date the way Vietnamese documents do: 09/01/2015, 24/02/2021, 01/7/2023.

    Days below 10 and the months January and February take a leading zero (the
    administrative-document rule the reference table follows).
    """
    month = f"{moment.month:02d}" if moment.month < 3 else str(moment.month)
    return f"{moment.day:02d}/{month}/{moment.year}"


VnDate = Annotated[date, BeforeValidator(parse_date)]


class _Strict(BaseModel):
    # Numbers become text where text is expected: an option written `2009` reads as "2009".
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class Document(_Strict):
    """A legal or policy document that items cite, as the reference table writes it."""

    id: str
    cite: str  # what residents read: "Quyết định số 430/QĐ-UBND ngày 24/02/2021 của ..."
    number: str  # "430/QĐ-UBND"; must appear in `cite`
    date: VnDate | None = None  # the date in `cite` (issued or passed); must appear in it
    in_force: VnDate | None = None
    superseded_by: str | None = None  # id of the document that replaced this one
    verify: StrictBool = False  # status unconfirmed: items citing it must stay unreviewed
    note: str | None = None


class Quiz(_Strict):
    """One question about facts the item states, with the correct option and why."""

    question: str
    options: list[str]
    answer: str  # the text of the correct option, exactly as written in `options`
    explanation: str

    @property
    def answer_index(self) -> int:
        return self.options.index(self.answer)


class Item(_Strict):
    """One outreach item: one idea, short enough to read on a phone."""

    id: str
    title: str
    body: str
    papi: list[StrictInt]  # PAPI dimensions (1-8) the item bears on
    source: str | None = None  # id of a document in _documents.yaml
    applies_from: VnDate | None = None
    superseded_by: str | None = None
    reviewed: StrictBool = False
    reviewed_by: str | None = None  # the official who confirmed the item (loaxa content review)
    reviewed_on: VnDate | None = None
    link: str | None = None
    quiz: Quiz | None = None
    needs: list[str] = []  # commune facts without which the item is left out (content/facts.py)
    topic: str = ""  # set from the file the item is in


class TopicHead(_Strict):
    """The top of a topic file: its id and title; items are read one by one."""

    topic: str
    title: str
    items: list[Any]
