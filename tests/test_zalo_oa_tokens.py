"""The Zalo OA's tokens: each refresh token works once, so the pair a refresh returns is
stored before it is used, and a process killed right after a refresh loses neither token.
"""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.channels.zalo_oa_api import OaApi, TokensDead
from bot.simulator.zalo_oa import ZaloOaEmulator
from storage import Storage
from storage.oa_tokens import OaTokens

CHILD = Path(__file__).with_name("oa_child.py")


def child_env(oa: ZaloOaEmulator, seed: str) -> dict[str, str]:
    state = oa.state
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")},
        "LOAXA_ZALO_OA_APP_ID": state.app_id,
        "LOAXA_ZALO_OA_APP_SECRET": state.app_secret,
        "LOAXA_ZALO_OA_SECRET_KEY": state.secret_key,
        "LOAXA_ZALO_OA_API_URL": oa.url,
        "LOAXA_ZALO_OA_OAUTH_URL": oa.url,
        "LOAXA_ZALO_OA_REFRESH_TOKEN": seed,
    }


async def run_and_kill(oa: ZaloOaEmulator, env: dict[str, str], db: Path, tmp: Path) -> None:
    """Start the bot; once it has used the token a refresh gave it, SIGKILL it."""
    issued = len(oa.state.tokens.issued)
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), "--db", str(db), cwd=tmp, env=env, stdin=PIPE, stdout=PIPE
    )
    try:

        def used_new_token() -> bool:
            if len(oa.state.tokens.issued) <= issued:
                return False
            return any(code == 0 for _, code in oa.state.calls[-1:])

        await oa.wait_until(used_new_token, timeout=30)
    finally:
        child.kill()  # SIGKILL: no clean-up of any kind
        await child.wait()


async def stored_pair(db: Path, app_id: str):
    store = await Storage.open(db)
    try:
        return await OaTokens(store.db).get(app_id)
    finally:
        await store.close()


async def test_a_kill_right_after_a_refresh_loses_neither_token(tmp_path):
    async with ZaloOaEmulator(seed=3) as oa:
        db, env = tmp_path / "loaxa.db", child_env(oa, oa.mint_refresh_token())
        await run_and_kill(oa, env, db, tmp_path)  # the seed refreshed, the new pair used
        pair = await stored_pair(db, oa.state.app_id)
        assert (pair.access_token, pair.refresh_token) == oa.state.tokens.issued[-1]

        oa.clock.advance(26 * 3600)  # Zalo now refuses the access token: the bot refreshes
        await run_and_kill(oa, env, db, tmp_path)
        pair = await stored_pair(db, oa.state.app_id)
        assert (pair.access_token, pair.refresh_token) == oa.state.tokens.issued[-1]
        assert oa.state.tokens.refreshes == 2  # the seed once, the stored token once


async def test_the_token_is_refreshed_an_hour_before_it_expires(tmp_path):
    async with ZaloOaEmulator(seed=4) as oa:
        store = await Storage.open(tmp_path / "loaxa.db")
        now = [datetime.now(UTC).timestamp()]
        async with httpx.AsyncClient() as client:
            api = OaApi(
                client,
                OaTokens(store.db),
                api_url=oa.url,
                oauth_url=oa.url,
                app_id=oa.state.app_id,
                app_secret=oa.state.app_secret,
                seed=oa.mint_refresh_token(),
                clock=lambda: now[0],
            )
            await api.load()
            await api.call("GET", "/v2.0/oa/getoa")
            now[0] += 23 * 3600  # two hours left of 25: the token stays
            await api.call("GET", "/v2.0/oa/getoa")
            assert oa.state.tokens.refreshes == 1
            now[0] += 1.5 * 3600  # half an hour left: renewed before Zalo would refuse it
            await api.call("GET", "/v2.0/oa/getoa")
            assert oa.state.tokens.refreshes == 2
            assert [code for _, code in oa.state.calls] == [0, 0, 0]
        await store.close()


async def test_a_used_refresh_token_is_refused(tmp_path):
    async with ZaloOaEmulator(seed=5) as oa:
        seed = oa.mint_refresh_token()
        async with httpx.AsyncClient() as client:
            for name in ("first.db", "second.db"):  # the second starts from the same seed
                store = await Storage.open(tmp_path / name)
                api = OaApi(
                    client,
                    OaTokens(store.db),
                    api_url=oa.url,
                    oauth_url=oa.url,
                    app_id=oa.state.app_id,
                    app_secret=oa.state.app_secret,
                    seed=seed,
                )
                await api.load()
                try:
                    await api.access_token()
                except TokensDead as exc:
                    refused = exc.code
                else:
                    refused = None
                finally:
                    await store.close()
        assert refused == -14014
        assert oa.state.tokens.refreshes == 1


async def test_a_caller_that_gives_up_mid_refresh_still_leaves_the_new_pair_stored(tmp_path):
    """Zalo retires the old refresh token when it answers: a step that times out meanwhile
    (a follower's name lookup waits 3 s) must not cut the save of the new pair short."""
    async with ZaloOaEmulator(seed=5) as oa:
        store = await Storage.open(tmp_path / "loaxa.db")
        async with httpx.AsyncClient() as client:
            api = OaApi(
                client,
                OaTokens(store.db),
                api_url=oa.url,
                oauth_url=oa.url,
                app_id=oa.state.app_id,
                app_secret=oa.state.app_secret,
                seed=oa.mint_refresh_token(),
            )
            await api.load()
            oa.rules.token_answer_delay = 0.3  # rotated at once, answered late
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await api.call("GET", "/v2.0/oa/getoa")
            await asyncio.sleep(0.6)
            pair = await OaTokens(store.db).get(oa.state.app_id)
            assert pair is not None
            assert (pair.access_token, pair.refresh_token) == oa.state.tokens.issued[-1]
            oa.rules.token_answer_delay = 0.0
            await api.call("GET", "/v2.0/oa/getoa")  # the stored pair works: no lock-out
            assert oa.state.tokens.refreshes == 1
        await store.close()
