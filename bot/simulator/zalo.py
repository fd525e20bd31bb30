"""A local Zalo Bot Platform emulator for end-to-end tests and demos.

A real loopback HTTP server speaking the Bot API of shared/reference/zalo-bot-api.md:
`POST {emu.base_url}{token}/{method}` with JSON. In webhook mode (after setWebhook) each
update is POSTed to the bot with the secret header, wrapped `{"ok": true, "result": ...}` or
bare (`emu.wrap_webhook = False`); otherwise getUpdates hands out one update per call.
People are driven from Python (`await emu.send_text(user.id, "/start")`), test images are
served from the emulator itself under /files/, and what the bot sent is read back with
`emu.messages(chat_id)`.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.simulator.server import LoopbackServer

from .telegram_models import ApiError
from .zalo_state import METHODS, RateLimit, ZaloSent, ZaloState, ZaloUser

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
_BY_LOWER = {name.lower(): name for name in METHODS}


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


class ZaloEmulator(LoopbackServer):
    """A loopback Zalo Bot API server with a Python API to play the people in it."""

    def __init__(
        self,
        token: str = "zalo-test-token",
        *,
        rate_limit: RateLimit | bool | None = None,
        bot_name: str = "Bot Loa Xã thử nghiệm",
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._state = ZaloState(token, bot_name, seed)
        self._state.rate_limit = RateLimit() if rate_limit is True else (rate_limit or None)
        super().__init__(host, port)
        self._cursors: dict[str, int] = {}

    def __repr__(self) -> str:  # never the token: it is part of every API URL
        where = self.url if self._runner else "not started"
        mode = "webhook" if self._state.webhook_url else "polling"
        return (
            f"<ZaloEmulator {where} {mode} users={len(self._state.users)} "
            f"pending_updates={len(self._state.pending)}>"
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on host:port (port 0 picks a free port)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/bot{token}/{method}", self._on_call)
        app.router.add_get("/files/{name}", self._on_file)
        await self.serve(app, handler_cancellation=True)
        logger.info("Zalo emulator listening on %s", self.url)

    async def stop(self) -> None:
        """Stop serving; pending long polls end."""
        await self._state.close()
        await self._close_server()



    @property
    def base_url(self) -> str:
        """Return the value for LOAXA_ZALO_API_URL (the token and method are appended)."""
        return f"{self.url}/bot"

    # --- HTTP --------------------------------------------------------------------------------

    async def _on_call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self._state.token:
            return _error(ApiError(401, "Unauthorized"))
        method = _BY_LOWER.get(request.match_info["method"].lower())
        if method is None:
            return _error(ApiError(404, "Not Found: no such method"))
        try:
            params = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(ApiError(400, "Bad Request: the body is not JSON"))
        if not isinstance(params, dict):
            return _error(ApiError(400, "Bad Request: the body must be a JSON object"))
        self._state.calls.append((method, dict(params)))
        self._state.call_counts[method] += 1
        try:
            result = await METHODS[method](self._state, params)
        except ApiError as error:
            logger.debug("%s answered %s: %s", method, error.code, error.description)
            return _error(error)
        return web.json_response({"ok": True, "result": result})

    async def _on_file(self, request: web.Request) -> web.Response:
        stored = self._state.files.get(request.match_info["name"])
        if stored is None:
            return web.Response(status=404)
        data, content_type = stored
        return web.Response(body=data, content_type=content_type)

    # --- the world ---------------------------------------------------------------------------

    def add_user(self, display_name: str) -> ZaloUser:
        """Create a user; their private chat id equals user.id (a hex string)."""
        user = ZaloUser(self._state.new_id(), display_name)
        self._state.users[user.id] = user
        return user

    def user(self, user_id: str) -> ZaloUser:
        return self._state.user(user_id)

    def block(self, user_id: str) -> None:
        """Make the user block the bot: sends to them answer 403 from now on."""
        self._state.user(user_id).blocked = True

    def add_file(
        self, data: bytes, name: str | None = None, content_type: str = "image/png"
    ) -> str:
        """Serve bytes at a /files/ URL of the emulator and return that URL."""
        name = name or f"{self._state.new_id()}.png"
        self._state.files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    @property
    def rate_limit(self) -> RateLimit | None:
        return self._state.rate_limit

    @rate_limit.setter
    def rate_limit(self, limit: RateLimit | None) -> None:
        self._state.rate_limit = limit

    @property
    def wrap_webhook(self) -> bool:
        """Whether webhook bodies are wrapped in {"ok": true, "result": update}."""
        return self._state.wrap_webhook

    @wrap_webhook.setter
    def wrap_webhook(self, wrapped: bool) -> None:
        self._state.wrap_webhook = wrapped

    # --- what people do ----------------------------------------------------------------------

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        """Send a text message as the user."""
        return await self._send(user_id, "message.text.received", text=text)

    async def send_image(
        self, user_id: str, image: bytes | str, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo as the user: a URL, or bytes served from the emulator's /files/."""
        url = self.add_file(image) if isinstance(image, bytes) else image
        content: dict[str, Any] = {"photo": url}
        if caption is not None:
            content["caption"] = caption
        return await self._send(user_id, "message.image.received", **content)

    async def send_sticker(
        self, user_id: str, sticker: str = "sticker-thumbs-up"
    ) -> dict[str, Any]:
        """Send a sticker as the user."""
        return await self._send(user_id, "message.sticker.received", sticker=sticker)

    async def send_voice(self, user_id: str) -> dict[str, Any]:
        """Send a voice message as the user."""
        return await self._send(user_id, "message.voice.received", voice=self.add_file(b"voice"))

    async def send_unsupported(self, user_id: str) -> dict[str, Any]:
        """Send something Zalo itself reports as unsupported (a poll, a contact card...)."""
        return await self._send(user_id, "message.unsupported.received")

    async def deliver(self, update: dict[str, Any]) -> None:
        """Deliver an update (again): what Zalo does when it retries a webhook."""
        await self._state.dispatch(update)

    async def _send(self, user_id: str, event: str, **content: Any) -> dict[str, Any]:
        update = self._state.message_update(user_id, event, **content)
        await self._state.dispatch(update)
        await asyncio.sleep(0)  # let a waiting getUpdates see it
        return update

    # --- what the bot did --------------------------------------------------------------------

    def messages(self, chat_id: str) -> list[ZaloSent]:
        """Return what the bot sent to a chat, in order."""
        return list(self._state.sent.get(chat_id, []))

    def last_message(self, chat_id: str) -> ZaloSent | None:
        sent = self._state.sent.get(chat_id)
        return sent[-1] if sent else None

    async def next_message(self, chat_id: str, timeout: float = 5.0) -> ZaloSent:
        """Wait for the next message to chat_id not yet returned by this method."""
        cursor = self._cursors.get(chat_id, 0)
        await self.wait_until(lambda: len(self._state.sent.get(chat_id, [])) > cursor, timeout)
        self._cursors[chat_id] = cursor + 1
        return self._state.sent[chat_id][cursor]

    async def wait_until(self, ready: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait until ready() is true, re-checking on every change in the emulator."""
        try:
            await self._state.changed.wait_until(ready, timeout)
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s") from None

    @property
    def webhook_url(self) -> str:
        """Return the registered webhook URL ("" when polling)."""
        return self._state.webhook_url

    @property
    def updates_sent(self) -> int:
        """Return how many updates were delivered or queued for the bot."""
        return self._state.updates_sent

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates waiting for getUpdates."""
        return list(self._state.pending)

    @property
    def webhook_deliveries(self) -> list[tuple[str, int | str]]:
        """Return (message_id, HTTP status or error name) per webhook POST."""
        return list(self._state.deliveries)

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Return every authenticated call as (method, params), refused ones included."""
        return list(self._state.calls)

    @property
    def call_counts(self) -> Counter[str]:
        return self._state.call_counts
