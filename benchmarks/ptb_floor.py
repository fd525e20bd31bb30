"""The floors the delivery engine is compared with, run as a separate process.

- ``bare``: the naive broadcast, ``for chat in chats: await bot.send_message(...)``;
- ``aiorl``: python-telegram-bot's AIORateLimiter with its defaults, the way its docs suggest
  (an ExtBot with the limiter, every send started at once with asyncio.gather: one coroutine
  per recipient), over a connection pool as wide as the engine's in-flight window.

    python benchmarks/ptb_floor.py --api-url URL --chats FILE --mode bare|aiorl

Prints one JSON line: messages confirmed, errors, seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

TOKEN = "123456:TEST-token-for-the-local-emulator"


async def bare(bot: Bot, chats: list[int], text: str) -> tuple[int, int]:
    ok = errors = 0
    for chat in chats:
        try:
            await bot.send_message(chat, text)
            ok += 1
        except TelegramError:
            errors += 1
    return ok, errors


async def rate_limited(bot: Bot, chats: list[int], text: str) -> tuple[int, int]:
    results = await asyncio.gather(
        *(bot.send_message(chat, text) for chat in chats), return_exceptions=True
    )
    errors = sum(isinstance(r, BaseException) for r in results)
    return len(results) - errors, errors


async def main(args: argparse.Namespace, chats: list[int]) -> None:
    base = f"{args.api_url}/bot"
    if args.mode == "bare":
        bot, run = Bot(TOKEN, base_url=base), bare
    else:
        request = HTTPXRequest(connection_pool_size=args.pool)
        bot = ExtBot(TOKEN, base_url=base, rate_limiter=AIORateLimiter(), request=request)
        run = rate_limited
    async with bot:
        started = time.monotonic()
        ok, errors = await run(bot, chats, "Thông báo lịch tiếp dân tháng này")
        seconds = time.monotonic() - started
    report = {"ok": ok, "errors": errors, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}
    print(json.dumps(report))


def peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM, not inherited across fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--chats", required=True, help="a file with one chat id per line")
    parser.add_argument("--mode", choices=("bare", "aiorl"), required=True)
    parser.add_argument("--pool", type=int, default=16)
    arguments = parser.parse_args()
    asyncio.run(main(arguments, [int(line) for line in Path(arguments.chats).read_text().split()]))
