"""`loaxa report --from DATE --to DATE --out FILE.docx [--date DATE]`: the period report."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Commune
from bot.export import add_period_arguments, day_argument
from bot.i18n import operator_text as say
from storage import Storage
from storage.db import utcnow


def add_arguments(sub) -> None:
    """Add `report` to the CLI's subcommands."""
    report = sub.add_parser("report", help=say("cli.help.report"))
    add_period_arguments(report)
    report.add_argument("--out", required=True, type=Path, help=say("cli.help.report_out"))
    report.add_argument(
        "--date", dest="signed", type=day_argument, help=say("cli.help.report_date")
    )


async def run_cli(store: Storage, commune: Commune, args) -> int:
    """Write the report of [--from, --to] and say where."""
    from bot.report.build import build_report  # python-docx: only when needed

    if args.first > args.last:
        print(say("cli.from_after_to", first=args.first, last=args.last), file=sys.stderr)
        return 2
    if args.out.suffix.lower() != ".docx":
        print(say("cli.out_suffix", path=args.out, suffix=".docx"), file=sys.stderr)
        return 2
    today = utcnow().astimezone(commune.zone).date()
    data = await build_report(
        store, commune, args.first, args.last, today=today, signed_on=args.signed
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(say("cli.report_written", first=args.first, last=args.last, path=args.out))
    return 0
