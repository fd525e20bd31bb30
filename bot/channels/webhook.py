"""What both webhooks (Telegram, Zalo) do before an update is theirs: the secret, the body.

- The secret header is compared in constant time. An address that keeps sending wrong
  secrets is answered 429 for a while, without the secret being compared at all, so that
  guessing costs time (the issue-14 attack tried 1,148 secrets in 0.8 s).
- The body is read with a size cap and parsed as JSON of a bounded depth: a deeply nested
  document is refused as malformed instead of raising RecursionError (a 500).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger(__name__)

FREE_TRIES = 5  # wrong secrets an address may send before it has to wait
FIRST_WAIT = 1.0  # seconds of the first wait, doubled at each further wrong secret
LONGEST_WAIT = 300.0
FORGET_AFTER = 3600.0  # seconds after which an address's wrong secrets are forgotten
MAX_TRACKED = 10_000  # addresses remembered at most
MAX_DEPTH = 64  # nesting of JSON arrays and objects; real updates nest under 15 levels


class Malformed(ValueError):
    """A webhook body that is not the JSON the service sends."""


def client_address(request: web.Request) -> str:
    """Return who sent a request: the peer, or behind a local proxy the address it names.

    A peer on loopback is the HTTPS proxy the README asks for; such a proxy appends the
    client's address to X-Forwarded-For, so the last entry is the one it vouches for
    (entries before it are whatever the client sent). A peer elsewhere is the client itself,
    and its X-Forwarded-For is ignored: anyone can write one.
    """
    peer = request.remote or ""
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    forwarded = request.headers.get("X-Forwarded-For", "") if local else ""
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or peer


class Gate:
    """What a webhook request passes before its body is read as an update."""

    def __init__(self, name: str, secret: str, header: str, limit: int, timeout: float) -> None:
        self.name = name
        self.guard = SecretGuard(secret, header)
        self._limit = limit
        self._timeout = timeout

    async def admit(self, request: web.Request) -> bytes | web.Response:
        """Return the body of a request with the right secret, or the answer refusing it."""
        refused = self.guard.refuse(request, self.name)
        if refused is not None:
            return refused
        body = await read_capped(request, self._limit, self._timeout)
        if body is None:
            log.warning("%s webhook body over %d bytes refused", self.name, self._limit)
            return web.json_response({"ok": False}, status=413)
        return body


class SecretGuard:
    """Checks a webhook's secret header; makes repeated wrong secrets from one address wait."""

    def __init__(
        self,
        secret: str,
        header: str,
        *,
        free_tries: int = FREE_TRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secret.encode()
        self._header = header
        self._free_tries = free_tries
        self._clock = clock
        self._failures: dict[str, tuple[int, float, float]] = {}  # count, wait until, last

    def refuse(self, request: web.Request, name: str) -> web.Response | None:
        """Return the refusal for a request without the right secret, or None to go on."""
        address = client_address(request)
        now = self._clock()
        count, until, _ = self._failures.get(address, (0, 0.0, 0.0))
        if now < until:  # waiting: the secret is not even looked at
            retry = str(max(1, int(until - now + 0.999)))
            return web.json_response({"ok": False}, status=429, headers={"Retry-After": retry})
        given = request.headers.get(self._header, "").encode()
        if self._secret and hmac.compare_digest(given, self._secret):
            self._failures.pop(address, None)
            return None
        count += 1
        if count >= self._free_tries:
            until = now + min(LONGEST_WAIT, FIRST_WAIT * 2 ** (count - self._free_tries))
        self._remember(address, (count, until, now), now)
        log.warning("%s webhook request with a wrong secret from %s (%d)", name, address, count)
        return web.json_response({"ok": False}, status=401)

    def _remember(self, address: str, entry: tuple[int, float, float], now: float) -> None:
        if len(self._failures) >= MAX_TRACKED:  # forget the quiet ones first, then the oldest
            self._failures = {a: e for a, e in self._failures.items() if now - e[2] < FORGET_AFTER}
            while len(self._failures) >= MAX_TRACKED:
                del self._failures[next(iter(self._failures))]
        self._failures[address] = entry


def parse(body: bytes) -> object:
    """Parse a webhook body as JSON no deeper than MAX_DEPTH; raise Malformed otherwise."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise Malformed(type(exc).__name__) from None
    if _depth(value) > MAX_DEPTH:
        raise Malformed(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _depth(value: object) -> int:
    """Return how deeply arrays and objects nest in a parsed JSON value (iteratively)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in item)
    return deepest


async def read_capped(request: web.Request, limit: int, timeout: float) -> bytes | None:
    """Read the request body within `timeout` seconds; None as soon as it exceeds `limit`.

    A body that trickles in slower than that is answered 408 and the connection closed:
    a slow sender must not hold a connection (and the memory of its half body) for ever.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
    except TimeoutError:
        address = client_address(request)
        log.warning("webhook body from %s not received within %.0f s", address, timeout)
        raise web.HTTPRequestTimeout(headers={"Connection": "close"}) from None
    return b"".join(chunks)
