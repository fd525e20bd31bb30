"""Telegram adapter: python-telegram-bot Updates in, Replies out, nothing decided here."""

from __future__ import annotations

import asyncio
import html
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels import telegram_convert as convert
from bot.channels import telegram_press as press_
from bot.channels.base import RateLimited, Rejected, ServiceUnreachable, Transient, Unreachable
from bot.channels.files import FILE_LIMIT
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.telegram_webhook import TelegramWebhook
from bot.config import ConfigError, Settings
from bot.messages import Document, Inbound, Kind, Photo, Reply, Voice
from bot.text import clean, split_text
from storage.inbox_queue import InboxQueue

log = logging.getLogger(__name__)

# Opt in to PTB 22's durations as timedelta (RetryAfter.retry_after), as PTB 23 will have it;
# PTB reads this when it builds the error, and otherwise warns of the change on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")

NAME = "telegram"
TEXT_LIMIT = press_.TEXT_LIMIT  # characters after entity parsing (Bot API sendMessage)
CAPTION_LIMIT = 1024
REPLY_ATTEMPTS = 4  # tries of a direct answer before giving up
REPLY_BACKOFF = 0.5  # seconds, doubled at each try
REPLY_MAX_WAIT = 10.0  # longest wait a 429 may impose on an answer
STARTUP_ATTEMPTS = 5
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

Handle = Callable[[Inbound], Awaitable[list[Reply]]]


class TelegramChannel:
    """Runs a python-telegram-bot Application and translates between it and the core."""

    name = NAME

    def __init__(
        self,
        settings: Settings,
        handle: Handle,
        *,
        notices: dict[str, str],
        poll_timeout: int = 10,
        seen: InboxQueue | None = None,
    ) -> None:
        assert settings.telegram_token is not None
        self._handle = handle
        self._notices = notices  # "group" and "error" sentences, from the catalog
        self._poll_timeout = poll_timeout
        self._webhook_url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret else ""
        self.paid_broadcast = settings.telegram_paid_broadcast  # pushes only, never replies
        # Room for every update being answered and every push in flight at once.
        pool = settings.concurrent_updates + settings.delivery_in_flight + 8
        self._request = AiohttpRequest(pool)
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .base_file_url(settings.telegram_file_url)
            .concurrent_updates(settings.concurrent_updates)
            # aiohttp, not PTB's default httpx: half the CPU per call (telegram_request.py).
            .request(self._request)
            .get_updates_request(AiohttpRequest(1))
        )
        if self._webhook_url:
            builder = builder.updater(None)
        self.app: Application = builder.build()
        self._api_url = settings.telegram_api_url
        self.connected = False  # Telegram reached and the token accepted (health checks)
        self._webhook = TelegramWebhook(self.app, self._secret, settings.http_read_timeout, seen)
        self.handled = 0  # updates fully handled since start: for health checks and tests
        self._handled_changed = asyncio.Condition()
        self._add_handlers()

    def _add_handlers(self) -> None:
        private = filters.ChatType.PRIVATE
        app = self.app
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self._on_edit))
        app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self._on_message))
        groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE  # an old message edited: no
        app.add_handler(MessageHandler(groups & filters.COMMAND, self._on_group_command))
        app.add_error_handler(self._on_error)
        app.add_handler(TypeHandler(Update, self._count), group=1)  # runs after group 0

    async def _count(self, _update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Count an update as handled, whatever group 0 did with it."""
        async with self._handled_changed:
            self.handled += 1
            self._handled_changed.notify_all()

    async def wait_handled(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` updates have been handled since start."""
        async with self._handled_changed:
            await asyncio.wait_for(
                self._handled_changed.wait_for(lambda: self.handled >= count), timeout
            )

    @property
    def webhook_path(self) -> str:
        return urlsplit(self._webhook_url or "").path or "/telegram"

    def add_routes(self, web_app: web.Application | None) -> None:
        """Serve the webhook path on the bot's HTTP server (webhook mode), before it starts."""
        if self._webhook_url:
            if web_app is None:
                raise RuntimeError("webhook mode needs the HTTP server")
            web_app.router.add_post(self.webhook_path, self._on_webhook)

    async def start(self) -> None:
        """Connect (getMe checks the token), then poll (default) or register the webhook URL."""
        await self.connect()
        await self.app.start()
        if self._webhook_url:
            try:
                await self.app.bot.set_webhook(
                    self._webhook_url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
                )
            except BadRequest as exc:  # Telegram's own words; they never hold the token
                raise ConfigError(
                    f"environment/.env: LOAXA_TELEGRAM_WEBHOOK_URL: Telegram refused it ({exc})",
                    "cli.telegram_webhook_refused",
                    reason=exc,
                ) from None
        else:
            await self.app.updater.start_polling(
                timeout=self._poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=STARTUP_ATTEMPTS,
            )
        self.connected = True
        log.info("telegram channel started as @%s", self.app.bot.username)

    async def connect(self) -> None:
        """Reach Telegram once and check the token; say what failed, never with PTB's text
        (it holds the token: "The token `...` was rejected"), not even as a cause."""
        try:
            return await self.app.initialize()
        except InvalidToken:  # 401 or 404: a revoked or mistyped token, or a wrong API URL
            error: Exception = ConfigError(
                "environment/.env: LOAXA_TELEGRAM_TOKEN: Telegram refused the token",
                "cli.telegram_token_refused",
                url=self._api_url,
            )
        except NetworkError as exc:  # refused, reset, timed out, no route, no DNS
            kind = exc.message.partition(":")[0]  # only the kind: the text may hold the URL
            reason = kind if kind.startswith("aiohttp.") else type(exc).__name__
            error = ServiceUnreachable("Telegram", self._api_url, reason)
        await self.app.bot.shutdown()  # its HTTP sessions, opened before getMe
        raise error

    async def get_username(self) -> str:
        """Return the bot's username (getMe), for one-off commands; connect and close."""
        try:
            await self.connect()
            return self.app.bot.username
        finally:
            await self.app.bot.shutdown()

    async def stop(self) -> None:
        """Stop polling and the application."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.app.bot.shutdown()  # stopped while connecting: its sessions are still open

    async def set_command_menus(
        self, default: Sequence[tuple[str, str]], per_chat: dict[str, Sequence[tuple[str, str]]]
    ) -> None:
        """Show residents the default menu and each staff member their own."""
        default_scope = BotCommandScopeDefault()
        await self.app.bot.set_my_commands(convert.commands(default), scope=default_scope)
        for chat_id, commands in per_chat.items():
            try:
                await self.app.bot.set_my_commands(
                    convert.commands(commands), scope=BotCommandScopeChat(int(chat_id))
                )
            except (BadRequest, Forbidden, ValueError) as exc:
                log.warning("no command menu for staff chat %s: %s", chat_id, exc)

    async def push(self, chat_id: str, reply: Reply) -> None:
        """Send a reply for the delivery engine, translating errors into SendError kinds."""
        try:
            await self.send(chat_id, reply, paid_broadcast=self.paid_broadcast)
        except RetryAfter as exc:
            raise RateLimited(convert.retry_seconds(exc), str(exc)) from exc
        except Forbidden as exc:
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise Rejected(str(exc)) from exc
        except (NetworkError, TelegramError) as exc:  # timeouts and 5xx are NetworkError
            raise Transient(str(exc)) from exc

    async def send(self, chat_id: str, reply: Reply, *, paid_broadcast: bool = False) -> None:
        """Send one Reply to a chat: escaped text in pieces, buttons on the last piece."""
        markup = convert.keyboard(reply)
        paid = {"allow_paid_broadcast": True} if paid_broadcast else {}
        if reply.media is not None:
            await self._send_media(chat_id, reply, markup, paid)
            return
        room = TEXT_LIMIT - len(reply.title) - 1 if reply.title else TEXT_LIMIT
        pieces = split_text(reply.text, room) or ["…"]
        for number, piece in enumerate(pieces, 1):
            await self.app.bot.send_message(
                chat_id,
                press_.html_text(piece, reply.title if number == 1 else ""),
                parse_mode=ParseMode.HTML,
                reply_markup=markup if number == len(pieces) else None,
                **paid,
            )

    async def _send_media(self, chat_id: str, reply: Reply, markup, paid: dict) -> None:
        caption = html.escape(reply.text[:CAPTION_LIMIT], quote=False) or None
        media, bot = reply.media, self.app.bot
        send, named = bot.send_document, {"filename": media.filename}
        if media.kind == "photo":
            send, named = bot.send_photo, {}
        elif media.kind == "voice" and media.data.startswith(b"OggS"):  # Telegram's own notes
            send, named = bot.send_voice, {}
        elif media.kind == "voice":  # another channel's recording (Zalo): played as audio
            send = bot.send_audio
        await send(chat_id, media.data, caption=caption, parse_mode=ParseMode.HTML,
                   reply_markup=markup, **named, **paid)  # fmt: skip

    async def _dispatch(self, inbound: Inbound) -> None:
        for reply in await self._handle(inbound):
            await self._reply(inbound.chat_id, reply)

    async def _reply(self, chat_id: str, reply: Reply) -> None:
        """Send a direct answer, retrying a 429, a 5xx or a dropped connection a few times.

        The core has already committed what the answer reports (a tracking code, say), so
        losing it to one bad call would leave the person without it. Answers do not go through
        the outbox, to stay fast; a retried call whose first try did arrive shows twice.
        """
        for attempt in range(REPLY_ATTEMPTS):
            try:
                await self.send(chat_id, reply)
                return
            except RetryAfter as exc:
                wait = min(convert.retry_seconds(exc), REPLY_MAX_WAIT)
            except (BadRequest, Forbidden):
                raise
            except NetworkError:  # timeouts, 5xx, dropped connections
                wait = REPLY_BACKOFF * 2**attempt
            if attempt + 1 < REPLY_ATTEMPTS:
                log.warning("retrying an answer in %.1f s", wait)
                await asyncio.sleep(wait)
        await self.send(chat_id, reply)  # the last try: its error goes to the error handler

    async def _on_message(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Translate a private message and answer it."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or user.is_bot:
            return
        fields = convert.kind_of(message)
        for name in ("photos", "documents"):  # references: fetched only if a step takes them
            files = fields.get(name, ())
            fields[name] = tuple(replace(f, fetch=partial(self._fetch, f)) for f in files)
        if fields["kind"] is Kind.VOICE:  # voice notes are still fetched at once
            voice = fields["voices"][0]
            data = await self._fetch(voice)
            fields["voices"] = (
                voice if data is None else replace(voice, size=len(data), data=data),
            )
        await self._dispatch(convert.inbound(message, **fields))

    async def _fetch(self, item: Photo | Document | Voice) -> bytes | None:
        """Download a received file (getFile, then the file, capped); None when that fails."""
        what = type(item).__name__.lower()
        if item.size is not None and item.size > FILE_LIMIT:
            log.warning("a %s of %d bytes is over the download limit", what, item.size)
            return None
        try:
            file = await self.app.bot.get_file(item.ref)
        except TelegramError as exc:
            log.warning("could not download a %s: %s", what, exc)
            return None
        if (file.file_size is not None and file.file_size > FILE_LIMIT) or not file.file_path:
            return None
        return await self._request.download(file.file_path, FILE_LIMIT)

    async def _on_edit(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Tell the person edits are not re-read."""
        message = update.effective_message
        if message is not None and message.from_user and not message.from_user.is_bot:
            await self._dispatch(convert.inbound(message, kind=Kind.EDITED))

    async def _on_button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge a button press, pass the data on, and answer in place or anew."""
        query = update.callback_query
        message = query.message
        if not isinstance(message, Message) or message.chat.type != "private":
            await press_.acknowledge(query)
            return
        user = query.from_user
        press = Inbound(
            channel=NAME,
            user_id=str(user.id),
            chat_id=str(message.chat.id),
            display_name=clean(user.full_name),
            kind=Kind.CHOICE,
            choice=query.data or "",
            language=user.language_code,
        )
        # The core handles the press while its spinner is stopped: the two take as long as
        # the slower; then the answer edits the message pressed or goes out anew.
        _, replies = await asyncio.gather(press_.acknowledge(query), self._handle(press))
        await press_.answer(query, replies, partial(self._reply, press.chat_id))

    async def _on_group_command(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask people who command the bot in a group to write to it privately."""
        message = update.effective_message
        if message is None or not message.from_user or message.from_user.is_bot:
            return
        addressee = (message.text or "").split(maxsplit=1)[0].partition("@")[2]
        if addressee and addressee.lower() != (self.app.bot.username or "").lower():
            return  # "/start@OtherBot": another bot in the same group is meant
        await message.reply_text(self._notices["group"])

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure and tell the person in plain words; never show a traceback."""
        log.error("error while handling an update", exc_info=context.error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == "private":
            try:
                await self.app.bot.send_message(chat.id, self._notices["error"])
            except TelegramError:
                log.warning("could not tell the person about the error")

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Answer Telegram's webhook calls once connected (telegram_webhook.py does the rest)."""
        if not self.connected:  # not yet connected to Telegram: it will send this again
            return web.Response(status=503)
        return await self._webhook.receive(request)
