"""`loaxa report --from DATE --to DATE --out FILE.docx [--date DATE]`: the period report."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.config import Commune
from bot.export import parse_day
from storage import Storage
from storage.db import utcnow


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(sub) -> None:
    """Add `report` to the CLI's subcommands."""
    report = sub.add_parser(
        "report", help="the report on the PAPI outreach plan's results, as a .docx file"
    )
    report.add_argument("--from", dest="first", required=True, type=_day, help="first day")
    report.add_argument("--to", dest="last", required=True, type=_day, help="last day")
    report.add_argument("--out", required=True, type=Path, help="the .docx file to write")
    report.add_argument(
        "--date", dest="signed", type=_day, help="the date to print (default: day left blank)"
    )


async def run_cli(store: Storage, commune: Commune, args) -> int:
    """Write the report of [--from, --to] and say where."""
    from bot.report.build import build_report  # python-docx: only when needed

    if args.first > args.last:
        print(f"loaxa: report: --from {args.first} is after --to {args.last}", file=sys.stderr)
        return 2
    if args.out.suffix.lower() != ".docx":
        print(f"loaxa: report: --out {args.out} must end in .docx", file=sys.stderr)
        return 2
    today = utcnow().astimezone(commune.zone).date()
    data = await build_report(
        store, commune, args.first, args.last, today=today, signed_on=args.signed
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote the report from {args.first} to {args.last} to {args.out}")
    return 0
