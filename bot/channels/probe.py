"""Ask each configured service how the bot stands there, for `loaxa doctor`.

Telegram: getMe (is the token accepted) and getWebhookInfo (the registered URL, the updates
waiting, the last delivery error). Zalo Bot Platform: getMe and getWebhookInfo, which
reports the URL and the updates waiting (it reports no delivery errors). Zalo OA: getoa with
the stored access token (never a refresh: each refresh token works once). Nothing here
changes anything on any service, so it is safe beside a running bot. No error text is
passed on: a refused token's message quotes the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from telegram import Bot
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError

from bot.channels.telegram_request import AiohttpRequest
from bot.channels.zalo_api import NO_ANSWER, ZaloApi, ZaloError
from bot.config import Settings

TIMEOUT = 10.0  # seconds for each call: the doctor answers even when a service does not


@dataclass(frozen=True, slots=True)
class Probe:
    """What one service said about the bot."""

    channel: str
    state: str  # "ok", "token_refused" or "unreachable"
    name: str = ""  # the bot's username or account name
    webhook_url: str = ""  # registered with the service ("" = none: long polling)
    pending: int | None = None  # updates the service holds for the bot
    last_error: str = ""  # the service's last webhook delivery error, if it says
    last_error_at: datetime | None = None
    reason: str = ""  # for "unreachable": the kind of failure, never its text


async def telegram(settings: Settings) -> Probe:
    """Ask Telegram about the bot with LOAXA_TELEGRAM_TOKEN."""
    assert settings.telegram_token is not None
    request = AiohttpRequest(1, connect_timeout=TIMEOUT, read_timeout=TIMEOUT)
    bot = Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_file_url,
        request=request,
        get_updates_request=AiohttpRequest(1),
    )
    try:
        async with bot:  # initialize() calls getMe
            info = await bot.get_webhook_info()
    except (InvalidToken, Forbidden):
        return Probe("telegram", "token_refused")
    except NetworkError as exc:
        return Probe("telegram", "unreachable", reason=type(exc).__name__)
    except TelegramError as exc:
        return Probe("telegram", "unreachable", reason=type(exc).__name__)
    when = info.last_error_date
    return Probe(
        "telegram",
        "ok",
        name=f"@{bot.username}",
        webhook_url=info.url or "",
        pending=info.pending_update_count,
        last_error=info.last_error_message or "",
        last_error_at=when.astimezone(UTC) if when else None,
    )


async def zalo(settings: Settings) -> Probe:
    """Ask the Zalo Bot Platform about the bot with LOAXA_ZALO_TOKEN."""
    assert settings.zalo_token is not None
    async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT)) as client:
        api = ZaloApi(client, settings.zalo_api_url, settings.zalo_token.get_secret_value())
        try:
            me = await api.call("getMe")
            info = await api.call("getWebhookInfo")
        except ZaloError as exc:
            if exc.code in (401, 403, 404):
                return Probe("zalo", "token_refused")
            reason = "no answer" if exc.code == NO_ANSWER else f"error {exc.code}"
            return Probe("zalo", "unreachable", reason=reason)
    me = me if isinstance(me, dict) else {}
    info = info if isinstance(info, dict) else {}
    pending = info.get("pending_update_count")
    return Probe(
        "zalo",
        "ok",
        name=str(me.get("account_name") or ""),
        webhook_url=str(info.get("url") or ""),
        pending=pending if isinstance(pending, int) else None,
    )


async def zalo_oa(settings: Settings, access_token: str) -> Probe:
    """Ask the Zalo OA API about the OA (getoa) with a stored access token, refreshing nothing.

    An empty token still tells whether the API answers: Zalo's error envelope is an answer.
    """
    url = f"{settings.zalo_oa_api_url.rstrip('/')}/v2.0/oa/getoa"
    async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT)) as client:
        try:
            response = await client.get(url, headers={"access_token": access_token})
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return Probe("zalo_oa", "unreachable", reason=type(exc).__name__)
    code = data.get("error") if isinstance(data, dict) else None
    if not isinstance(code, int):
        return Probe("zalo_oa", "unreachable", reason=f"HTTP {response.status_code}")
    if code in (-216, -220):  # invalid, expired or removed [reference §6]
        return Probe("zalo_oa", "token_refused")
    if code != 0:
        return Probe("zalo_oa", "unreachable", reason=f"error {code}")
    oa = data.get("data") if isinstance(data.get("data"), dict) else {}
    return Probe("zalo_oa", "ok", name=str(oa.get("name") or ""))
