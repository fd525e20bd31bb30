"""`loaxa run` with the Zalo OA: runs with the OA alone; a broken OA set-up ends in one line.

Each is the real `loaxa` command; every failure ends in one plain line on stderr, exit 2,
no traceback and no secret (the app secret, the OA secret key, the refresh token).
"""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.simulator.zalo_oa import ZaloOaEmulator
from storage import Storage
from storage.oa_tokens import OaTokens
from tests.test_operator_failures import ROOT, closed_port, loaxa


def oa_env(oa: ZaloOaEmulator, seed: str) -> dict[str, str]:
    state = oa.state
    return {
        "LOAXA_LANGUAGE": "en",
        "LOAXA_ALLOW_SAMPLE": "1",
        "LOAXA_HTTP_PORT": str(closed_port()),
        "LOAXA_ZALO_OA_APP_ID": state.app_id,
        "LOAXA_ZALO_OA_APP_SECRET": state.app_secret,
        "LOAXA_ZALO_OA_SECRET_KEY": state.secret_key,
        "LOAXA_ZALO_OA_API_URL": oa.url,
        "LOAXA_ZALO_OA_OAUTH_URL": oa.url,
        "LOAXA_ZALO_OA_REFRESH_TOKEN": seed,
    }


def one_plain_line(done, oa: ZaloOaEmulator, seed: str) -> str:
    lines = done.err.splitlines()
    assert done.code == 2, done.err
    assert 1 <= len(lines) <= 3 and lines[-1].startswith("loaxa: "), done.err
    assert "Traceback" not in done.err and "Unclosed" not in done.err
    secrets = (oa.state.app_secret, oa.state.secret_key, seed)
    assert not [s for s in secrets if s and s in done.err + done.out]
    return lines[-1]


@pytest.mark.parametrize("broken", ["used refresh token", "no refresh token", "no secret key"])
async def test_a_broken_oa_set_up_ends_in_one_plain_line(broken, tmp_path):
    async with ZaloOaEmulator(seed=21) as oa:
        seed = oa.mint_refresh_token()
        env = oa_env(oa, seed)
        if broken == "used refresh token":
            oa.state.token(
                oa.state.app_secret,
                {"app_id": oa.state.app_id, "grant_type": "refresh_token", "refresh_token": seed},
            )
            says = "LOAXA_ZALO_OA_REFRESH_TOKEN"
        elif broken == "no refresh token":
            del env["LOAXA_ZALO_OA_REFRESH_TOKEN"]
            says = "loaxa zalo-oa connect"
        else:
            del env["LOAXA_ZALO_OA_SECRET_KEY"]
            says = "LOAXA_ZALO_OA_SECRET_KEY"
        done = await loaxa(tmp_path, "run", **env)
        assert says in one_plain_line(done, oa, seed)


async def test_run_serves_the_oa_alone_and_healthz_says_so(tmp_path):
    async with ZaloOaEmulator(seed=22) as oa:
        seed = oa.mint_refresh_token()
        port = closed_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
        env |= oa_env(oa, seed) | {
            "PYTHONPATH": str(ROOT),
            "LOAXA_HTTP_PORT": str(port),
            "LOAXA_DB": str(tmp_path / "loaxa.db"),
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            line = await asyncio.wait_for(bot.stderr.readline(), 30)
            while b"is running" not in line:
                line = await asyncio.wait_for(bot.stderr.readline(), 30)
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/healthz") as health,
            ):
                body = await health.json()
        finally:
            bot.terminate()
            rest = await asyncio.wait_for(bot.stderr.read(), 30)
        assert await bot.wait() == 0
        assert (body["ok"], body["connected"], body["channels"]) == (True, True, {"zalo_oa": True})
        assert seed.encode() not in rest and oa.state.app_secret.encode() not in rest


async def test_connect_prints_the_consent_address_and_stores_the_pair(tmp_path):
    async with ZaloOaEmulator(seed=23) as oa:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
        env |= oa_env(oa, "") | {"PYTHONPATH": str(ROOT), "LOAXA_DB": str(tmp_path / "loaxa.db")}
        del env["LOAXA_ZALO_OA_REFRESH_TOKEN"]
        command = ("zalo-oa", "connect", "--redirect-uri", "https://xa.example/zalo-oa/callback")
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *command, cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.wait_for(cli.stdout.readline(), 30)  # what to do
        address = (await asyncio.wait_for(cli.stdout.readline(), 30)).decode().strip()
        query = parse_qs(urlsplit(address).query)
        assert address.startswith(f"{oa.url}/v4/oa/permission?")
        assert query["app_id"] == [oa.state.app_id] and "code_challenge_method" not in query
        code = oa.authorise(query["code_challenge"][0])  # the OA's admin consents
        callback = (
            f"https://xa.example/zalo-oa/callback?code={code}&oa_id=1&state={query['state'][0]}"
        )
        out, err = await asyncio.wait_for(cli.communicate(callback.encode() + b"\n"), 30)
        assert cli.returncode == 0, err
        store = await Storage.open(tmp_path / "loaxa.db")
        try:
            pair = await OaTokens(store.db).get(oa.state.app_id)
        finally:
            await store.close()
        assert (pair.access_token, pair.refresh_token) == oa.state.tokens.issued[-1]
        assert code not in (out + err).decode() and pair.refresh_token not in (out + err).decode()
