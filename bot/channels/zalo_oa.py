"""Zalo OA adapter: the commune's Official Account's webhook events in, Replies out.

Events arrive by webhook only, at LOAXA_ZALO_OA_WEBHOOK_PATH on the bot's HTTP server. Each
request's `X-ZEvent-Signature` is checked in constant time (401 and nothing stored when it
is missing or wrong); a signed event is stored in the inbound queue before the 200, and
handled after by the worker the Zalo Bot channel uses (in order per follower, redeliveries
of a msg_id dropped): Zalo wants its answer within 2 s (shared/reference/zalo-oa.md §2).

Every event from a follower is an interaction for the 7-day window (bot/oa_window.py): it
is recorded at Zalo's timestamp, and what the window held for them goes out before the
answer to what they wrote (the oldest few, then a line saying how many still wait).

Replies go out as consultation messages (`/v3.0/oa/message/cs`), rendered exactly as on the
Bot Platform: text pieces of at most 2,000 characters, choices as a numbered list.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web

from bot.channels import files
from bot.channels.base import SendError, ServiceUnreachable
from bot.channels.webhook import read_capped
from bot.channels.zalo import (
    DOWNLOAD_TIMEOUT,
    MAX_BODY,
    Handle,
    ZaloChannel,
)
from bot.channels.zalo_api import download
from bot.channels.zalo_messages import MEMORY_CHATS, ChoiceMemory, Notes, render
from bot.channels.zalo_oa_api import (
    NO_ANSWER,
    NotConnected,
    OaApi,
    OaError,
    TokensDead,
    send_error,
    valid_signature,
)
from bot.channels.zalo_oa_events import FOLLOW, UNFOLLOW, OaEvent, fields, parse
from bot.channels.zalo_oa_media import Upload, attachment, prepare
from bot.config import ConfigError, Settings, media_hosts
from bot.i18n import DEFAULT_ADDRESS, translator
from bot.messages import Document, Inbound, Kind, Photo, Reply
from bot.text import clean
from storage.inbox_queue import InboxQueue, QueuedUpdate
from storage.models import ResidentStatus
from storage.oa_tokens import OaTokens
from storage.residents import Residents

if TYPE_CHECKING:
    from bot.oa_window import OaWindow

log = logging.getLogger(__name__)

NAME = "zalo_oa"
SIGNATURE_HEADER = "X-ZEvent-Signature"
FILE_LIMIT = 25 * 1024 * 1024  # a file a follower sends (Zalo lets people send up to 1 GB)
EXPIRED_UPLOAD = -100  # "attachment_id was expired" [reference §6]: upload again
NAME_TIMEOUT = 3.0  # seconds a follower's step waits at most for their Zalo name


def oa_notes(language: str, address: str = DEFAULT_ADDRESS) -> Notes:
    """Return the OA adapter's sentences in a language, addressing residents as the commune does."""
    t = translator(language, address)
    return Notes(
        choose_hint=t("zalo_oa.choose_hint"),
        photo_unavailable=t("zalo_oa.photo_unavailable"),
        document_unavailable=t.template("zalo_oa.document_unavailable"),
        group=t("zalo_oa.unsupported"),  # the OA has no groups: never shown
        error=t("error.generic"),
    )


class ZaloOaChannel(ZaloChannel):
    """Receives signed OA events durably, hands them to the core, renders its Replies."""

    name = NAME

    def __init__(  # the queue worker and reply loop are the Zalo Bot channel's
        self,
        settings: Settings,
        handle: Handle,
        queue: InboxQueue,
        tokens: OaTokens,
        residents: Residents,
        *,
        language: str = "vi",
        address: str = DEFAULT_ADDRESS,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] | None = None,
        tokens_dead: Callable[[], Awaitable[object]] | None = None,
        window: OaWindow | None = None,
    ) -> None:
        assert (
            settings.zalo_oa_app_id and settings.zalo_oa_secret_key and settings.zalo_oa_app_secret
        )
        self._handle = handle
        self._queue = queue
        self._residents = residents
        self._tokens_dead = tokens_dead  # tells the admins to connect the OA again
        self.window = window  # the delivery engine asks it too, before each push
        self._t = translator(language, address)
        self._notes = oa_notes(language, address)
        self._unsupported = translator(language, address)("zalo_oa.unsupported")
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(15.0))
        self._app_id = settings.zalo_oa_app_id
        self._key = settings.zalo_oa_secret_key.get_secret_value()
        seed = settings.zalo_oa_refresh_token
        self.api = OaApi(
            self._client,
            tokens,
            api_url=settings.zalo_oa_api_url,
            oauth_url=settings.zalo_oa_oauth_url,
            app_id=self._app_id,
            app_secret=settings.zalo_oa_app_secret.get_secret_value(),
            seed=seed.get_secret_value() if seed else "",
            **({"clock": clock} if clock else {}),
        )
        self._path = settings.zalo_oa_webhook_path
        self._read_timeout = settings.http_read_timeout
        self._media_hosts = media_hosts(settings.zalo_media_hosts)  # where photos may come from
        self._api_url = settings.zalo_oa_api_url
        self._slots = asyncio.Semaphore(settings.concurrent_updates)
        self.memory = ChoiceMemory()
        self._names: dict[str, str] = {}  # follower -> Zalo display name, oldest first
        self.handled = 0
        self._handled_changed = asyncio.Condition()
        self._wake = asyncio.Event()
        self._chains: dict[str, asyncio.Task] = {}
        self._loops: list[asyncio.Task] = []
        self._cursor = 0
        self._pruned_at = 0.0
        self.bot_name = ""
        self._webhook_url = self._path  # always webhook mode
        self.connected = False

    def __repr__(self) -> str:
        return f"<ZaloOaChannel webhook {self._path} handled={self.handled}>"

    @property
    def webhook_path(self) -> str:
        return self._path

    # --- lifecycle -------------------------------------------------------------------------

    def add_routes(self, web_app: web.Application | None) -> None:
        """Serve the webhook path on the bot's HTTP server, before it starts."""
        if web_app is None:
            raise RuntimeError("the Zalo OA channel needs the HTTP server")
        try:
            web_app.router.add_post(self._path, self._on_webhook)
        except RuntimeError as exc:
            raise ConfigError(
                f"environment/.env: LOAXA_ZALO_OA_WEBHOOK_PATH: path {self._path}"
                f" is already served ({exc})"
            ) from exc

    async def start(self) -> None:
        """Load the token pair, check it against Zalo (getoa), start the worker."""
        await self.api.load()
        try:
            oa = await self.api.call("GET", "/v2.0/oa/getoa")
        except NotConnected:
            raise ConfigError(
                "environment/.env: LOAXA_ZALO_OA_REFRESH_TOKEN: the OA has no token yet; run"
                " `loaxa zalo-oa connect` or set a refresh token from the API Explorer",
                "cli.zalo_oa_not_connected",
            ) from None
        except TokensDead as exc:
            raise ConfigError(
                f"environment/.env: LOAXA_ZALO_OA_REFRESH_TOKEN: Zalo refused the OA's tokens"
                f" ({exc}); run `loaxa zalo-oa connect` or set a new refresh token from the"
                " API Explorer",
                "cli.zalo_oa_tokens",
                reason=exc,
            ) from None
        except OaError as exc:
            if exc.code == NO_ANSWER:
                raise ServiceUnreachable("Zalo OA", self._api_url, exc.message) from None
            raise ConfigError(
                f"environment/.env: LOAXA_ZALO_OA_APP_ID: Zalo refused getoa ({exc})",
                "cli.zalo_refused",
                setting="LOAXA_ZALO_OA_APP_ID",
                method="getoa",
                reason=exc,
            ) from None
        self.bot_name = str(oa.get("name") or "") if isinstance(oa, dict) else ""
        self.connected = True
        self._loops = [asyncio.create_task(self._work(), name="zalo-oa-worker")]
        log.info("zalo OA channel started as %s (webhook %s)", self.bot_name or "?", self._path)

    # --- sending ---------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Send one Reply: texts of at most 2,000 characters, choices numbered, then its file.

        A photo (fitted to 1 MB) or a pdf/doc/docx of at most 5 MB is uploaded right before
        the message that carries it, so no upload id is kept past its life; an id Zalo calls
        expired (-100) is uploaded again once. Media the OA cannot take stays a note in the text.
        """
        upload = await asyncio.to_thread(prepare, reply.media) if reply.media else None
        shown = dataclasses.replace(reply, media=None) if upload else reply
        if upload is None or shown.text.strip() or shown.title or shown.choices:
            for text in render(shown, self._notes):
                await self._consult(chat_id, {"text": text})
        if upload is not None:
            for attempt in (1, 2):
                ref = await self._upload(upload)
                body = {"recipient": {"user_id": chat_id}, "message": {}}
                body["message"]["attachment"] = attachment(upload, ref)
                try:
                    await self.api.call("POST", "/v3.0/oa/message/cs", json=body)
                    return
                except OaError as exc:
                    if exc.code != EXPIRED_UPLOAD or attempt == 2:
                        raise await self._refused(exc) from None

    async def _upload(self, upload: Upload) -> str:
        """Upload a photo or document; return its attachment id or file token."""
        files = {"file": (upload.filename, upload.data, upload.content_type)}
        data = await self._call("POST", f"/v2.0/oa/upload/{upload.kind}", files=files)
        ref = data.get("token" if upload.kind == "file" else "attachment_id") if data else None
        if not isinstance(ref, str) or not ref:
            raise send_error(OaError(NO_ANSWER, f"upload/{upload.kind}: no id in the answer"))
        return ref

    async def _consult(self, chat_id: str, message: dict) -> None:
        body = {"recipient": {"user_id": chat_id}, "message": message}
        await self._call("POST", "/v3.0/oa/message/cs", json=body)

    async def _call(self, method: str, path: str, **kwargs) -> Any:
        """Call the API for a send; a refusal becomes what the delivery engine acts on."""
        try:
            return await self.api.call(method, path, **kwargs)
        except OaError as exc:
            raise await self._refused(exc) from None

    async def _refused(self, exc: OaError) -> SendError:
        if isinstance(exc, TokensDead) and self._tokens_dead is not None:
            await self._tokens_dead()
        return send_error(exc)

    async def _name_of(self, user_id: str, fresh: bool) -> str:
        """Return a follower's Zalo name (user/detail), once per follower; "" when Zalo fails."""
        if not fresh and user_id in self._names:
            return self._names[user_id]
        params = {"data": json.dumps({"user_id": user_id})}
        try:
            async with asyncio.timeout(NAME_TIMEOUT):
                data = await self.api.call("GET", "/v3.0/oa/user/detail", params=params)
            name = clean(str((data or {}).get("display_name") or ""))[:64]
        except (OaError, TimeoutError, AttributeError) as exc:
            log.info("no zalo OA name for a follower: %s", type(exc).__name__)
            name = ""  # the resident's step goes on without one
        self._names[user_id] = name
        while len(self._names) > MEMORY_CHATS:
            self._names.pop(next(iter(self._names)))
        return name

    # --- receiving -------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Check the signature, store the event durably, then answer 200."""
        body = await read_capped(request, MAX_BODY, self._read_timeout)
        if body is None:
            log.warning("zalo OA webhook body over %d bytes refused", MAX_BODY)
            return web.json_response({"ok": False}, status=413)
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not self._signed(event, body, request):
            log.warning("zalo OA webhook request with a wrong signature from %s", request.remote)
            return web.json_response({"ok": False}, status=401)
        await self._accept(event)
        return web.json_response({"ok": True})

    def _signed(self, event: dict, body: bytes, request: web.Request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = event.get("timestamp")
        if not given or not isinstance(timestamp, str | int):
            return False
        return valid_signature(self._app_id, body, str(timestamp), self._key, given)

    async def _accept(self, update: dict) -> None:
        """Queue an event from a resident; count an ignored one or a redelivery as handled."""
        event = parse(update)
        if event is None:
            await self._count()
            return
        if await self._queue.add(NAME, event.msg_id, event.user_id, update):
            self._wake.set()
        else:
            log.info("ignored a redelivered zalo OA event")
            await self._count()

    async def _process(self, row: QueuedUpdate) -> None:
        """Handle one stored event: translate, route, mark handled, answer."""
        chat_id, replies = "", []
        try:
            event = parse(row.payload) if row.payload else None
            if event is None:
                log.warning("dropped an unreadable zalo OA event %s", row.id)
            elif event.event == UNFOLLOW:
                await self._unfollowed(event.user_id)
            else:
                chat_id = event.user_id
                if self.window is not None:
                    await self.window.interacted(chat_id, _moment(row.payload))
                replies = await self._route(event)
        except Exception:
            log.exception("failed to handle zalo OA event %s", row.id)
            replies = [Reply(self._notes.error)]
        try:
            await self._queue.done(row.id)
        except Exception:
            log.exception("could not mark zalo OA event %s handled", row.id)
        if chat_id and self.window is not None:
            await self._deliver_held(chat_id)
        if chat_id and replies:
            await self._answer(chat_id, replies)
        await self._count()

    async def _route(self, event: OaEvent) -> list[Reply]:
        got = fields(event)
        if got["kind"] is Kind.UNSUPPORTED:
            return [Reply(self._unsupported)]  # stickers, gifs, links: said here, no flow moves
        if got["kind"] is Kind.TEXT:
            choice = self.memory.read(event.user_id, event.text)
            if choice is not None:
                got.update(kind=Kind.CHOICE, choice=choice.id)
        elif got["kind"] is Kind.PHOTO:
            hosts, limit = self._media_hosts, files.FILE_LIMIT
            data = await download(self._client, event.url, hosts, limit, DOWNLOAD_TIMEOUT)
            got["photos"] = (
                Photo(event.url) if data is None else Photo(event.url, len(data), data),
            )
        elif got["kind"] is Kind.DOCUMENT:
            hosts = self._media_hosts
            data = await download(self._client, event.url, hosts, FILE_LIMIT, DOWNLOAD_TIMEOUT)
            size = None if data is None else len(data)
            got["documents"] = (Document(event.url, event.filename or "tep", size, data),)
        if event.event == FOLLOW:
            self.memory.remember(event.user_id, ())
        inbound = Inbound(
            channel=NAME,
            user_id=event.user_id,
            chat_id=event.user_id,
            display_name=await self._name_of(event.user_id, fresh=event.event == FOLLOW),
            private=True,
            **got,
        )
        return await self._handle(inbound)

    async def _deliver_held(self, chat_id: str) -> None:
        """Send what waited for the follower, then say how many messages still wait."""
        try:
            left = await self.window.deliver_held(chat_id, self.push)
            if left:
                await self.send(chat_id, Reply(self._t("zalo_oa.held_more", count=left)))
        except Exception:  # what is not sent stays held or pending: the answer still goes
            log.exception("could not deliver held zalo OA pushes")

    async def _unfollowed(self, user_id: str) -> None:
        """Stop pushes to someone who unfollowed the OA: the resident is unreachable."""
        resident = await self._residents.get_by_identity(NAME, user_id)
        if resident is not None and resident.status is ResidentStatus.ACTIVE:
            await self._residents.set_status(resident.id, ResidentStatus.BLOCKED)
            log.info("resident %s unfollowed the zalo OA: pushes stop", resident.id)


def _moment(payload: object) -> datetime | None:
    """Return an event's `timestamp` (epoch milliseconds, a string), or None."""
    try:
        return datetime.fromtimestamp(int(payload["timestamp"]) / 1000, UTC)  # type: ignore[index]
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
