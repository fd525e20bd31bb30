"""`loaxa content check|list|review`: the culture officer's tools for the outreach library."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.config import Commune
from bot.i18n import Translator, translator
from bot.i18n import operator_text as say
from content import facts
from content.loader import Library, default_folder, fill_library, load_library
from content.review import run_review


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `check`, `list` and `review` actions to the `content` command."""
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help=say("cli.help.content_check"))
    check.add_argument("--dir", help=say("cli.help.content_dir"))
    listing = actions.add_parser("list", help=say("cli.help.content_list"))
    listing.add_argument("--dir", help=say("cli.help.content_dir"))
    listing.add_argument("--unreviewed", action="store_true", help=say("cli.help.unreviewed"))
    review = actions.add_parser("review", help=say("cli.help.content_review"))
    review.add_argument("items", nargs="*", metavar="ITEM", help=say("cli.help.review_items"))
    review.add_argument("--by", help=say("cli.help.review_by"))
    review.add_argument("--date", help=say("cli.help.review_date"))
    review.add_argument("--dir", help=say("cli.help.content_dir"))


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
        summary = say(
            "cli.content_summary", topics=len(library.topics), items=len(items), quizzes=quizzes
        )
        if problems:
            print(
                say("cli.content_problems", count=len(problems), summary=summary), file=sys.stderr
            )
            return 1
        print(say("cli.content_fine", summary=summary))
        if commune is not None:
            _unset_facts(library, commune, t)
        return 0
    shown = [item for item in library.items if not (args.unreviewed and item.reviewed)]
    for item in shown:
        status = say("cli.content_reviewed" if item.reviewed else "cli.content_unreviewed")
        print(f"{library.origins[item.id]}\t{item.id}\t{item.topic}\t{status}\t{item.title}")
    print(say("cli.content_count", count=len(shown)), file=sys.stderr)
    if problems:
        print(say("cli.content_see_check", count=len(problems)), file=sys.stderr)
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
