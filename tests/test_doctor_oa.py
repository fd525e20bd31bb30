"""`loaxa doctor` with the commune's Zalo OA configured, run for real against the OA emulator.

The OA row checks the stored token pair (there, not expired, not revoked) with one getoa
call that refreshes nothing, and that the webhook's OA secret key is set; each failure is
one line in the table and exit 1, like every other row.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.simulator.zalo_oa import ZaloOaEmulator
from storage.db import to_db_time, utcnow
from tests import test_doctor
from tests.test_doctor import attention, backed_up
from tests.test_operator_failures import closed_port
from tests.zalo_oa_world import ZaloOaWorld

commune_file, doctor = test_doctor.commune_file, test_doctor.doctor  # the doctor's fixtures


@pytest.fixture
async def oa_world(emu, tmp_path, commune, monkeypatch):
    """A bot serving the OA (and Telegram) that has refreshed and stored its token pair."""
    async with ZaloOaEmulator(seed=5) as oa:
        monkeypatch.chdir(tmp_path)
        world = ZaloOaWorld(emu, oa, tmp_path, commune)
        await world.start()
        try:
            await backed_up(world)
            yield world
        finally:
            await world.stop()


def oa_env(world: ZaloOaWorld, **changes: str) -> dict[str, str]:
    return world.oa.bot_env() | changes


async def test_a_connected_oa_is_well(oa_world, doctor):
    issued = list(oa_world.oa.state.tokens.issued)
    code, rows, text = await doctor(**oa_env(oa_world))
    assert code == 0 and attention(rows) == set(), text
    assert "Zalo OA" in rows["Cấu hình"][1]
    detail = rows["Zalo OA"][1]
    assert "mã truy cập được chấp nhận" in detail and "/zalo-oa/webhook" in detail
    assert "LOAXA_ZALO_OA_SECRET_KEY" in detail
    assert oa_world.oa.state.tokens.issued == issued  # the doctor refreshed nothing
    state = oa_world.oa.state
    assert not [s for s in (state.app_secret, state.secret_key, *issued[-1]) if s in text]


async def test_revoked_tokens_are_reported(oa_world, doctor):
    oa_world.oa.state.revoke_all()  # the OA admin removed the app's access
    code, rows, text = await doctor(**oa_env(oa_world))
    assert code == 1 and attention(rows) == {"Zalo OA"}, text
    assert "loaxa zalo-oa connect" in rows["Zalo OA"][1]


async def test_an_expired_access_token_is_reported(oa_world, doctor, tmp_path):
    app_id = oa_world.oa.state.app_id
    with sqlite3.connect(tmp_path / "loaxa.db") as conn:
        past = to_db_time(utcnow() - timedelta(hours=2))
        conn.execute("UPDATE zalo_oa_tokens SET expires_at = ? WHERE oa = ?", (past, app_id))
    code, rows, text = await doctor(**oa_env(oa_world))
    assert code == 1 and attention(rows) == {"Zalo OA"}, text
    assert "đã hết hạn" in rows["Zalo OA"][1]


async def test_an_oa_never_connected_is_reported(oa_world, doctor):
    other = oa_env(oa_world, LOAXA_ZALO_OA_APP_ID="999")  # no pair stored for this app
    code, rows, text = await doctor(**other)
    assert code == 1 and attention(rows) == {"Zalo OA"}, text
    assert "loaxa zalo-oa connect" in rows["Zalo OA"][1]


async def test_an_unreachable_oa_api_is_reported(oa_world, doctor):
    gone = f"http://127.0.0.1:{closed_port()}"
    code, rows, text = await doctor(**oa_env(oa_world, LOAXA_ZALO_OA_API_URL=gone))
    assert code == 1 and attention(rows) == {"Zalo OA"}, text
    assert "không kết nối được tới Zalo OA" in rows["Zalo OA"][1]
