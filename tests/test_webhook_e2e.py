"""Webhook mode: Telegram posts updates to the bot's own HTTP server with a secret header."""

from __future__ import annotations

import socket

import httpx
import pytest

from bot.app import LoaXa
from bot.config import Settings
from tests.world import TOKEN, World

SECRET = "s3cret-for-tests_only-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookWorld(World):
    def __init__(self, *args, port: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.port = port

    @property
    def settings(self) -> Settings:
        return Settings(
            telegram_token=TOKEN,
            telegram_api_url=self.emu.base_url,
            telegram_file_url=self.emu.file_url,
            telegram_webhook_url=f"http://127.0.0.1:{self.port}/hook/telegram",
            telegram_webhook_secret=SECRET,
            http_host="127.0.0.1",
            http_port=self.port,
            db=self.db_path,
            allow_sample=True,  # the bundled sample commune: a test or a trial
            _env_file=None,
        )


@pytest.fixture
async def hooked(emu, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = WebhookWorld(emu, tmp_path, commune, port=free_port())
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def test_onboarding_over_the_webhook(hooked):
    assert isinstance(hooked.bot, LoaXa)
    lan = hooked.resident("Lan")
    await lan.says("/start")
    await lan.taps("Đồng ý")
    await lan.taps("Xóm 5")
    resident = await hooked.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.hamlet == "Xóm 5"


async def test_wrong_or_missing_secret_is_refused_and_changes_nothing(hooked):
    lan = hooked.resident("Lan")
    update = {
        "update_id": 999001,
        "message": {
            "message_id": 1,
            "date": 1764190000,
            "chat": {"id": lan.id, "type": "private", "first_name": "Lan"},
            "from": {"id": lan.id, "is_bot": False, "first_name": "Lan"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    url = f"http://127.0.0.1:{hooked.port}/hook/telegram"
    async with httpx.AsyncClient() as client:
        wrong = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
        )
        missing = await client.post(url, json=update)
        broken = await client.post(
            url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        health = await client.get(f"http://127.0.0.1:{hooked.port}/healthz")
    assert (wrong.status_code, missing.status_code, broken.status_code) == (401, 401, 400)
    body = health.json()
    assert body.pop("backup")["stale"] is True  # no backup yet
    assert body == {"ok": True, "connected": True, "channels": {"telegram": True}}
    assert hooked.emu.messages(lan.id) == []
