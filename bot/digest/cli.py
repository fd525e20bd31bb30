"""`loaxa digest [--week 2026-W48] [--send] [--out DIR]`: the weekly digest on demand."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Commune
from bot.digest.period import Period
from storage import Storage
from storage.db import utcnow


def add_arguments(sub) -> None:
    """Add `digest` to the CLI's subcommands."""
    digest = sub.add_parser(
        "digest", help="the leaders' weekly digest: print it, save it, or send it"
    )
    digest.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last full week)")
    digest.add_argument(
        "--send", action="store_true", help="queue it for every leader (the running bot sends it)"
    )
    digest.add_argument("--out", type=Path, help="folder for the text, chart (.png) and .xlsx")


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
        print(f"loaxa: digest: {exc}", file=sys.stderr)
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
        print(f"wrote the digest of {week.iso_week} to {args.out}")
    if args.send:
        queued = await send_digest(store, commune, digest, utcnow())
        print(f"queued {queued} messages (text, chart, workbook per chat)")
    return 0
