"""The bot under test, in its own process, for benchmarks/inbound.py and benchmarks/memory.py.

    python benchmarks/bot_process.py --api-url URL --db FILE [--rate 30] [--per-chat 1]
    python benchmarks/bot_process.py --api-url URL --echo

Without --echo it runs the whole Loa Xã bot (`bot.app.LoaXa`: storage with synchronous=FULL,
router, Telegram channel polling the emulator, delivery engine; the sample commune, with
quiet hours off when --no-quiet-hours). With --echo it runs the floor: a bare
python-telegram-bot Application with its defaults, polling the emulator, whose one
MessageHandler answers every text with the same text.

It prints "started" once polling, then runs until a line (or end of file) on stdin, stops
cleanly and prints one JSON line: peak RSS (VmHWM) and, for Loa Xã, the delivery counters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "123456:TEST-token-for-the-local-emulator"
POLL_TIMEOUT = 10  # seconds, as LoaXa's default


async def until_told() -> None:
    await asyncio.to_thread(sys.stdin.readline)


async def loaxa(args: argparse.Namespace) -> dict:
    from bot.app import LoaXa
    from bot.config import QuietHours, Settings, load_commune

    settings = Settings(
        telegram_token=TOKEN,
        telegram_api_url=f"{args.api_url}/bot",
        telegram_file_url=f"{args.api_url}/file/bot",
        db=Path(args.db),
        telegram_rate_per_second=args.rate,
        telegram_per_chat_per_second=args.per_chat,
        allow_sample=True,  # the bundled sample commune: a test or a trial
        http_port=0,
        _env_file=None,
    )
    commune, _ = load_commune(None)
    if args.no_quiet_hours:
        commune = commune.model_copy(update={"quiet_hours": QuietHours(start=time(0), end=time(0))})
    async with LoaXa(settings, commune, poll_timeout=POLL_TIMEOUT, run_jobs=False) as app:
        print("started", flush=True)
        await until_told()
        stats = app.delivery.stats()
    return {"delivery": stats}


async def echo(args: argparse.Namespace) -> dict:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def answer(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{args.api_url}/bot")
        .base_file_url(f"{args.api_url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, answer))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=POLL_TIMEOUT)
        print("started", flush=True)
        await until_told()
        await app.updater.stop()
        await app.stop()
    return {}


def peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def main(args: argparse.Namespace) -> None:
    found = await (echo(args) if args.echo else loaxa(args))
    print(json.dumps(found | {"peak_rss_mb": peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True, help="the emulator's root URL")
    parser.add_argument("--echo", action="store_true", help="run the bare PTB echo bot")
    parser.add_argument("--db", help="the SQLite file (Loa Xã)")
    parser.add_argument("--rate", type=float, default=30.0, help="push messages/s; 0 = none")
    parser.add_argument("--per-chat", type=float, default=1.0, help="push messages/s to a chat")
    parser.add_argument("--no-quiet-hours", action="store_true")
    arguments = parser.parse_args()
    if arguments.echo:
        asyncio.run(main(arguments))  # the floor: python-telegram-bot with its defaults
    else:
        from bot.service import run_loop

        run_loop(main(arguments))  # as `loaxa run` runs: on uvloop
