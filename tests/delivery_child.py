"""Run the whole bot against an emulator until its outbox is delivered, then exit.

The crash tests (tests/test_delivery_e2e.py, benchmarks/crash_soak.py) start this in a
separate process and kill -9 it in the middle of a broadcast:

    python tests/delivery_child.py --api-url URL --db FILE [--rate 0] [--per-chat 0]

It prints "started" once the bot runs, "drained" when nothing is left to send, then one JSON
line: the engine's counters and the process's peak RSS (for benchmarks/delivery.py). With
--wait, it imports everything, prints "ready" and waits for a line on stdin before starting
(so that a test can have the next process ready while the current one is being killed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import LoaXa, run_loop
from bot.config import Settings, load_commune

TOKEN = "123456:TEST-token-for-the-local-emulator"


async def main(args: argparse.Namespace) -> None:
    if args.wait:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    settings = Settings(
        telegram_token=TOKEN,
        telegram_api_url=f"{args.api_url}/bot",
        telegram_file_url=f"{args.api_url}/file/bot",
        db=Path(args.db),
        telegram_rate_per_second=args.rate,
        telegram_per_chat_per_second=args.per_chat,
        delivery_in_flight=args.in_flight,
        delivery_retry_seconds=0.05,
        _env_file=None,
    )
    commune, _ = load_commune(None)
    async with LoaXa(settings, commune, poll_timeout=1, run_jobs=False) as app:
        print("started", flush=True)
        await app.delivery.drain(timeout=args.timeout)
        print("drained", flush=True)
        stats = app.delivery.stats()
    print(json.dumps({"stats": stats, "peak_rss_mb": peak_rss_mb()}), flush=True)


def peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited
    from the parent that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True, help="the emulator's root URL")
    parser.add_argument("--db", required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s overall; 0 = none")
    parser.add_argument("--per-chat", type=float, default=0.0, help="messages/s to one chat")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--wait", action="store_true", help="start on a line from stdin")
    run_loop(main(parser.parse_args()))  # the event loop `loaxa run` uses
