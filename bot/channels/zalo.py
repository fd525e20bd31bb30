"""Zalo adapter: Zalo Bot Platform updates in, Replies out, nothing decided here.

Updates arrive by webhook (production) or long polling (development; getUpdates hands out
one update per call and answers 408 when none came). Either way each update is first stored
in the inbound queue (`storage/inbox_queue.py`) and only then acknowledged, so an update
Zalo believes delivered survives a crash; a worker handles the queue in order per chat,
several chats at once, and drops redeliveries of a message id already seen.

Handling one update: translate it (typed numbers and labels read against the last list shown,
photos passed on as references, downloaded only if a step takes them), ask the router, mark
the update handled, then send the replies. Marking comes before sending so that a crash in
between loses the replies (the person asks again) rather than applying their message twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from aiohttp import web

from bot.channels.base import RateLimited, SendError, ServiceUnreachable, Transient
from bot.channels.files import FILE_LIMIT
from bot.channels.webhook import Gate, parse
from bot.channels.zalo_api import NO_ANSWER, ZaloApi, ZaloError, download, send_error
from bot.channels.zalo_messages import (
    ChoiceMemory,
    Incoming,
    Notes,
    content,
    last_choices,
    read,
    render,
    unwrap,
)
from bot.config import ConfigError, Settings, media_hosts
from bot.i18n import DEFAULT_ADDRESS, translator
from bot.messages import Inbound, Kind, Photo, Reply, Voice
from storage.inbox_queue import InboxQueue, QueuedUpdate

log = logging.getLogger(__name__)

NAME = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 64 * 1024  # an update is a few hundred bytes; a text is at most 2,000 characters
DOWNLOAD_TIMEOUT = 30.0
BATCH = 50  # queued updates read at a time
TOMBSTONE_DAYS = 3  # how long a handled message id is remembered against redeliveries
PRUNE_EVERY = 3600.0  # seconds
REPLY_TRIES = 3  # a direct reply is retried this often on 429 and 5xx before giving up
RETRY_CAP = 10.0  # seconds: longest wait for one direct-reply retry

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


def notes_for(language: str, address: str = DEFAULT_ADDRESS) -> Notes:
    """Return the adapter's sentences in a language, addressing residents as the commune does."""
    t = translator(language, address)
    return Notes(
        choose_hint=t("zalo.choose_hint"),
        photo_unavailable=t("zalo.photo_unavailable"),
        document_unavailable=t.template("zalo.document_unavailable"),  # {filename}: render()
        group=t("error.group_only_private"),
        error=t("error.generic"),
    )


class ZaloChannel:
    """Receives Zalo updates durably, hands them to the core, and renders its Replies."""

    name = NAME

    def __init__(
        self,
        settings: Settings,
        handle: Handle,
        queue: InboxQueue,
        *,
        language: str = "vi",
        address: str = DEFAULT_ADDRESS,
        client: httpx.AsyncClient | None = None,
        poll_timeout: int = 30,
    ) -> None:
        assert settings.zalo_token is not None
        self._handle = handle
        self._queue = queue
        self._notes = notes_for(language, address)
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(15.0))
        self._api = ZaloApi(
            self._client, settings.zalo_api_url, settings.zalo_token.get_secret_value()
        )
        self._webhook_url = settings.zalo_webhook_url
        secret = settings.zalo_webhook_secret
        self._secret = secret.get_secret_value() if secret else ""
        self._gate = Gate(NAME, self._secret, SECRET_HEADER, MAX_BODY, settings.http_read_timeout)
        self._media_hosts = media_hosts(settings.zalo_media_hosts)
        self._poll_timeout = poll_timeout
        self._slots = asyncio.Semaphore(settings.concurrent_updates)
        self.memory = ChoiceMemory()
        self.handled = 0  # updates handled (or ignored as redeliveries) since start
        self._handled_changed = asyncio.Condition()
        self._wake = asyncio.Event()
        self._chains: dict[str, asyncio.Task] = {}  # chat -> its latest update's task
        self._loops: list[asyncio.Task] = []
        self._cursor = 0  # id of the last queued update taken by the worker
        self.bot_name = ""
        self._api_url = settings.zalo_api_url
        self.connected = False  # Zalo reached and the token accepted (health checks)

    def __repr__(self) -> str:
        mode = "webhook" if self._webhook_url else "polling"
        return f"<ZaloChannel {mode} handled={self.handled}>"

    @property
    def webhook_path(self) -> str:
        return urlsplit(self._webhook_url or "").path or "/zalo"

    # --- lifecycle -------------------------------------------------------------------------

    def add_routes(self, web_app: web.Application | None) -> None:
        """Serve the webhook path on the bot's HTTP server (webhook mode), before it starts."""
        if self._webhook_url:
            self._add_route(web_app)

    async def start(self) -> None:
        """Check the token, register the webhook (or start polling), start the worker."""
        me = await self._call_at_start("getMe", {}, "LOAXA_ZALO_TOKEN")
        if self._webhook_url:
            body = {"url": self._webhook_url, "secret_token": self._secret}
            await self._call_at_start("setWebhook", body, "LOAXA_ZALO_WEBHOOK_URL")
        else:  # getUpdates is for bots without a webhook
            await self._call_at_start("deleteWebhook", {}, "LOAXA_ZALO_TOKEN")
        self.bot_name = str(me.get("account_name") or "") if isinstance(me, dict) else ""
        self.connected = True
        self._loops = [asyncio.create_task(self._work(), name="zalo-worker")]
        if not self._webhook_url:
            self._loops.append(asyncio.create_task(self._poll(), name="zalo-poll"))
        mode = "webhook " + self.webhook_path if self._webhook_url else "long polling"
        log.info("zalo channel started as %s (%s)", self.bot_name or "?", mode)

    def _add_route(self, web_app: web.Application | None) -> None:
        if web_app is None:
            raise RuntimeError("webhook mode needs the HTTP server")
        try:
            web_app.router.add_post(self.webhook_path, self._on_webhook)
        except RuntimeError as exc:  # the path is taken, by the Telegram webhook say
            raise ConfigError(
                f"environment/.env: LOAXA_ZALO_WEBHOOK_URL: path {self.webhook_path}"
                f" is already served ({exc})"
            ) from exc

    async def _call_at_start(self, method: str, body: dict, setting: str):
        """Call a set-up method; a refusal stops start-up naming the setting to fix."""
        try:
            return await self._api.call(method, body)
        except ZaloError as exc:
            if exc.code in (400, 401, 403, 404):
                raise ConfigError(
                    f"environment/.env: {setting}: Zalo refused {method} ({exc})",
                    "cli.zalo_refused",
                    setting=setting,
                    method=method,
                    reason=exc,
                ) from exc
            if exc.code == NO_ANSWER or exc.code >= 500:  # the network, or a wrong address
                raise ServiceUnreachable("Zalo", self._api_url, exc.description) from None
            raise

    async def stop(self) -> None:
        """Stop taking updates, let those in hand finish; the rest wait in the queue."""
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        await asyncio.gather(*self._chains.values(), return_exceptions=True)
        await self._close_client()

    async def _close_client(self) -> None:
        if self._own_client and not self._client.is_closed:
            await self._client.aclose()

    async def wait_handled(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` updates have been handled since start."""
        async with self._handled_changed:
            await asyncio.wait_for(
                self._handled_changed.wait_for(lambda: self.handled >= count), timeout
            )

    async def _count(self) -> None:
        async with self._handled_changed:
            self.handled += 1
            self._handled_changed.notify_all()

    # --- sending ---------------------------------------------------------------------------

    async def push(self, chat_id: str, reply: Reply) -> None:
        """Send a reply for the delivery engine; raise a SendError kind when it fails."""
        await self.send(chat_id, reply)
        if reply.choices:  # a typed number now means one of these
            self.memory.remember(chat_id, reply.choices)

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send one Reply as text pieces of at most 2,000 characters, choices numbered."""
        for text in render(reply, self._notes):
            try:
                await self._api.call("sendMessage", {"chat_id": chat_id, "text": text})
            except ZaloError as exc:
                raise send_error(exc) from None

    async def _answer(self, chat_id: str, replies: list[Reply]) -> None:
        """Send direct replies in order, waiting out a short 429 or 5xx; stop at a failure."""
        self.memory.remember(chat_id, last_choices(replies))
        for reply in replies:
            for attempt in range(1, REPLY_TRIES + 1):
                try:
                    await self.send(chat_id, reply)
                    break
                except (RateLimited, Transient) as exc:
                    if attempt == REPLY_TRIES:
                        log.warning("gave up answering a zalo chat: %s", exc)
                        return
                    wait = exc.retry_after if isinstance(exc, RateLimited) else attempt
                    await asyncio.sleep(min(RETRY_CAP, wait))
                except SendError as exc:
                    log.warning("could not answer a zalo chat: %s", exc)
                    return

    # --- receiving -------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Check the secret, store the update durably, then answer 200."""
        body = await self._gate.admit(request)
        if isinstance(body, web.Response):
            return body
        try:
            update = unwrap(parse(body))
        except ValueError as exc:  # Malformed, and unwrap's "not a Zalo update"
            log.warning("malformed zalo webhook body (%d bytes): %s", len(body), exc)
            return web.json_response({"ok": False}, status=400)
        await self._accept(update)
        return web.json_response({"ok": True})

    async def _accept(self, update: dict) -> None:
        """Queue an update for the worker; count a redelivery or a chatless one as handled."""
        incoming = read(update)
        if incoming is None:
            log.info("ignored a zalo %s update without a chat", update.get("event_name"))
            await self._count()
            return
        if await self._queue.add(NAME, incoming.message_id, incoming.chat_id, update):
            self._wake.set()
        else:
            log.info("ignored a redelivered zalo message")
            await self._count()

    async def _poll(self) -> None:
        """Long-poll getUpdates (one update per call) and queue what arrives."""
        pause = 1.0
        while True:
            try:
                body = await self._api.call(
                    "getUpdates",
                    {"timeout": str(self._poll_timeout)},
                    timeout=self._poll_timeout + 10.0,
                )
                pause = 1.0
                if body:
                    await self._accept(unwrap(body))
            except ZaloError as exc:
                if exc.code == 408:  # nothing arrived in time
                    continue
                log.warning("zalo getUpdates failed (%s); retrying in %.0fs", exc, pause)
                await asyncio.sleep(pause)
                pause = min(60.0, pause * 2)
            except ValueError as exc:
                log.warning("ignored a malformed zalo update: %s", exc)
            except Exception:
                log.exception("could not queue a zalo update; retrying in %.0fs", pause)
                await asyncio.sleep(pause)
                pause = min(60.0, pause * 2)

    # --- the worker ------------------------------------------------------------------------

    async def _work(self) -> None:
        """Take queued updates in order and run each after the previous one of its chat."""
        while True:
            try:
                self._wake.clear()  # before reading, so an update stored meanwhile is not missed
                await self._queue.prune_now_and_then(timedelta(days=TOMBSTONE_DAYS), PRUNE_EVERY)
                rows = await self._queue.pending(self.name, self._cursor, BATCH)
            except Exception:
                log.exception("could not read the zalo inbound queue")
                await asyncio.sleep(1.0)
                continue
            if not rows:
                await self._wake.wait()
                continue
            for row in rows:
                await self._slots.acquire()
                self._cursor = row.id
                before = self._chains.get(row.chat_id)
                task = asyncio.create_task(self._run_after(before, row))
                self._chains[row.chat_id] = task
                task.add_done_callback(lambda done, chat=row.chat_id: self._unchain(chat, done))

    def _unchain(self, chat_id: str, task: asyncio.Task) -> None:
        if self._chains.get(chat_id) is task:
            del self._chains[chat_id]

    async def _run_after(self, before: asyncio.Task | None, row: QueuedUpdate) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])
            await self._process(row)
        finally:
            self._slots.release()

    async def _process(self, row: QueuedUpdate) -> None:
        """Handle one stored update: translate, route, mark handled, answer."""
        chat_id, replies = "", []
        try:
            incoming = read(unwrap(row.payload)) if row.payload else None
            if incoming is None or incoming.is_bot:
                log.warning("dropped an unreadable or bot-sent zalo update %s", row.id)
            elif incoming.private:
                chat_id = incoming.chat_id
                replies = await self._handle(await self._translate(incoming))
            else:
                chat_id = incoming.chat_id
                replies = self._in_group(incoming)
        except Exception:
            log.exception("failed to handle zalo update %s", row.id)
            replies = [Reply(self._notes.error)]
        try:
            await self._queue.done(row.id)
        except Exception:  # it stays queued and is handled again at the next start
            log.exception("could not mark zalo update %s handled", row.id)
        if chat_id and replies:
            await self._answer(chat_id, replies)
        await self._count()

    def _in_group(self, incoming: Incoming) -> list[Reply]:
        """Ask people who command the bot in a group to write to it privately."""
        return [Reply(self._notes.group)] if incoming.text.startswith("/") else []

    async def _translate(self, incoming: Incoming) -> Inbound:
        """Make the core's Inbound: a typed answer to the last list becomes that choice."""
        fields = content(incoming)
        if fields["kind"] is Kind.TEXT:
            choice = self.memory.read(incoming.chat_id, incoming.text)
            if choice is not None:
                fields.update(kind=Kind.CHOICE, choice=choice.id)
        elif fields["kind"] is Kind.PHOTO:
            fields["photos"] = (self._photo(incoming.photo_url),)
        elif fields["kind"] is Kind.VOICE:  # Zalo says no length: seconds unknown
            data = await self._photo(incoming.photo_url).load()  # the same checked download
            size = None if data is None else len(data)
            fields["voices"] = (Voice(incoming.photo_url, None, size, data),)
        return self._inbound(incoming, **fields)

    @staticmethod
    def _inbound(incoming: Incoming, **fields) -> Inbound:
        return Inbound(
            channel=NAME,
            user_id=incoming.user_id,
            chat_id=incoming.chat_id,
            display_name=incoming.display_name,
            private=incoming.private,
            **fields,
        )

    def _photo(self, url: str) -> Photo:
        """Refer to a received photo; it is downloaded (checked, capped) only if a step takes it."""

        async def fetch() -> bytes | None:
            hosts = self._media_hosts
            return await download(self._client, url, hosts, FILE_LIMIT, DOWNLOAD_TIMEOUT)

        return Photo(url, fetch=fetch)
