"""The Zalo Bot Platform API over httpx: `POST {base}{token}/{method}` with a JSON body.

Every URL holds the token, so nothing here logs a URL or lets an httpx error (whose text or
request may carry it) escape: failures become `ZaloError` with the service's own words.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.channels.base import RateLimited, Rejected, SendError, Transient, Unreachable
from bot.channels.files import CHUNK, spool

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


MAX_REDIRECTS = 3


def allowed_media_url(url: str, hosts: tuple[str, ...]) -> bool:
    """Tell whether a photo URL points where Zalo keeps media (LOAXA_ZALO_MEDIA_HOSTS).

    An entry "zdn.vn" allows https on that host and its subdomains; an entry written as an
    origin ("http://127.0.0.1:8123", the emulator in tests) allows exactly that origin.
    Anything else (http, loopback, the bot's own network, odd ports) is refused: a photo URL
    comes from whoever can post to the webhook, and must not make the bot fetch for them.
    """
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    origin = f"{parts.scheme}://{host}:{port or default_port}"
    for entry in hosts:
        if "://" in entry:
            allowed = urlsplit(entry)
            port_allowed = allowed.port or {"http": 80, "https": 443}.get(allowed.scheme)
            if origin == f"{allowed.scheme}://{allowed.hostname}:{port_allowed}":
                return True
        elif (
            parts.scheme == "https"
            and port in (None, 443)
            and (host == entry or host.endswith("." + entry))
        ):
            return True
    return False


async def download(
    client: httpx.AsyncClient, url: str, hosts: tuple[str, ...], limit: int, timeout: float
) -> bytes | None:
    """Fetch a photo Zalo links to, from Zalo's media hosts only; None when refused or failed.

    Redirects are followed by hand, each target checked like the first URL; the body is
    streamed to a temporary file and abandoned past `limit` bytes.
    """
    for _ in range(MAX_REDIRECTS + 1):
        if not allowed_media_url(url, hosts):
            log.warning("refused to fetch a zalo photo outside LOAXA_ZALO_MEDIA_HOSTS")
            return None
        try:
            request = client.stream("GET", url, follow_redirects=False, timeout=timeout)
            async with request as response:
                if response.is_redirect:
                    url = str(response.url.join(response.headers.get("Location", "")))
                    continue
                if response.status_code != 200:
                    log.warning("photo download answered HTTP %s", response.status_code)
                    return None
                return await spool(response.aiter_bytes(CHUNK), limit)
        except httpx.HTTPError as exc:
            log.warning("could not download a photo: %s", type(exc).__name__)
            return None
    log.warning("photo download redirected more than %d times", MAX_REDIRECTS)
    return None
