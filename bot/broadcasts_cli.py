"""`loaxa broadcasts`: officials' broadcasts with their delivery progress; cancel one."""

from __future__ import annotations

import argparse
import sys

from bot.config import Commune
from handlers import broadcast_send
from storage import Storage
from storage.broadcasts import Broadcast, source
from storage.db import utcnow

HEADER = "id\tstatus\tsend at\tauthor\taudience\trecipients\tsent\tpending\tunreachable\tfailed"


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the `broadcasts` command."""
    parser = sub.add_parser("broadcasts", help="list officials' broadcasts with their progress")
    parser.add_argument("--limit", type=int, default=50, help="how many, newest first")
    parser.add_argument("--cancel", type=int, metavar="ID", help="cancel a scheduled broadcast")


def _status(broadcast: Broadcast, now) -> str:
    if broadcast.status == "queued":
        return "scheduled" if broadcast.send_at and broadcast.send_at > now else "sending"
    return broadcast.status


def _audience(broadcast: Broadcast) -> str:
    if broadcast.audience == "hamlets":
        return "hamlets: " + ", ".join(broadcast.audience_arg)
    if broadcast.audience == "topic":
        return f"topic: {broadcast.audience_arg}"
    return "everyone"


async def run_cli(store: Storage, commune: Commune, args: argparse.Namespace) -> int:
    """List broadcasts (or cancel one); return the exit code."""
    now = utcnow()
    if args.cancel is not None:
        broadcast = await store.broadcasts.get(args.cancel)
        if broadcast is None or broadcast.status != "queued" or broadcast.send_at <= now:
            print(f"broadcast {args.cancel} is not scheduled; nothing cancelled", file=sys.stderr)
            return 1
        rows = await broadcast_send.cancel(store, broadcast.id, now)
        print(f"cancelled broadcast {broadcast.id} ({rows} pending messages)")
        return 0
    found = await store.broadcasts.recent(max(1, args.limit))
    if not found:
        print("no broadcasts yet")
        return 0
    print(HEADER)
    for b in found:
        counts = await store.outbox.progress(source(b.id))
        when = b.send_at.astimezone(commune.zone).strftime("%Y-%m-%d %H:%M") if b.send_at else "-"
        pending = counts["pending"] + counts["sending"]
        print(
            f"{b.id}\t{_status(b, now)}\t{when}\t{b.author_name}\t{_audience(b)}\t"
            f"{b.recipients}\t{counts['sent']}\t{pending}\t{counts['unreachable']}\t"
            f"{counts['failed']}"
        )
    return 0
