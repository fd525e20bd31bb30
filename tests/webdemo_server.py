"""The web demo served on a free loopback port, for the API and browser tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from aiohttp import web

from bot.config import Commune
from bot.webdemo.server import HOST, TOKEN_HEADER, make_app
from bot.webdemo.world import DemoWorld
from storage.feedback import CODE_ALPHABET

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")
_TOKEN = re.compile(r'<meta name="loaxa-demo-token" content="([^"]+)">')


async def as_the_page(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Load the page and send its token from now on, as app.js does."""
    page = await client.get("/")
    client.headers[TOKEN_HEADER] = _TOKEN.search(page.text).group(1)
    return client


@asynccontextmanager
async def running_demo(tmp_path: Path, commune: Commune) -> AsyncIterator[tuple[DemoWorld, str]]:
    """Start the seeded demo world and its web app; yield (world, base URL without slash)."""
    async with DemoWorld(commune, tmp_path / "demo.db") as world:
        runner = web.AppRunner(make_app(world), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, HOST, 0).start()
        try:
            yield world, f"http://{HOST}:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()
