"""What every emulator shares: an aiohttp server on loopback, started and stopped as one."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web


class LoopbackServer:
    """An emulator's HTTP server: `serve` an app on host:port, `url` its root, `async with`."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:  # each emulator builds its app and calls serve()
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop serving."""
        await self._close_server()

    async def serve(self, app: web.Application, **runner_options: Any) -> None:
        """Serve `app` on host:port (port 0 picks a free port, which `url` then names)."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already started")
        runner = web.AppRunner(app, access_log=None, **runner_options)
        await runner.setup()
        await web.TCPSite(runner, self._host, self._port).start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def _close_server(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Return the server root, e.g. http://127.0.0.1:PORT."""
        return f"http://{self._host}:{self._port}"
