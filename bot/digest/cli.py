"""`loaxa digest [--week 2026-W48] [--send] [--out DIR]`: the weekly digest on demand."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Commune
from bot.digest.period import Period
from bot.i18n import operator_text as say
from storage import Storage
from storage.db import utcnow


def add_arguments(sub) -> None:
    """Add `digest` to the CLI's subcommands."""
    digest = sub.add_parser("digest", help=say("cli.help.digest"))
    digest.add_argument("--week", help=say("cli.help.digest_week"))
    digest.add_argument("--send", action="store_true", help=say("cli.help.digest_send"))
    digest.add_argument("--out", type=Path, help=say("cli.help.digest_out"))


async def run_cli(store: Storage, commune: Commune, args) -> int:
    """Build the digest; print it, write its files, queue it for the leaders as asked."""
    from bot.digest.build import build_digest, send_digest  # matplotlib: only when needed

    try:
        week = (
            Period.parse_week(args.week, commune.zone)
            if args.week
            else Period.last_full_week(utcnow(), commune.zone)
        )
    except ValueError as exc:
        print(say("cli.digest_week", reason=exc), file=sys.stderr)
        return 2
    digest = await build_digest(store, commune, week)
    if args.out is None:
        print(digest.text)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = digest.chart_name.removesuffix(".png")
        (args.out / f"{stem}.txt").write_text(digest.text + "\n", encoding="utf-8")
        (args.out / digest.chart_name).write_bytes(digest.chart)
        (args.out / digest.workbook_name).write_bytes(digest.workbook)
        print(say("cli.digest_written", week=week.iso_week, path=args.out))
    if args.send:
        queued = await send_digest(store, commune, digest, utcnow())
        print(say("cli.digest_queued", count=queued))
    return 0
