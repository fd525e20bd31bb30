"""Run the whole bot against an emulator in a process of its own, until told to stop,
until its outbox is delivered (--until drained), or until killed.

The crash and fault soaks (tests/test_delivery_e2e.py, tests/test_fault_soak.py,
benchmarks/crash_soak.py, benchmarks/fault_soak.py) and the delivery benchmark
(benchmarks/delivery.py) start it and kill it with SIGKILL at random moments:

    python tests/bot_child.py --api-url URL --db FILE [--until stop|drained] [--rate 0]
        [--per-chat 0] [--in-flight 16] [--timeout 120] [--wait]

It prints "started" once the bot runs. --until stop (the default) serves updates until a
line "stop" (or end of file) arrives on stdin, then prints "stopped". --until drained
prints "drained" once nothing is left to send, then one JSON line: the engine's counters
and the process's peak RSS. With --wait, it imports everything, prints "ready" and waits
for a line on stdin before starting (so the next process is ready while the current one
is being killed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import LoaXa
from bot.config import Settings, load_commune
from bot.service import run_loop

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
        allow_sample=True,  # the bundled sample commune: a test or a trial
        http_port=0,
        _env_file=None,
    )
    commune, _ = load_commune(None)
    async with LoaXa(settings, commune, poll_timeout=1, run_jobs=False) as app:
        print("started", flush=True)
        if args.until == "drained":
            await app.delivery.drain(timeout=args.timeout)
            print("drained", flush=True)
            stats = app.delivery.stats()
        else:
            while (await asyncio.to_thread(sys.stdin.readline)).strip() not in ("stop", ""):
                pass
    if args.until == "drained":
        print(json.dumps({"stats": stats, "peak_rss_mb": peak_rss_mb()}), flush=True)
    else:
        print("stopped", flush=True)


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
    parser.add_argument("--until", choices=("stop", "drained"), default="stop")
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s overall; 0 = none")
    parser.add_argument("--per-chat", type=float, default=0.0, help="messages/s to one chat")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=120.0, help="--until drained")
    parser.add_argument("--wait", action="store_true", help="start on a line from stdin")
    run_loop(main(parser.parse_args()))  # the event loop `loaxa run` uses
