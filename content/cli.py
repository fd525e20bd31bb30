"""`loaxa content check|list`: the culture officer's tools for the outreach library."""

from __future__ import annotations

import argparse
import sys

from content.loader import load_library


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `check` and `list` actions to the `content` command."""
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate every library file; exit 1 on problems")
    check.add_argument("--dir", help="the library folder (default: the shipped library)")
    listing = actions.add_parser("list", help="list the library's items")
    listing.add_argument("--dir", help="the library folder (default: the shipped library)")
    listing.add_argument(
        "--unreviewed", action="store_true", help="only items no official has confirmed yet"
    )


def run(args: argparse.Namespace) -> int:
    """Run `content check` or `content list`; return the exit code."""
    library, problems = load_library(args.dir)
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
        return 0
    shown = [item for item in library.items if not (args.unreviewed and item.reviewed)]
    for item in shown:
        status = "reviewed" if item.reviewed else "unreviewed"
        print(f"{library.origins[item.id]}\t{item.id}\t{item.topic}\t{status}\t{item.title}")
    print(f"{len(shown)} item(s)", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): run `loaxa content check`", file=sys.stderr)
    return 0
