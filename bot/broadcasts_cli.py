"""`loaxa broadcasts`: officials' broadcasts with their delivery progress; cancel one."""

from __future__ import annotations

import argparse
import sys

from bot.config import Commune
from bot.i18n import operator_text as say
from handlers import broadcast_send
from storage import Storage
from storage.broadcasts import Broadcast, source
from storage.db import utcnow


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the `broadcasts` command."""
    parser = sub.add_parser("broadcasts", help=say("cli.help.broadcasts"))
    parser.add_argument("--limit", type=int, default=50, help=say("cli.help.broadcasts_limit"))
    parser.add_argument("--cancel", type=int, metavar="ID", help=say("cli.help.broadcasts_cancel"))


def _status(broadcast: Broadcast, now) -> str:
    if broadcast.status == "queued":
        due = broadcast.send_at and broadcast.send_at > now
        return say("cli.broadcast_scheduled" if due else "cli.broadcast_sending")
    if broadcast.status == "done":
        return say("cli.broadcast_done")
    if broadcast.status == "cancelled":
        return say("cli.broadcast_cancelled_status")
    return broadcast.status


def _audience(broadcast: Broadcast) -> str:
    if broadcast.audience == "hamlets":
        return say("cli.broadcast_hamlets", hamlets=", ".join(broadcast.audience_arg))
    if broadcast.audience == "topic":
        return say("cli.broadcast_topic", topic=broadcast.audience_arg)
    return say("cli.broadcast_everyone")


async def run_cli(store: Storage, commune: Commune, args: argparse.Namespace) -> int:
    """List broadcasts (or cancel one); return the exit code."""
    now = utcnow()
    if args.cancel is not None:
        broadcast = await store.broadcasts.get(args.cancel)
        if broadcast is None or broadcast.status != "queued" or broadcast.send_at <= now:
            print(say("cli.broadcast_not_scheduled", id=args.cancel), file=sys.stderr)
            return 1
        rows = await broadcast_send.cancel(store, broadcast.id, now)
        print(say("cli.broadcast_cancelled", id=broadcast.id, count=rows))
        return 0
    found = await store.broadcasts.recent(max(1, args.limit))
    if not found:
        print(say("cli.broadcast_none"))
        return 0
    print(say("cli.broadcast_header"))
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
