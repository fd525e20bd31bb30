"""The bot's HTTP listener: aiohttp's server behind a connection cap and a header deadline.

aiohttp's web server has no limit on open connections and, before 3.10, no deadline for a
client to finish sending a request's headers: 300 clients sending a header byte every 2 s
held 300 connections open (slowloris). Here, through public aiohttp API only:

- at most `max_connections` are open at once; a connection over the cap is closed at once;
- a connection that has not delivered a complete request's headers `header_timeout` seconds
  after it opened is closed; after an answer, aiohttp's keep-alive timeout (set to the same
  value) closes a connection that does not send its next request in time;
- bodies are read under their own deadline where they are read (bot/channels/webhook.py),
  and what is left of a body nobody reads is drained for no longer than that.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

log = logging.getLogger(__name__)

WARN_EVERY = 60.0  # seconds between two warnings that the cap is reached


class _Refused(asyncio.Protocol):
    """A connection over the cap: closed as soon as it is made."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class Listener:
    """Listens on host:port for an aiohttp application, capped and with deadlines."""

    def __init__(
        self,
        app: web.Application,
        *,
        max_connections: int,
        header_timeout: float,
        read_timeout: float,
    ) -> None:
        self._max = max_connections
        self._header_timeout = header_timeout
        self._waiting: set[object] = set()  # connections that have not sent a request yet
        self._warned_at = -WARN_EVERY
        app.middlewares.append(self._arrived)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=header_timeout,
            lingering_time=read_timeout,  # reading what is left of a refused body
        )
        self._server: asyncio.AbstractServer | None = None

    @property
    def open_connections(self) -> int:
        """Count the connections open now (for health checks and tests)."""
        server = self._runner.server
        return len(server.connections) if server is not None else 0

    @property
    def port(self) -> int | None:
        """Return the port listened on (the one asked for, or the one got for 0)."""
        if self._server is None or not self._server.sockets:
            return None
        return self._server.sockets[0].getsockname()[1]

    async def start(self, host: str, port: int) -> None:
        """Set the application up and start listening."""
        await self._runner.setup()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._connection, host, port)

    async def stop(self) -> None:
        """Stop listening, close connections, clean the application up."""
        if self._server is not None:
            self._server.close()
        await self._runner.cleanup()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _connection(self) -> asyncio.BaseProtocol:
        """Make the protocol for a new connection: aiohttp's, or a refusal over the cap."""
        server = self._runner.server
        assert server is not None
        if len(server.connections) >= self._max:
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY:
                self._warned_at = now
                log.warning("%d HTTP connections open: refusing more", self._max)
            return _Refused()
        handler = server()
        self._waiting.add(handler)
        asyncio.get_running_loop().call_later(self._header_timeout, self._deadline, handler)
        return handler

    def _deadline(self, handler) -> None:
        """Close a connection that has sent no complete request's headers in time."""
        if handler in self._waiting:
            self._waiting.discard(handler)
            handler.force_close()

    @web.middleware
    async def _arrived(self, request: web.Request, handler) -> web.StreamResponse:
        """Note that a connection delivered a request's headers: its deadline is met."""
        self._waiting.discard(request.protocol)
        return await handler(request)
