"""`loaxa zalo-oa connect`: the OAuth v4 consent of the commune's OA, once, with PKCE.

Prints the consent address for the OA's admin, reads back the code Zalo hands to the
callback (or the whole callback address), trades it for the token pair and stores the pair
(shared/reference/zalo-oa.md §1). From then on the bot refreshes the pair by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from bot.channels.zalo_oa_api import OaApi, OaError, pkce_challenge
from bot.config import ConfigError, Settings
from bot.i18n import operator_text as say
from storage import Storage
from storage.oa_tokens import OaTokens


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the `zalo-oa` command."""
    parser = sub.add_parser("zalo-oa", help=say("cli.help.zalo_oa"))
    actions = parser.add_subparsers(dest="action", required=True)
    connect = actions.add_parser("connect", help=say("cli.help.zalo_oa_connect"))
    connect.add_argument("--redirect-uri", required=True, help=say("cli.help.zalo_oa_redirect"))


def consent_url(settings: Settings, redirect_uri: str, challenge: str, state: str) -> str:
    """Return the OA permission page's address for this app."""
    query = urlencode(
        {
            "app_id": settings.zalo_oa_app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "state": state,
        }
    )
    return f"{settings.zalo_oa_oauth_url.rstrip('/')}/v4/oa/permission?{query}"


def read_code(typed: str, state: str) -> str:
    """Return the code from what the admin pasted: the code, or the whole callback address."""
    typed = typed.strip()
    if "?" not in typed:
        return typed
    query = parse_qs(urlsplit(typed).query)
    if query.get("state", [state])[0] != state:
        raise ConfigError(
            "zalo-oa connect: the address is from another attempt", "cli.zalo_oa_state"
        )
    return query.get("code", [""])[0]


def run_cli(settings: Settings, args: argparse.Namespace) -> int:
    """Run `zalo-oa connect`; return the exit code."""
    if not settings.zalo_oa_on:
        raise ConfigError(
            "environment/.env: LOAXA_ZALO_OA_APP_ID: the Zalo OA is not configured",
            "cli.zalo_oa_not_configured",
        )
    verifier = secrets.token_urlsafe(32)  # 43 characters [reference §1, PKCE]
    state = secrets.token_urlsafe(12)
    print(say("cli.zalo_oa_open"))
    print(consent_url(settings, args.redirect_uri, pkce_challenge(verifier), state), flush=True)
    code = read_code(sys.stdin.readline(), state)
    if not code:
        raise ConfigError("zalo-oa connect: no code was given", "cli.zalo_oa_no_code")
    asyncio.run(_exchange(settings, code, verifier))
    print(say("cli.zalo_oa_connected", db=settings.db))
    return 0


async def _exchange(settings: Settings, code: str, verifier: str) -> None:
    store = await Storage.open(settings.db, busy_timeout_ms=settings.db_busy_timeout_ms)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0)) as client:
            api = OaApi(
                client,
                OaTokens(store.db),
                api_url=settings.zalo_oa_api_url,
                oauth_url=settings.zalo_oa_oauth_url,
                app_id=settings.zalo_oa_app_id,
                app_secret=settings.zalo_oa_app_secret.get_secret_value(),
                seed=seed.get_secret_value() if (seed := settings.zalo_oa_refresh_token) else "",
            )
            await api.exchange_code(code, verifier)
    except OaError as exc:
        raise ConfigError(
            f"zalo-oa connect: Zalo refused the code ({exc})", "cli.zalo_oa_refused", reason=exc
        ) from None
    finally:
        await store.close()
