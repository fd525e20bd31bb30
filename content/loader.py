"""Load the outreach library from its YAML files and report every problem as file:line.

A library folder holds `_documents.yaml` (the documents items may cite) and one file per
topic. Items with any problem are left out of the loaded library, so a broken entry never
reaches a resident; `loaxa content check` lists the problems for the culture officer.

Texts may name the commune's own facts as placeholders (`{website}`, content/facts.py):
`get_library(facts)` fills them from the commune file and leaves out what needs a fact the
commune has not set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

import content.checks as checks
import content.facts as facts
import content.yamlines as yamlines
from content.schema import Document, Item, TopicHead

log = logging.getLogger(__name__)

DOCUMENTS_FILE = "_documents.yaml"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the culture officer must fix, and where."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic and its items, in file order."""

    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Library:
    """The items fit to show, by topic, with the documents they cite."""

    topics: tuple[Topic, ...] = ()
    documents: dict[str, Document] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # item id -> "file:line"

    def topic(self, topic_id: str) -> Topic | None:
        """Return a topic by id, or None."""
        return next((t for t in self.topics if t.id == topic_id), None)

    def item(self, item_id: str) -> Item | None:
        """Return an item by id, or None."""
        return next((i for t in self.topics for i in t.items if i.id == item_id), None)

    @property
    def items(self) -> list[Item]:
        return [item for topic in self.topics for item in topic.items]

    def quizzes_by_topic(self) -> dict[str, frozenset[str]]:
        """Map each topic that has quizzes to the ids of its items with a quiz."""
        found = {t.id: frozenset(i.id for i in t.items if i.quiz) for t in self.topics}
        return {topic: ids for topic, ids in found.items() if ids}


def default_folder() -> Path:
    """Return the library folder shipped with the package."""
    return Path(str(resources.files("content").joinpath("library")))


def load_library(folder: str | Path | None = None) -> tuple[Library, list[Problem]]:
    """Read a library folder; return the items fit to show and every problem found."""
    folder = Path(folder) if folder is not None else default_folder()
    problems: list[Problem] = []
    if not folder.is_dir():
        return Library(), [Problem(str(folder), 0, "no such folder")]
    documents = _read_documents(folder / DOCUMENTS_FILE, problems)
    topics: list[Topic] = []
    first_seen: dict[str, str] = {}  # item or topic id -> "file:line" where it first appears
    for path in sorted(folder.glob("*.yaml")):
        if not path.name.startswith("_"):
            topic = _read_topic(path, documents, first_seen, problems)
            if topic is not None:
                topics.append(topic)
    origins = {key: where for key, where in first_seen.items() if not key.startswith("topic:")}
    return Library(tuple(topics), documents, origins), problems


def check(folder: str | Path | None = None) -> list[Problem]:
    """Return every problem in a library folder (empty when it is fit to ship)."""
    return load_library(folder)[1]


@cache
def _shipped() -> Library:
    """Return the shipped library, loaded once; problems are logged, broken items left out."""
    loaded, problems = load_library()
    for problem in problems:
        log.warning("outreach library: %s", problem)
    return loaded


def get_library(commune_facts: Mapping[str, str] | None = None) -> Library:
    """Return the shipped library for one commune: its facts filled in, the texts that need
    a fact it has not set left out (`Commune.content_facts()`; none given: no fact is set)."""
    return _for(frozenset((commune_facts or {}).items()))


@cache
def _for(commune_facts: frozenset[tuple[str, str]]) -> Library:
    return fill_library(_shipped(), dict(commune_facts))


def fill_library(library: Library, commune_facts: Mapping[str, str]) -> Library:
    """Return the library with a commune's facts filled in (content/facts.py)."""
    topics = []
    for topic in library.topics:
        items = (facts.fill_item(item, commune_facts) for item in topic.items)
        kept = tuple(item for item in items if item is not None)
        if kept:
            topics.append(Topic(topic.id, topic.title, kept))
    return Library(tuple(topics), library.documents, library.origins)


def _parse(path: Path, problems: list[Problem]) -> object | None:
    try:
        raw = yamlines.load(path.read_text(encoding="utf-8"))
    except yamlines.YamlError as exc:
        problems.append(Problem(str(path), exc.line, str(exc)))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), 0, f"cannot read the file: {exc}"))
        return None
    _add(problems, path, checks.repeated_keys(raw))
    return raw


def _read_documents(path: Path, problems: list[Problem]) -> dict[str, Document]:
    if not path.exists():
        problems.append(Problem(str(path), 0, "missing: the documents items may cite"))
        return {}
    raw = _parse(path, problems)
    entries = raw.get("documents") if isinstance(raw, yamlines.Mapping) else None
    if not isinstance(entries, yamlines.Sequence):
        problems.append(Problem(str(path), 1, "expected 'documents:' with a list of documents"))
        return {}
    documents: dict[str, Document] = {}
    for index, entry in enumerate(entries):
        doc = _model(Document, entry, path, entries.line_of(index), problems)
        if doc is None:
            continue
        if doc.id in documents:
            problems.append(Problem(str(path), entry.line_of("id"), f"duplicate id {doc.id!r}"))
            continue
        _add(problems, path, checks.check_document(doc, entry))
        documents[doc.id] = doc
    for entry in entries:
        newer = entry.get("superseded_by") if isinstance(entry, yamlines.Mapping) else None
        if newer is not None and newer not in documents:
            line = entry.line_of("superseded_by")
            problems.append(Problem(str(path), line, f"superseded_by {newer!r} is not listed"))
    return documents


def _read_topic(
    path: Path,
    documents: dict[str, Document],
    first_seen: dict[str, str],
    problems: list[Problem],
) -> Topic | None:
    raw = _parse(path, problems)
    if raw is None:
        return None
    head = _model(TopicHead, raw, path, 1, problems)
    if head is None:
        return None
    before = len(problems)
    _add(problems, path, checks.check_id(head.topic, raw.line_of("topic"), checks.TOPIC_ID_MAX))
    _add(problems, path, checks.length(raw, "title", head.title, checks.TITLE_MAX, "a button"))
    if not _first(f"topic:{head.topic}", path, raw.line_of("topic"), first_seen, problems):
        return None
    if len(problems) > before:
        return None
    entries = raw["items"]
    items = []
    for index, entry in enumerate(entries):
        line = entries.line_of(index)
        item = _read_item(path, head, entry, line, documents, first_seen, problems)
        if item is not None:
            items.append(item)
    if not entries:
        problems.append(Problem(str(path), raw.line_of("items"), "the topic has no items"))
    return Topic(head.topic, head.title, tuple(items))


def _read_item(
    path: Path,
    head: TopicHead,
    entry: object,
    line: int,
    documents: dict[str, Document],
    first_seen: dict[str, str],
    problems: list[Problem],
) -> Item | None:
    if isinstance(entry, yamlines.Mapping) and entry.get("topic", head.topic) != head.topic:
        message = f"topic {entry['topic']!r} differs from the file's topic {head.topic!r}"
        problems.append(Problem(str(path), entry.line_of("topic"), message))
        return None
    item = _model(Item, entry, path, line, problems, topic=head.topic)
    if item is None:
        return None
    before = len(problems)
    _add(problems, path, checks.check_item(item, entry, documents))
    unique = _first(item.id, path, entry.line_of("id"), first_seen, problems)
    return item if unique and len(problems) == before else None


def _first(
    key: str, path: Path, line: int, first_seen: dict[str, str], problems: list[Problem]
) -> bool:
    """Remember where an id first appears; report it when it appears again."""
    if key in first_seen:
        name = key.removeprefix("topic:")
        message = f"duplicate id {name!r} (first at {first_seen[key]})"
        problems.append(Problem(str(path), line, message))
        return False
    first_seen[key] = f"{path.name}:{line}"
    return True


def _model(
    model: type[M], raw: object, path: Path, line: int, problems: list[Problem], **extra: object
) -> M | None:
    """Build a model from YAML data, reporting each schema error at its own line."""
    if not isinstance(raw, yamlines.Mapping):
        problems.append(Problem(str(path), line, f"expected a mapping of {model.__name__} fields"))
        return None
    try:
        return model.model_validate({**raw, **extra})
    except ValidationError as exc:
        for error in exc.errors():
            at, message = _locate(raw, error["loc"]), _explain(error)
            problems.append(Problem(str(path), at, message))
        return None


def _locate(raw: object, loc: Iterable[object]) -> int:
    line = getattr(raw, "line", 1)
    node = raw
    for part in loc:
        if (isinstance(node, yamlines.Mapping) and part in node) or (
            isinstance(node, yamlines.Sequence) and isinstance(part, int) and part < len(node)
        ):
            line, node = node.line_of(part), node[part]
        else:
            break
    return line


def _explain(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"missing field {where!r}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {where!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message[0].lower()}{message[1:]}" if message else where


def _add(problems: list[Problem], path: Path, found: Iterator[tuple[int, str]]) -> None:
    problems.extend(Problem(str(path), line, message) for line, message in found)
