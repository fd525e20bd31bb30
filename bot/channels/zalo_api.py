"""The Zalo Bot Platform API over httpx: `POST {base}{token}/{method}` with a JSON body.

Every URL holds the token, so nothing here logs a URL or lets an httpx error (whose text or
request may carry it) escape: failures become `ZaloError` with the service's own words.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.channels.base import RateLimited, Rejected, SendError, Transient, Unreachable

log = logging.getLogger(__name__)

NO_ANSWER = 0  # ZaloError.code when the service could not be reached or answered nonsense
DEFAULT_RETRY_AFTER = 5.0  # seconds, when a rate-limit answer does not say how long to wait


class ZaloError(Exception):
    """A call the service refused (`code` is its error_code) or that got no answer (code 0)."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code} {description}".strip())
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloApi:
    """Calls the Bot API methods through an injected `httpx.AsyncClient`."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._client = client
        self._base = base_url
        self._token = token

    def __repr__(self) -> str:
        return f"<ZaloApi {self._base}…>"

    async def call(
        self, method: str, body: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """Call `method` and return its result; raise ZaloError otherwise."""
        url = f"{self._base}{self._token}/{method}"
        extra = {} if timeout is None else {"timeout": timeout}
        try:
            response = await self._client.post(url, json=body or {}, **extra)
        except httpx.HTTPError as exc:  # its text and request may hold the URL: keep neither
            raise ZaloError(NO_ANSWER, f"{method}: {type(exc).__name__}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ZaloError(
                response.status_code or NO_ANSWER, f"{method}: HTTP {response.status_code}"
            )
        if data.get("ok") is True:
            return data.get("result")
        try:
            code = int(data.get("error_code") or response.status_code)
        except (TypeError, ValueError):
            code = response.status_code
        description = str(data.get("description") or "")[:300]
        raise ZaloError(code, description, _retry_after(data))


def _retry_after(data: dict[str, Any]) -> float | None:
    parameters = data.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def send_error(exc: ZaloError) -> SendError:
    """Translate a failed send into what the delivery engine acts on.

    403 means the person blocked the bot or left; "not found" chats are gone too. A bad
    token (401) is the operator's to fix, not the message's fault: retried, never dropped.
    """
    text = f"zalo {exc}"
    if exc.code == 429:
        return RateLimited(exc.retry_after or DEFAULT_RETRY_AFTER, text)
    if exc.code == 403:
        return Unreachable(text)
    if exc.code == 400 and "not found" in exc.description.lower():
        return Unreachable(text)
    if exc.code in (NO_ANSWER, 401, 408) or exc.code >= 500:
        return Transient(text)
    return Rejected(text)


async def download(client: httpx.AsyncClient, url: str, limit: int, timeout: float) -> bytes | None:
    """Fetch a file Zalo links to (a received photo); None when it fails or exceeds `limit`."""
    if not url.startswith(("https://", "http://")):
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async with client.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
            if response.status_code != 200:
                log.warning("photo download answered HTTP %s", response.status_code)
                return None
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    log.warning("photo over %d bytes not downloaded", limit)
                    return None
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        log.warning("could not download a photo: %s", type(exc).__name__)
        return None
    return b"".join(chunks)
