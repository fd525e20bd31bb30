"""The outreach library: YAML files a culture officer edits, their loader and validator."""

from content.loader import (
    DOCUMENTS_FILE,
    Library,
    Problem,
    Topic,
    check,
    default_folder,
    get_library,
    load_library,
)
from content.schema import Document, Item, Quiz, show_date

__all__ = [
    "DOCUMENTS_FILE",
    "Document",
    "Item",
    "Library",
    "Problem",
    "Quiz",
    "Topic",
    "check",
    "default_folder",
    "get_library",
    "load_library",
    "show_date",
]
