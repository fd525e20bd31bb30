"""Run the whole bot against an emulator until told to stop (or killed).

The fault soak (benchmarks/fault_soak.py, tests/test_fault_soak.py) starts this in a
separate process, drives residents through it and kills it with SIGKILL at random moments:

    python tests/bot_child.py --api-url URL --db FILE [--rate 0] [--in-flight 16] [--wait]

Unlike tests/delivery_child.py it does not exit once the outbox is drained: it serves
updates until a line "stop" (or end of file) arrives on stdin, then stops cleanly. It
prints "started" once the bot runs. With --wait, it imports everything, prints "ready" and
waits for a line on stdin before starting (so the next process is ready while the current
one is being killed).
"""

from __future__ import annotations

import argparse
import asyncio
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
    async with LoaXa(settings, commune, poll_timeout=1, run_jobs=False):
        print("started", flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() not in ("stop", ""):
            pass
    print("stopped", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True, help="the emulator's root URL")
    parser.add_argument("--db", required=True)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s overall; 0 = none")
    parser.add_argument("--per-chat", type=float, default=0.0, help="messages/s to one chat")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--wait", action="store_true", help="start on a line from stdin")
    run_loop(main(parser.parse_args()))  # the event loop `loaxa run` uses
