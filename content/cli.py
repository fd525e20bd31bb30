"""`loaxa content check|list|review`: the culture officer's tools for the outreach library."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.config import Commune
from bot.i18n import Translator, translator
from content import facts
from content.loader import Library, default_folder, fill_library, load_library
from content.review import run_review


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `check`, `list` and `review` actions to the `content` command."""
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate every library file; exit 1 on problems")
    check.add_argument("--dir", help="the library folder (default: the shipped library)")
    listing = actions.add_parser("list", help="list the library's items")
    listing.add_argument("--dir", help="the library folder (default: the shipped library)")
    listing.add_argument(
        "--unreviewed", action="store_true", help="only items no official has confirmed yet"
    )
    review = actions.add_parser(
        "review",
        help="list the items waiting for review; with ITEM ids and --by, mark them reviewed",
    )
    review.add_argument("items", nargs="*", metavar="ITEM", help="ids of the items reviewed")
    review.add_argument("--by", help="the reviewing official's name, kept in each item")
    review.add_argument("--date", help="the day of the review, day/month/year (default: today)")
    review.add_argument("--dir", help="the library folder (default: the shipped library)")


def run(args: argparse.Namespace, commune: Commune | None = None) -> int:
    """Run `content check`, `list` or `review`; return the exit code."""
    library, problems = load_library(args.dir)
    t = translator(commune.language if commune else None)
    if args.action == "review":
        folder = Path(args.dir) if args.dir else default_folder()
        return run_review(args, folder, library, t, today=date.today())
    if args.action == "check":
        for problem in problems:
            print(problem)
        items = library.items
        quizzes = sum(1 for item in items if item.quiz)
        summary = f"{len(library.topics)} topics, {len(items)} items, {quizzes} quizzes"
        if problems:
            print(f"{len(problems)} problem(s); {summary} fit to show", file=sys.stderr)
            return 1
        print(f"content: {summary}, no problems")
        if commune is not None:
            _unset_facts(library, commune, t)
        return 0
    shown = [item for item in library.items if not (args.unreviewed and item.reviewed)]
    for item in shown:
        status = "reviewed" if item.reviewed else "unreviewed"
        print(f"{library.origins[item.id]}\t{item.id}\t{item.topic}\t{status}\t{item.title}")
    print(f"{len(shown)} item(s)", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): run `loaxa content check`", file=sys.stderr)
    return 0


def _unset_facts(library: Library, commune: Commune, t: Translator) -> None:
    """Say which of the commune's facts the library names but the commune file leaves unset,
    and how many items are left out for it (content/facts.py)."""
    known = commune.content_facts()
    used: set[str] = set()
    for item in library.items:
        quiz = item.quiz
        asked = [quiz.question, *quiz.options, quiz.explanation] if quiz else []
        used |= set(item.needs) | facts.names(" ".join([item.title, item.body, *asked]))
    unset = sorted(used - known.keys())
    if unset:
        left_out = len(library.items) - len(fill_library(library, known).items)
        print(t("content_cli.unset_facts", commune=commune.display_name, facts=", ".join(unset),
                count=left_out))  # fmt: skip
