"""The Telegram webhook: Telegram's POSTs checked, read, and each update handled once.

Telegram redelivers an update it got no 200 for in time, so the same update can arrive
while it is being handled or after: each update id is recorded in the inbound table
(storage/inbox_queue.py, as the Zalo webhook's message ids are) before it is handled and
marked handled after, and an update id already handled is answered 200 and ignored. An
update left half-handled by a crash is handled again when Telegram redelivers it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.channels.webhook import Gate, Malformed, parse
from storage.inbox_queue import InboxQueue

log = logging.getLogger(__name__)

NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes
TOMBSTONE_DAYS = 3  # how long a handled update id is remembered against redeliveries


class TelegramWebhook:
    """Receives Telegram's webhook requests for one Application."""

    def __init__(
        self, app: Application, secret: str, read_timeout: float, seen: InboxQueue | None
    ) -> None:
        self._app = app
        self._gate = Gate(NAME, secret, SECRET_HEADER, MAX_BODY, read_timeout)
        self._seen = seen
        self._in_flight: set[int] = set()

    async def receive(self, request: web.Request) -> web.Response:
        """Check the secret and the body, then handle the update once before answering 200.

        A body that is not a JSON object with an integer update_id is not from Telegram: 400.
        An update Telegram sent that the library cannot read is answered 200 and dropped
        with one log line, because Telegram retries a refused update, holding back the
        ones after it, until it gives up.
        """
        body = await self._gate.admit(request)
        if isinstance(body, web.Response):
            return body
        try:
            data = parse(body)
        except Malformed as exc:
            log.warning("malformed telegram webhook body (%d bytes): %s", len(body), exc)
            return web.Response(status=400)
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int:
            log.warning("telegram webhook body is not an update (%s)", type(data).__name__)
            return web.Response(status=400)
        try:
            update = Update.de_json(data, self._app.bot)
        except Exception as exc:  # the library's parsers raise whatever they meet
            log.warning("dropped unreadable telegram update %d (%s)", update_id, type(exc).__name__)
            return web.Response(text="ok")
        await self._handle_once(update)
        return web.Response(text="ok")

    async def _handle_once(self, update: Update) -> None:
        """Handle an update unless it is being handled or was handled (a redelivery)."""
        if update.update_id in self._in_flight:
            log.info("ignored telegram update %d: already being handled", update.update_id)
            return
        self._in_flight.add(update.update_id)
        try:
            key = str(update.update_id)
            if self._seen is not None:  # the update id only: no chat, no content
                fresh = await self._seen.add(NAME, key, "", {})
                if not fresh and await self._seen.is_handled(NAME, key):
                    log.info("ignored redelivered telegram update %d", update.update_id)
                    return
            await self._app.process_update(update)
            if self._seen is not None:
                await self._seen.finish(NAME, key)
                await self._seen.prune_now_and_then(timedelta(days=TOMBSTONE_DAYS))
        finally:
            self._in_flight.discard(update.update_id)
