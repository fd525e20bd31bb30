"""The bot as a service: the event loop it runs on, and running until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from contextlib import suppress
from typing import Any, TypeVar

from bot.app import LoaXa
from bot.config import Commune, Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run the bot's main coroutine on uvloop where it is installed, else on asyncio's loop.

    uvloop (libuv) spends less CPU per socket call and per wake-up than asyncio's own loop;
    the bot makes three to four Telegram calls per update, so this is the event loop
    `loaxa run` uses (benchmarks/inbound.py measures it). Everything the bot uses (aiohttp,
    aiosqlite, APScheduler's AsyncIOScheduler) runs on either loop.
    """
    try:
        import uvloop
    except ImportError:  # Windows: asyncio's loop
        return asyncio.run(main)
    return uvloop.run(main)


async def run_forever(settings: Settings, commune: Commune) -> None:
    """Run until SIGINT or SIGTERM, waiting for Telegram and Zalo as long as it takes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    bot = LoaXa(settings, commune, keep_trying=True)
    try:
        if await _started_unless_stopped(bot, stop):
            event_loop = type(loop).__module__.split(".")[0]  # "uvloop", or "asyncio" on Windows
            log.info(
                "Loa Xã is running for %s on %s; Ctrl+C to stop", commune.display_name, event_loop
            )
            await stop.wait()
    finally:
        await bot.stop()
    log.info("stopped")


async def _started_unless_stopped(bot: LoaXa, stop: asyncio.Event) -> bool:
    """Start the bot; give up (False) if told to stop while it still waits for the network."""
    starting = asyncio.ensure_future(bot.start())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not starting.done():
        starting.cancel()
        with suppress(asyncio.CancelledError):
            await starting
        return False
    starting.result()  # its error, if it failed
    return True
