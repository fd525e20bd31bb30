"""Wiring: config -> storage (migrated) -> router -> channels -> HTTP server, in one lifecycle."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import date

from aiohttp import web

from bot import backups
from bot.backups import BackupPolicy
from bot.channels.base import ServiceUnreachable
from bot.config import Commune, ConfigError, Settings
from bot.delivery import Delivery
from bot.i18n import translator
from bot.jobs import build_jobs
from bot.listener import Listener
from bot.metrics import Live, Metrics
from bot.router import Router
from bot.scheduler import Scheduler
from bot.web.console import Console
from bot.workdays import vietnam_holidays
from handlers.broadcast_send import report_when_settled
from storage import Storage, StorageError
from storage.db import utcnow
from storage.files import DatabaseLock

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # webhook bodies are small; refuse anything bigger
RETRY_FIRST = 1.0  # seconds before the first new try to reach Telegram or Zalo; doubled
RETRY_LONGEST = 30.0  # the longest wait between two tries
RETRY_SAY_EVERY = 60.0  # seconds between two log lines saying it is still unreachable


def secrets_of(settings: Settings) -> list[str]:
    """Return every secret value in the settings, for the log redactor."""
    values = (
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.zalo_token,
        settings.zalo_webhook_secret,
        settings.zalo_oa_app_secret,
        settings.zalo_oa_secret_key,
        settings.zalo_oa_refresh_token,
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


def refuse_sample(settings: Settings, commune: Commune) -> None:
    """Refuse to run on the sample commune's placeholders unless allowed (tests, trials).

    The sample is recognised by its own marker, `hamlets_are_examples = true`, which says
    the hamlets are placeholders; a commune file copied from it drops the line once the
    real hamlets and citizen-reception schedule are in.
    """
    if commune.hamlets_are_examples and not settings.allow_sample:
        raise ConfigError(
            "the commune file is still the sample: put the commune's real hamlets and"
            " citizen_reception in loaxa.toml (a copy of bot/sample_commune.toml), delete"
            " its line hamlets_are_examples = true; or, for a trial, run with --allow-sample"
            " (LOAXA_ALLOW_SAMPLE=1)",
            "cli.sample_refused",
        )


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
        keep_trying: bool = False,
    ) -> None:
        self.settings = settings
        self.keep_trying = keep_trying  # True: a service that waits for the network
        self.run_jobs = run_jobs  # False: jobs only run when asked (tests, the demo's buttons)
        self.demo = demo  # `loaxa demo`: campaigns also send unreviewed items, with their note
        self.commune = commune
        self.poll_timeout = poll_timeout
        self.store: Storage | None = None
        self.router: Router | None = None
        self.channels: list = []
        self.listener: Listener | None = None
        self.console: Console | None = None  # the staff console (bot/web/)
        self.delivery: Delivery | None = None
        self.scheduler: Scheduler | None = None
        self.backups = BackupPolicy.from_settings(settings)
        self.metrics = Metrics(self._live)
        self.http_port: int | None = None  # the port the HTTP server got (LOAXA_HTTP_PORT=0)
        self._lock: DatabaseLock | None = None
        self._started = False  # start() completed: a stop is then said in the log

    async def start(self) -> None:
        """Open storage, build the channels, connect them and start receiving.

        With `keep_trying` (`loaxa run`, a service), a Telegram or Zalo that cannot be reached
        is tried again with back-off until it answers, saying so once a minute; /healthz says
        "connected": false meanwhile. Otherwise the first failure stops start-up.
        """
        settings = self.settings
        refuse_sample(settings, self.commune)
        if (
            settings.telegram_token is None
            and settings.zalo_token is None
            and not settings.zalo_oa_on
        ):
            raise ConfigError(
                "environment/.env: LOAXA_TELEGRAM_TOKEN, LOAXA_ZALO_TOKEN, LOAXA_ZALO_OA_APP_ID:"
                " no channel is configured; set a Telegram or a Zalo bot token, or the Zalo OA",
                "cli.no_channel",
            )
        self._take_lock()
        self.store = await Storage.open(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
        vietnam_holidays().get(date.today())  # now, not in the first resident's deadline
        await sync_staff(self.store, self.commune)
        self.router = Router(
            self.store, self.commune, flood_limit=settings.flood_limit,
            console_url=settings.console_url,
        )  # fmt: skip
        self._timed = self.metrics.timed(self.router.handle)  # what the channels call
        web_app = web.Application(client_max_size=MAX_BODY)  # in every mode: /healthz, /metrics
        if settings.telegram_token is not None:
            self._add_telegram()
        if settings.zalo_token is not None:
            self._add_zalo()
        if settings.zalo_oa_on:
            self._start_zalo_oa()
        for channel in self.channels:
            channel.add_routes(web_app)
        await self._start_web(web_app)  # before connecting: /healthz answers while we keep trying
        for channel in self.channels:
            await self._connect(channel)
        await self.refresh_command_menus()
        self.delivery = Delivery.from_settings(
            self.store, self.channels, settings, report_when_settled(self.store, self.commune)
        )
        await self.delivery.start()
        jobs = build_jobs(
            self.store, self.commune, self.backups, demo=self.demo,
            console_url=self._console_url(),
        )  # fmt: skip
        self.scheduler = Scheduler(self.store, self.commune.zone, jobs)
        if self.run_jobs:
            await self.scheduler.start()
        self._started = True
        gc.freeze()  # what start-up built lives as long as the process: stop re-scanning it

    def _take_lock(self) -> None:
        """Hold the database's lock while running: one bot per file, no restore under it."""
        if str(self.settings.db) == ":memory:":
            return
        lock = DatabaseLock(self.settings.db)
        try:
            taken = lock.acquire()
        except OSError as exc:  # the folder cannot be made: read-only, or a file in the way
            reason = exc.strerror or str(exc)
            raise StorageError(
                f"{lock.path}: cannot create the database's lock file ({reason})",
                "service.lock_cannot_create",
                path=lock.path,
                reason=reason,
            ) from exc
        if not taken:
            raise StorageError(
                f"{self.settings.db}: another Loa Xã (process {lock.holder()}) is running on"
                " this database; stop it first",
                "service.lock_held",
                db=self.settings.db,
                pid=lock.holder(),
            )
        self._lock = lock

    def _live(self) -> Live:
        return Live(
            deliveries=self.delivery.counters if self.delivery is not None else {},
            update_errors=self.router.errors if self.router is not None else 0,
            jobs=self.scheduler.runs if self.scheduler is not None else {},
        )

    def _add_telegram(self) -> None:
        from bot.channels.telegram import TelegramChannel
        from storage.inbox_queue import InboxQueue

        t = translator(self.commune.language, self.commune.address)
        channel = TelegramChannel(
            self.settings,
            self._timed,
            notices={"group": t("error.group_only_private"), "error": t("error.generic")},
            poll_timeout=self.poll_timeout,
            seen=InboxQueue(self.store.db) if self.settings.telegram_webhook_url else None,
        )
        self.channels.append(channel)

    def _add_zalo(self) -> None:
        from bot.channels.zalo import ZaloChannel
        from storage.inbox_queue import InboxQueue

        channel = ZaloChannel(
            self.settings,
            self._timed,
            InboxQueue(self.store.db),
            language=self.commune.language,
            address=self.commune.address,
            poll_timeout=self.poll_timeout,
        )
        self.channels.append(channel)

    def _start_zalo_oa(self) -> None:
        from bot.channels.zalo_oa import ZaloOaChannel
        from bot.oa_window import OaWindow
        from bot.zalo_oa_notice import tell_admins_tokens_dead
        from storage.inbox_queue import InboxQueue
        from storage.oa_tokens import OaTokens

        channel = ZaloOaChannel(
            self.settings,
            self._timed,
            InboxQueue(self.store.db),
            OaTokens(self.store.db),
            self.store.residents,
            language=self.commune.language,
            address=self.commune.address,
            tokens_dead=lambda: tell_admins_tokens_dead(self.store, self.commune),
            window=OaWindow.from_settings(self.store, self.settings),
        )
        self.channels.append(channel)

    async def _connect(self, channel) -> None:
        """Start a channel; while its service cannot be reached, try again if keep_trying."""
        delay, said_at = RETRY_FIRST, None
        loop = asyncio.get_running_loop()
        while True:
            try:
                await channel.start()
                return
            except ServiceUnreachable as exc:
                if not self.keep_trying:
                    raise
                if said_at is None or loop.time() - said_at >= RETRY_SAY_EVERY:
                    log.warning("%s; trying again until it answers", exc)
                    said_at = loop.time()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_LONGEST)

    @property
    def connected(self) -> bool:
        """Whether every configured channel has reached its service."""
        return bool(self.channels) and all(c.connected for c in self.channels)

    def connection_health(self) -> dict[str, object]:
        """The channels' part of /healthz: connected overall and per channel."""
        return {
            "connected": self.connected,
            "channels": {c.name: c.connected for c in self.channels},
        }

    async def refresh_command_menus(self) -> None:
        """Give residents and each Telegram staff member the command menu of their role."""
        from bot.channels.telegram import NAME
        from storage.models import Role

        t = translator(self.commune.language, self.commune.address)

        def described(role: Role) -> list[tuple[str, str]]:
            return [(cmd, t(f"cmd.{cmd}")) for cmd in self.router.commands_for(role)]

        staff = [s for s in await self.store.staff.list_all() if s.channel == NAME]
        for channel in self.channels:
            if channel.name == NAME:
                await channel.set_command_menus(
                    described(Role.RESIDENT), {s.user_id: described(s.role) for s in staff}
                )

    async def _start_web(self, web_app: web.Application) -> None:
        web_app.router.add_get("/healthz", self._health)
        metrics = self.metrics.handler(lambda: self.store, self.backups.folder)
        web_app.router.add_get("/metrics", metrics)
        self.console = Console(self.store, self.commune, self._console_url)
        self.console.mount(web_app)
        self.listener = Listener(
            web_app,
            max_connections=self.settings.http_max_connections,
            header_timeout=self.settings.http_header_timeout,
            read_timeout=self.settings.http_read_timeout,
        )
        host, port = self.settings.http_host, self.settings.http_port
        try:
            await self.listener.start(host, port)
        except OSError as exc:  # the port is taken, or the host is not this machine's
            reason = exc.strerror or str(exc)
            raise ConfigError(
                f"environment/.env: LOAXA_HTTP_HOST, LOAXA_HTTP_PORT: cannot listen on"
                f" {host}:{port} ({reason})",
                "service.cannot_listen",
                host=host,
                port=port,
                reason=reason,
            ) from exc
        self.http_port = self.listener.port  # the one given, or the one got for 0
        self.router.console_url = self._console_url()
        log.info("HTTP server on %s:%s", host, self.http_port)

    def _console_url(self) -> str:
        """LOAXA_WEB_URL, else where the HTTP server listens (the port got, for port 0)."""
        settings = self.settings
        if settings.web_url or not self.http_port:
            return settings.console_url
        return f"http://{settings.http_host}:{self.http_port}"

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
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None
        if self.store is not None:
            await self._checkpoint()
            await self.store.close()
            self.store = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self._started = False

    async def _checkpoint(self) -> None:
        """Fold the write-ahead log into the database file, so a stopped bot leaves one file."""
        try:
            complete = await self.store.db.checkpoint()
        except Exception as exc:  # a full disk, say: the log stays and SQLite replays it
            log.warning("could not checkpoint the database: %s", exc)
        else:
            if complete:  # said only after a full start: a failed one ends in one line
                log.log(
                    logging.INFO if self._started else logging.DEBUG, "checkpointed the database"
                )
            else:
                log.warning("another connection kept the checkpoint from completing")

    async def _health(self, _: web.Request) -> web.Response:
        """Answer 200 {"ok": true, ...} when the bot is serving, else 503 and why; with the
        newest backup's age ("stale": missing or over two days old, which is not a 503)."""
        health = self.connection_health()
        ok = bool(health["connected"])
        body = {"ok": ok, **health, "backup": self._backup_health()}
        return web.json_response(body, status=200 if ok else 503)

    def _backup_health(self) -> dict[str, object]:
        now = utcnow()
        newest = backups.newest(self.backups.folder)
        return {
            "newest": None if newest is None else newest[1].name,
            "age_hours": None
            if newest is None
            else round((now - newest[0]).total_seconds() / 3600, 1),
            "stale": backups.is_stale(self.backups.folder, now),
        }

    async def __aenter__(self) -> LoaXa:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
