"""What makes a library entry fit to show residents, each rule naming the line it concerns.

Every check returns (line, message) pairs; the loader adds the file name. Messages are for
the commune's culture officer: say what is wrong and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from bot.text import fold
from content import facts, yamlines
from content.schema import Document, Item, show_date

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ID_MAX = 24  # item ids travel in button data, which Telegram caps at 64 bytes
TOPIC_ID_MAX = 16
TITLE_MAX = 60  # a button label
BODY_MAX = 800  # one phone screen
QUESTION_MAX = 200
OPTION_MAX = 60  # a button label
EXPLANATION_MAX = 200
OPTIONS = range(2, 5)
PAPI_DIMENSIONS = range(1, 9)  # the eight dimensions since 2018 (reference: domain.md)
# Words that tell a reader a document no longer applies, diacritics folded away:
# "thay thế" (replaced) and "hết hiệu lực" (no longer in force).
REPLACED_WORDS = ("thay the", "het hieu luc")
# A document's number as a text cites it: "10/2022/QH15", "1847/QĐ-TTg", "34/2007/PL-UBTVQH11".
DOCUMENT_NUMBER = re.compile(r"\b\d{1,4}/(?:\d{4}/)?[A-ZĐ][\w-]*")
# Words, diacritics folded, by which a text names a legal document and so states the law.
LAW_WORDS = re.compile(
    r"\b((?<!phap )luat|nghi dinh|nghi quyet|phap lenh|quyet dinh so|chi thi|thong tu)\b"
)

Found = Iterator[tuple[int, str]]


def check_id(value: str, line: int, limit: int) -> Found:
    """Ids are short lowercase words joined by hyphens."""
    if not ID.match(value) or len(value) > limit:
        rule = f"lowercase letters, digits and hyphens, at most {limit} long"
        yield line, f"id {value!r} must be {rule}"


def length(raw: yamlines.Mapping, key: str, value: str, limit: int, why: str) -> Found:
    """A text is present and no longer than `limit`."""
    if not value:
        yield raw.line_of(key), f"{key} is empty"
    elif len(value) > limit:
        yield raw.line_of(key), f"{key} has {len(value)} characters; at most {limit} ({why})"


def check_document(doc: Document, raw: yamlines.Mapping) -> Found:
    """A document's citation shows its number and date exactly."""
    yield from check_id(doc.id, raw.line_of("id"), ID_MAX)
    if doc.number not in doc.cite:
        yield raw.line_of("cite"), f"cite does not contain the number {doc.number!r}"
    if doc.date is not None and f"ngày {show_date(doc.date)}" not in doc.cite:
        yield raw.line_of("cite"), f"cite does not contain the date 'ngày {show_date(doc.date)}'"


def check_item(item: Item, raw: yamlines.Mapping, documents: Mapping[str, Document]) -> Found:
    """Run every rule on one item that already has the right shape."""
    yield from check_id(item.id, raw.line_of("id"), ID_MAX)
    yield from length(raw, "title", item.title, TITLE_MAX, "a button label")
    yield from length(raw, "body", item.body, BODY_MAX, "one phone screen")
    yield from _papi(item, raw)
    yield from _link(item, raw)
    yield from _citation(item, raw, documents)
    yield from _mentions(item, raw, documents)
    yield from _states_law(item, raw, documents)
    yield from _placeholders(item, raw)
    if item.reviewed and not (item.reviewed_by and item.reviewed_on):
        why = "reviewed: true needs reviewed_by and reviewed_on: use loaxa content review"
        yield raw.line_of("reviewed"), why
    if item.quiz is not None:
        yield from _quiz(item, raw["quiz"])


def _papi(item: Item, raw: yamlines.Mapping) -> Found:
    lines = raw["papi"]
    if not item.papi:
        yield raw.line_of("papi"), "papi lists no dimension: name at least one of 1-8"
    seen: set[int] = set()
    for index, number in enumerate(item.papi):
        if number not in PAPI_DIMENSIONS:
            yield lines.line_of(index), f"unknown PAPI dimension {number}: the dimensions are 1-8"
        elif number in seen:
            yield lines.line_of(index), f"PAPI dimension {number} is listed twice"
        seen.add(number)


def _link(item: Item, raw: yamlines.Mapping) -> Found:
    if item.link is None:
        return
    parts = urlsplit(item.link)
    host = parts.hostname or ""
    spaced = any(c.isspace() for c in item.link)
    if parts.scheme not in ("http", "https") or "." not in host or spaced:
        yield raw.line_of("link"), f"link {item.link!r} is not a web address (https://...)"


def _citation(item: Item, raw: yamlines.Mapping, documents: Mapping[str, Document]) -> Found:
    doc = documents.get(item.source) if item.source else None
    if item.source and doc is None:
        yield raw.line_of("source"), f"source {item.source!r} is not in _documents.yaml"
        return
    if doc is not None and doc.verify and item.reviewed:
        why = f"{doc.id}: its status must be verified first; keep reviewed: false until then"
        yield raw.line_of("reviewed"), why
    if doc is not None and item.applies_from and doc.date and item.applies_from < doc.date:
        yield raw.line_of("applies_from"), "applies_from is earlier than the document itself"
    replaced_by = doc.superseded_by if doc is not None else None
    if replaced_by and item.superseded_by != replaced_by:
        fix = f"set superseded_by: {replaced_by} and say in the text that it was replaced"
        yield raw.line_of("source"), f"cites {doc.cite}, which was replaced by {replaced_by}: {fix}"
    if item.superseded_by is None:
        return
    newer = documents.get(item.superseded_by)
    if newer is None:
        unknown = f"superseded_by {item.superseded_by!r} is not in _documents.yaml"
        yield raw.line_of("superseded_by"), unknown
    elif not replaced_by:
        why = "superseded_by is set but _documents.yaml does not say the source was replaced"
        yield raw.line_of("superseded_by"), why
    elif newer.number not in f"{item.title} {item.body}" or not _says_replaced(item):
        why = f"the text must say the document was replaced ('thay thế') by {newer.number}"
        yield raw.line_of("body"), why


def _placeholders(item: Item, raw: yamlines.Mapping) -> Found:
    """Only the commune's facts content/facts.py knows may stand in braces."""
    quiz = raw.get("quiz") if isinstance(raw.get("quiz"), yamlines.Mapping) else None
    texts = [("title", raw, item.title), ("body", raw, item.body)]
    if item.quiz is not None and quiz is not None:
        texts += [
            ("question", quiz, item.quiz.question),
            ("options", quiz, " ".join(item.quiz.options)),
        ]
        texts += [("explanation", quiz, item.quiz.explanation)]
    for index, name in enumerate(item.needs):
        if name not in facts.KNOWN:
            lines = raw["needs"]
            yield lines.line_of(index), f"needs {name!r}, which is not a commune fact"
    for key, where, text in texts:
        for name in sorted(facts.names(text) - facts.KNOWN.keys()):
            known = ", ".join("{" + known + "}" for known in facts.KNOWN)
            yield where.line_of(key), f"unknown placeholder {{{name}}}: use one of {known}"


def _says_replaced(item: Item) -> bool:
    text = fold(f"{item.title} {item.body}")
    return any(word in text for word in REPLACED_WORDS)


def _all_text(item: Item) -> str:
    quiz = item.quiz
    asked = [quiz.question, *quiz.options, quiz.explanation] if quiz else []
    return " ".join([item.title, item.body, *asked])


def _mentions(item: Item, raw: yamlines.Mapping, documents: Mapping[str, Document]) -> Found:
    """A superseded document named anywhere in an item must be said, in its text, replaced."""
    text = _all_text(item).casefold()
    for doc in documents.values():
        short = "/".join(doc.number.split("/")[:2]).casefold()  # "34/2007/PL-..." -> "34/2007"
        if doc.superseded_by and short in text and not _says_replaced(item):
            why = f"names {doc.number}, replaced by {doc.superseded_by}, without saying so"
            yield raw.line_of("body"), f"{why} ('thay thế')"


def _states_law(item: Item, raw: yamlines.Mapping, documents: Mapping[str, Document]) -> Found:
    """A text that states the law names where it comes from: `source:`, and every document
    number it cites listed in _documents.yaml (number and date checked there)."""
    text = _all_text(item)
    listed = {doc.number for doc in documents.values()}
    for number in DOCUMENT_NUMBER.findall(text):
        if number not in listed:
            why = "list it in _documents.yaml with its number and date, or leave it out"
            yield raw.line_of("body"), f"cites {number}, which is not in _documents.yaml: {why}"
    if item.source is None and (DOCUMENT_NUMBER.search(text) or LAW_WORDS.search(fold(text))):
        why = "name the document it comes from: source: an id in _documents.yaml"
        yield raw.line_of("body"), f"states the law without a source: {why}"


def _quiz(item: Item, raw: yamlines.Mapping) -> Found:
    quiz = item.quiz
    yield from length(raw, "question", quiz.question, QUESTION_MAX, "one short question")
    yield from length(raw, "explanation", quiz.explanation, EXPLANATION_MAX, "one line")
    if "\n" in quiz.explanation:
        yield raw.line_of("explanation"), "explanation must be one line"
    if len(quiz.options) not in OPTIONS:
        wanted = f"{OPTIONS.start}-{OPTIONS.stop - 1}"
        yield raw.line_of("options"), f"quiz has {len(quiz.options)} options; give {wanted}"
    lines, seen = raw["options"], {}
    for index, option in enumerate(quiz.options):
        if not option or len(option) > OPTION_MAX:
            why = f"option {index + 1} must be 1-{OPTION_MAX} characters (a button label)"
            yield lines.line_of(index), why
        if fold(option) in seen:
            same = f"option {index + 1} reads the same as option {seen[fold(option)] + 1}"
            yield lines.line_of(index), f"{same} when typed without accents"
        seen.setdefault(fold(option), index)
    if quiz.answer not in quiz.options:
        yield raw.line_of("answer"), f"quiz answer {quiz.answer!r} is not one of the options"


def repeated_keys(raw: object) -> Found:
    """Keys written twice in one mapping (YAML would silently keep the last one)."""
    if isinstance(raw, yamlines.Mapping):
        for key, line in raw.repeated:
            yield line, f"{key!r} is written twice; YAML keeps only the last"
        for value in raw.values():
            yield from repeated_keys(value)
    elif isinstance(raw, yamlines.Sequence):
        for value in raw:
            yield from repeated_keys(value)
