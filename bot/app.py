"""Wiring: config -> storage (migrated) -> router -> channels -> HTTP server, in one lifecycle."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Coroutine
from contextlib import suppress
from datetime import date
from typing import Any, TypeVar

from aiohttp import web

from bot.config import Commune, ConfigError, Settings
from bot.delivery import Delivery
from bot.i18n import translator
from bot.jobs import build_jobs
from bot.router import Router
from bot.scheduler import Scheduler
from bot.workdays import vietnam_holidays
from storage import Storage

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY = 1024 * 1024  # webhook bodies are small; refuse anything bigger


def secrets_of(settings: Settings) -> list[str]:
    """Return every secret value in the settings, for the log redactor."""
    values = (
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.zalo_token,
        settings.zalo_webhook_secret,
    )
    return [v.get_secret_value() for v in values if v is not None]


async def sync_staff(store: Storage, commune: Commune) -> None:
    """Make the staff table match the commune file's [[staff]] entries (CLI-added stay)."""
    for entry in commune.staff:
        await store.staff.upsert(
            entry.channel, entry.id, entry.name, entry.role, hamlet=entry.hamlet, source="config"
        )
    removed = await store.staff.remove_config_staff_except(
        {(e.channel, e.id) for e in commune.staff}
    )
    if removed:
        log.info("removed %d staff no longer in the commune file", removed)


class LoaXa:
    """The running bot: every configured channel over one store and one router."""

    def __init__(
        self,
        settings: Settings,
        commune: Commune,
        *,
        poll_timeout: int = 10,
        run_jobs: bool = True,
        demo: bool = False,
    ) -> None:
        self.settings = settings
        self.run_jobs = run_jobs  # False: jobs only run when asked (tests, the demo's buttons)
        self.demo = demo  # `loaxa demo`: campaigns also send unreviewed items, with their note
        self.commune = commune
        self.poll_timeout = poll_timeout
        self.store: Storage | None = None
        self.router: Router | None = None
        self.channels: list = []
        self._web_runner: web.AppRunner | None = None
        self.delivery: Delivery | None = None
        self.scheduler: Scheduler | None = None

    async def start(self) -> None:
        """Open storage, build the channels and start receiving."""
        settings = self.settings
        if settings.telegram_token is None and settings.zalo_token is None:
            raise ConfigError(
                "environment/.env: LOAXA_TELEGRAM_TOKEN, LOAXA_ZALO_TOKEN: no channel is"
                " configured; set a Telegram or a Zalo bot token (or both)"
            )
        self.store = await Storage.open(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
        vietnam_holidays().get(date.today())  # now, not in the first resident's deadline
        await sync_staff(self.store, self.commune)
        self.router = Router(self.store, self.commune, flood_limit=settings.flood_limit)
        web_app = web.Application(client_max_size=MAX_BODY) if self._needs_web() else None
        if settings.telegram_token is not None:
            await self._start_telegram(web_app)
        if settings.zalo_token is not None:
            await self._start_zalo(web_app)
        self.delivery = Delivery.from_settings(self.store, self.channels, settings)
        await self.delivery.start()
        jobs = build_jobs(self.store, self.commune, demo=self.demo)
        self.scheduler = Scheduler(self.store, self.commune.zone, jobs)
        if self.run_jobs:
            await self.scheduler.start()
        if web_app is not None:
            await self._start_web(web_app)
        gc.freeze()  # what start-up built lives as long as the process: stop re-scanning it

    def _needs_web(self) -> bool:
        return bool(self.settings.telegram_webhook_url or self.settings.zalo_webhook_url)

    async def _start_telegram(self, web_app: web.Application | None) -> None:
        from bot.channels.telegram import TelegramChannel

        t = translator(self.commune.language)
        channel = TelegramChannel(
            self.settings,
            self.router.handle,
            notices={"group": t("error.group_only_private"), "error": t("error.generic")},
            poll_timeout=self.poll_timeout,
        )
        await channel.start(web_app)
        self.channels.append(channel)
        await self.refresh_command_menus()

    async def _start_zalo(self, web_app: web.Application | None) -> None:
        from bot.channels.zalo import ZaloChannel
        from storage.inbox_queue import InboxQueue

        channel = ZaloChannel(
            self.settings,
            self.router.handle,
            InboxQueue(self.store.db),
            language=self.commune.language,
            poll_timeout=self.poll_timeout,
        )
        await channel.start(web_app)
        self.channels.append(channel)

    async def refresh_command_menus(self) -> None:
        """Give residents and each Telegram staff member the command menu of their role."""
        from bot.channels.telegram import NAME
        from storage.models import Role

        t = translator(self.commune.language)

        def described(role: Role) -> list[tuple[str, str]]:
            return [(cmd, t(f"cmd.{cmd}")) for cmd in self.router.commands_for(role)]

        staff = [s for s in await self.store.staff.list_all() if s.channel == NAME]
        for channel in self.channels:
            if channel.name == NAME:
                await channel.set_command_menus(
                    described(Role.RESIDENT), {s.user_id: described(s.role) for s in staff}
                )

    async def _start_web(self, web_app: web.Application) -> None:
        web_app.router.add_get("/healthz", _health)
        self._web_runner = web.AppRunner(web_app, access_log=None)
        await self._web_runner.setup()
        site = web.TCPSite(self._web_runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        log.info("HTTP server on %s:%s", self.settings.http_host, self.settings.http_port)

    async def stop(self) -> None:
        """Stop pushing and receiving, finish what is in hand, close storage."""
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        if self.delivery is not None:
            await self.delivery.stop()
            self.delivery = None
        for channel in reversed(self.channels):
            try:
                await channel.stop()
            except Exception:
                log.exception("the %s channel did not stop cleanly", channel.name)
        self.channels.clear()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        if self.store is not None:
            await self.store.close()
            self.store = None

    async def __aenter__(self) -> LoaXa:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _health(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


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
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with LoaXa(settings, commune):
        event_loop = type(loop).__module__.split(".")[0]  # "uvloop", or "asyncio" on Windows
        log.info("Loa Xã is running for %s on %s; Ctrl+C to stop", commune.display_name, event_loop)
        await stop.wait()
    log.info("stopped")
