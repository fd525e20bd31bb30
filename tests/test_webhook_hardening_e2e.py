"""The bot's HTTP side attacked from outside (issue 14: items 1, 8, 9, 11).

Weak secrets stop `loaxa run`; wrong secrets from one address are slowed down; malformed and
deeply nested bodies are refused without a traceback; a redelivered Telegram update is
handled once, across a restart too; slow clients cannot hold connections.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import tests.test_webhook_e2e as webhook_e2e
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import translator
from tests.test_webhook_e2e import SECRET, WebhookWorld, free_port
from tests.world import TOKEN

ROOT = Path(__file__).resolve().parent.parent
HEADER = "X-Telegram-Bot-Api-Secret-Token"
hooked = webhook_e2e.hooked  # the fixture: a bot in webhook mode on a free port
WEAK = ["a", "x" * 31, "mậtkhẩu" + "a" * 30, "ＡＢＣ" * 11, "abc²" + "a" * 30, "a b" * 11]


def start_update(user_id: int, update_id: int = 999001, text: str = "/start") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100000,
            "date": 1764190000,
            "chat": {"id": user_id, "type": "private", "first_name": "Lan"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


def greetings(world, person) -> int:
    """Count the welcomes /start brought the person (one per /start handled)."""
    greeting = translator("vi")("onb.greeting", commune=world.commune.display_name)
    return sum(m.text == greeting for m in world.emu.messages(person.id))


def hook_url(world) -> str:
    return f"http://127.0.0.1:{world.port}/hook/telegram"


# --- 1. weak secrets, and guessing made slow ----------------------------------------------


@pytest.mark.parametrize("setting", ["LOAXA_TELEGRAM_WEBHOOK_SECRET", "LOAXA_ZALO_WEBHOOK_SECRET"])
@pytest.mark.parametrize("secret", WEAK)
def test_a_weak_webhook_secret_stops_loaxa_run_with_one_line(tmp_path, setting, secret):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "PYTHONUTF8": "1",
        "LOAXA_DB": str(tmp_path / "loaxa.db"),
        "LOAXA_ALLOW_SAMPLE": "1",
        "LOAXA_TELEGRAM_TOKEN": TOKEN,
        "LOAXA_TELEGRAM_API_URL": "http://127.0.0.1:9/bot",  # never reached
        setting: secret,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=30,
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and setting in lines[0] and "32-256" in lines[0], done.stderr
    assert len(secret) < 5 or secret not in done.stderr  # the value itself is not echoed


def test_a_secret_made_as_the_readme_says_is_accepted_for_both_webhooks():
    made = secrets.token_urlsafe(32)
    settings = load_settings(telegram_webhook_secret=made, zalo_webhook_secret=made, _env_file=None)
    assert settings.telegram_webhook_secret.get_secret_value() == made
    with pytest.raises(ConfigError, match="LOAXA_TELEGRAM_WEBHOOK_SECRET"):
        load_settings(telegram_webhook_secret=made + "\n", _env_file=None)


async def test_wrong_secrets_from_one_address_make_it_wait_without_checking(hooked):
    lan = hooked.resident("Lan")
    body = start_update(lan.id)
    async with httpx.AsyncClient() as client:
        wrong = [
            (await client.post(hook_url(hooked), json=body, headers={HEADER: f"guess-{n}"}))
            for n in range(6)
        ]
        # Waiting: even the right secret is not looked at from this address...
        right = await client.post(hook_url(hooked), json=body, headers={HEADER: SECRET})
    statuses = [r.status_code for r in wrong]
    assert statuses == [401] * 5 + [429]
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    assert hooked.emu.messages(lan.id) == []
    # ...while Telegram, from its own address, is still served.
    other = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=other) as client:
        served = await client.post(hook_url(hooked), json=body, headers={HEADER: SECRET})
    assert served.status_code == 200
    assert greetings(hooked, lan) == 1


# --- 8. malformed and deeply nested bodies ------------------------------------------------

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads
DEEP_OBJECT = '{"a":' * 500 + "1" + "}" * 500  # parses; far deeper than any update


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("null", 400),
        ("[]", 400),
        ("1", 400),
        ('"x"', 400),
        ('{"update_id": true}', 400),
        (DEEP_ARRAY, 400),
        (DEEP_OBJECT, 400),
        # An update id with a body the library cannot read: Telegram would retry a refusal
        # and hold back the updates after it, so it is answered 200 and dropped.
        ('{"update_id": 2, "message": "hi"}', 200),
    ],
)
async def test_a_malformed_telegram_body_is_refused_with_one_log_line(hooked, caplog, body, status):
    caplog.set_level(logging.INFO)
    caplog.clear()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            hook_url(hooked), content=body.encode(), headers={HEADER: SECRET}
        )
    assert response.status_code == status
    ours = [r for r in caplog.records if r.name.startswith(("bot", "aiohttp", "telegram"))]
    loud = [r for r in ours if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and loud[0].exc_info is None, [r.getMessage() for r in loud]
    assert "Traceback" not in caplog.text


# --- 9. a redelivered update is handled once ----------------------------------------------


async def test_the_same_update_posted_300_times_is_handled_once_even_after_a_restart(hooked):
    lan = hooked.resident("Lan")
    body = json.dumps(start_update(lan.id)).encode()
    headers = {HEADER: SECRET, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        at_once = await asyncio.gather(
            *(client.post(hook_url(hooked), content=body, headers=headers) for _ in range(150))
        )
        one_by_one = [
            await client.post(hook_url(hooked), content=body, headers=headers) for _ in range(150)
        ]
    assert {r.status_code for r in at_once + one_by_one} == {200}
    answers = len(hooked.emu.messages(lan.id))
    assert greetings(hooked, lan) == 1 and "Đồng ý" in lan.buttons()

    await hooked.restart()  # Telegram redelivers after a deploy too
    async with httpx.AsyncClient() as client:
        again = await client.post(hook_url(hooked), content=body, headers=headers)
    assert again.status_code == 200
    assert len(hooked.emu.messages(lan.id)) == answers
    rows = await hooked.store.db.fetchall(
        "SELECT payload, handled_at FROM inbound_queue WHERE channel = 'telegram'"
    )
    assert [(r["payload"], r["handled_at"] is not None) for r in rows] == [(None, True)]


# --- 11. slow clients ----------------------------------------------------------------------


class TightWorld(WebhookWorld):
    """A webhook world whose HTTP server allows 3 connections and a few seconds per step."""

    @property
    def settings(self) -> Settings:
        return super().settings.model_copy(
            update={
                "http_max_connections": 3,
                "http_header_timeout": 2.0,
                "http_read_timeout": 1.0,
            }
        )


@pytest.fixture
async def tight(emu, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = TightWorld(emu, tmp_path, commune, port=free_port())
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def _trickle(writer: asyncio.StreamWriter) -> None:
    """Send a request's headers one byte at a time, slowly, for at most 10 s."""
    writer.write(b"POST /hook/telegram HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    for _ in range(50):
        await asyncio.sleep(0.2)
        if writer.is_closing():
            return
        writer.write(b"a")


async def _closed(reader: asyncio.StreamReader) -> bytes:
    """Read until the server closes the connection (bounded: the test must not hang)."""
    try:
        return await asyncio.wait_for(reader.read(), timeout=10)
    except ConnectionResetError:
        return b""


async def test_slow_headers_are_cut_off_and_connections_are_capped(tight):
    listener = tight.bot.listener
    slow = [await asyncio.open_connection("127.0.0.1", tight.port) for _ in range(3)]
    tricklers = [asyncio.create_task(_trickle(writer)) for _, writer in slow]
    try:
        for _ in range(500):  # bounded: until the server has accepted all three
            if listener.open_connections == 3:
                break
            await asyncio.sleep(0.01)
        assert listener.open_connections == 3
        reader, writer = await asyncio.open_connection("127.0.0.1", tight.port)
        assert await _closed(reader) == b""  # over the cap: closed at once
        writer.close()
        for reader, _ in slow:  # still trickling, yet closed at the header deadline
            assert await _closed(reader) == b""
    finally:
        for task in tricklers:
            task.cancel()
        for _, writer in slow:
            writer.close()
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{tight.port}/healthz")
    assert health.status_code == 200 and health.json()["ok"] is True  # still serving


async def test_a_body_that_trickles_in_is_answered_408(tight):
    reader, writer = await asyncio.open_connection("127.0.0.1", tight.port)
    head = (
        f"POST /hook/telegram HTTP/1.1\r\nHost: x\r\n{HEADER}: {SECRET}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    writer.write(head.encode() + b'{"update_id": ')
    try:
        answer = await _closed(reader)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408")
