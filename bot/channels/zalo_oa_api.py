"""The Zalo OA Open API over httpx: tokens, calls, webhook signatures, error classes.

Every call carries the header `access_token` (never Bearer); every answer is HTTP 200 with
`{"error": int, "message", "data"}` and `error == 0` alone means success
(shared/reference/zalo-oa.md §1, §6). The access token lives 25 h and is refreshed an hour
before it expires; each refresh token works once, so the pair a refresh returns is committed
to the database before anything uses it. No token, secret or URL with either is logged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.channels.base import Held, RateLimited, Rejected, SendError, Transient, Unreachable
from storage.oa_tokens import OaTokens, TokenPair

log = logging.getLogger(__name__)

NO_ANSWER = 0  # OaError.code when Zalo could not be reached or answered nonsense
REFRESH_AHEAD = 3600.0  # seconds before expiry at which the access token is renewed
EXPIRED = frozenset({-216, -220})  # invalid / expired or removed access token
RATE_WAIT = 60.0  # seconds to wait after -32 (per-minute limit) or a quota answer
# [reference §6] what each code means for a push.
RETRY_LATER = frozenset({-32, -211, -218, -234})
UNREACHABLE = frozenset({-213, -217, -244, -227})  # not a follower, blocked, banned
# Outside the 7-day window: not blocked, they may write again; the push is held until they do.
WINDOW = frozenset({-230, -232})
ADMIN = frozenset({-221, -224, -235, -212, -209, -219, -320, -321, -248})


class OaError(Exception):
    """A refused call (`code` is Zalo's error), or one that got no answer (code 0)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}".strip())
        self.code = code
        self.message = message


class TokensDead(OaError):
    """No refresh token works any more: a person must connect the OA again."""


class NotConnected(TokensDead):
    """No token at all: neither `loaxa zalo-oa connect` nor LOAXA_ZALO_OA_REFRESH_TOKEN."""


def valid_signature(app_id: str, body: bytes, timestamp: str, key: str, given: str) -> bool:
    """Check X-ZEvent-Signature: mac= + sha256hex(app_id + body + timestamp + OA secret key)."""
    data = app_id.encode() + body + timestamp.encode() + key.encode()
    expected = "mac=" + hashlib.sha256(data).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def seed_digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    """Return the PKCE code challenge: base64url(SHA-256(verifier)), no padding, no method."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OaApi:
    """Calls the OA API through an injected client, keeping the token pair fresh."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: OaTokens,
        *,
        api_url: str,
        oauth_url: str,
        app_id: str,
        app_secret: str,
        seed: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._api, self._oauth = api_url.rstrip("/"), oauth_url.rstrip("/")
        self.app_id, self._secret = app_id, app_secret
        self._seed = seed
        self._clock = clock
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()
        self._renewing: asyncio.Task[None] | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"<OaApi {self._api}>"

    async def load(self) -> None:
        """Take the stored pair; a new LOAXA_ZALO_OA_REFRESH_TOKEN starts a new chain."""
        stored = await self._tokens.get(self.app_id)
        if self._seed and (stored is None or stored.seed != seed_digest(self._seed)):
            stored = TokenPair("", self._seed, None, seed_digest(self._seed))
            await self._tokens.save(self.app_id, stored)
        self._pair = stored

    async def exchange_code(self, code: str, verifier: str) -> None:
        """Trade an authorisation code (OAuth v4 with PKCE) for a pair, and store it."""
        form = {
            "code": code,
            "app_id": self.app_id,
            "grant_type": "authorization_code",
            "code_verifier": verifier,
        }
        # The configured seed, if any, counts as used: the next start keeps this pair.
        await self._grant(form, seed=seed_digest(self._seed) if self._seed else "connect")

    async def access_token(self) -> str:
        """Return an access token good for at least another REFRESH_AHEAD seconds."""
        async with self._lock:
            pair = self._pair
            if pair is None or not pair.refresh_token:
                raise NotConnected(NO_ANSWER, "the OA is not connected")
            if not pair.access_token or self._expiring(pair):
                await self._renew(pair)
            return self._pair.access_token

    def _expiring(self, pair: TokenPair) -> bool:
        if pair.expires_at is None:
            return True
        return pair.expires_at.timestamp() - self._clock() < REFRESH_AHEAD

    async def _renew(self, pair: TokenPair) -> None:
        """Refresh in a task of its own that a caller giving up cannot cut short: Zalo retires
        the old refresh token the moment it answers, so the answer must reach the database
        even when the step that asked has timed out (a follower's name lookup waits 3 s)."""
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.create_task(self._refresh(pair))
            # Its failure is the waiting callers' to see; none left waiting is no warning.
            self._renewing.add_done_callback(lambda task: task.cancelled() or task.exception())
        await asyncio.shield(self._renewing)

    async def _refresh(self, pair: TokenPair) -> None:
        """Renew the pair; when Zalo refuses it, take a pair stored meanwhile (`connect`)."""
        try:
            await self._grant(_refresh_form(self.app_id, pair), seed=pair.seed)
        except TokensDead:
            stored = await self._tokens.get(self.app_id)
            if stored is None or stored.refresh_token == pair.refresh_token:
                raise
            self._pair = stored
            if not stored.access_token or self._expiring(stored):
                await self._grant(_refresh_form(self.app_id, stored), seed=stored.seed)

    async def _grant(self, form: dict[str, str], seed: str) -> None:
        """POST to the token URL; commit the new pair before anything can use it."""
        try:
            response = await self._client.post(
                f"{self._oauth}/v4/oa/access_token", data=form, headers={"secret_key": self._secret}
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:  # keep no request: its form holds tokens
            raise OaError(NO_ANSWER, f"access_token: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            code = data.get("error") if isinstance(data, dict) else None
            name = (
                str(data.get("error_name") or data.get("message") or "")
                if isinstance(data, dict)
                else ""
            )
            if isinstance(code, int) and code < 0:
                raise TokensDead(code, name[:200])
            raise OaError(NO_ANSWER, f"access_token: HTTP {response.status_code}")
        try:
            lifetime = float(data.get("expires_in") or 0)  # a string: "90000"
        except (TypeError, ValueError):
            lifetime = 0.0
        expires = datetime.fromtimestamp(self._clock() + lifetime, UTC)
        pair = TokenPair(str(data["access_token"]), str(data["refresh_token"]), expires, seed)
        await self._tokens.save(self.app_id, pair)  # durable before it is used
        self._pair = pair
        self.refreshes += 1
        log.info("zalo OA token refreshed; valid until %s", expires.isoformat(timespec="minutes"))

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API and return its `data`; an expired token is refreshed once, retried once."""
        for attempt in (1, 2):
            token = await self.access_token()
            try:
                return await self._call_once(method, path, token, **kwargs)
            except OaError as exc:
                if exc.code not in EXPIRED or attempt == 2:
                    raise
                async with self._lock:
                    if self._pair is not None and self._pair.access_token == token:
                        await self._renew(self._pair)
        raise AssertionError("unreachable")

    async def _call_once(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(
                method, f"{self._api}{path}", headers={"access_token": token}, **kwargs
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OaError(NO_ANSWER, f"{path}: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not isinstance(data.get("error"), int):
            raise OaError(NO_ANSWER, f"{path}: HTTP {response.status_code}")
        if data["error"] != 0:
            raise OaError(data["error"], str(data.get("message") or "")[:300])
        return data.get("data")


def _refresh_form(app_id: str, pair: TokenPair) -> dict[str, str]:
    return {"refresh_token": pair.refresh_token, "app_id": app_id, "grant_type": "refresh_token"}


def send_error(exc: OaError) -> SendError:
    """Translate a refused send into what the delivery engine acts on [reference §6].

    Codes that need a person (an OA not verified, a package or Zalo Cloud Account, the app
    removed) are logged as errors for the admin and given up, like a message Zalo refuses
    for good. Dead tokens are the operator's to fix, not the message's fault: logged and
    retried, never dropped (as the Zalo Bot channel treats a bad token).
    """
    text = f"zalo-oa {exc}"
    if exc.code in RETRY_LATER:
        return RateLimited(RATE_WAIT, text)
    if exc.code in UNREACHABLE:
        return Unreachable(text)
    if exc.code in WINDOW:  # the window closed between the check and the send
        return Held(text)
    if isinstance(exc, TokensDead):
        log.error("the Zalo OA must be connected again (loaxa zalo-oa connect): %s", text)
        return Transient(text)
    if exc.code in ADMIN:
        log.error("the Zalo OA needs an admin: %s", text)
        return Rejected(text)
    if exc.code == NO_ANSWER:
        return Transient(text)
    return Rejected(text)  # bad payloads (-201, -210, -233), anything unknown
