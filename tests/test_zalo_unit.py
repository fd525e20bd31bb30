"""The Zalo adapter's pieces on their own: rendering, splitting, the choice memory, reading
updates, error mapping (through httpx.MockTransport), and the emulator's API rules."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot.channels.base import RateLimited, Rejected, Transient, Unreachable
from bot.channels.zalo import ZaloChannel
from bot.channels.zalo_api import ZaloApi, ZaloError, send_error
from bot.channels.zalo_messages import (
    TEXT_LIMIT,
    ChoiceMemory,
    Notes,
    content,
    last_choices,
    read,
    render,
    unwrap,
)
from bot.config import ConfigError, Settings, load_settings
from bot.messages import Choice, Kind, Media, Reply
from bot.simulator.zalo import ZaloEmulator
from bot.simulator.zalo_state import RateLimit

TOKEN = "987654321:zalo-secret-token-value"
NOTES = Notes(
    choose_hint="(reply with the number)",
    photo_unavailable="(photo left out)",
    document_unavailable="(file {filename} left out)",
    group="write privately",
    error="sorry",
)
CHOICES = (Choice("pa:start", "Gửi phản ánh"), Choice("tc:start", "Tra cứu\nphản ánh"))


# --- rendering ---------------------------------------------------------------------------


def test_choices_are_rendered_as_a_numbered_list_with_the_hint():
    [text] = render(Reply("Bạn cần gì?", choices=CHOICES), NOTES)
    assert text == "Bạn cần gì?\n\n1. Gửi phản ánh\n2. Tra cứu phản ánh\n(reply with the number)"


def test_title_goes_on_the_first_line():
    assert render(Reply("nội dung", title="Thông báo"), NOTES) == ["Thông báo\nnội dung"]


def test_media_degrades_to_text_with_a_note():
    photo = Reply("Ảnh 1/2", media=Media("photo", "a.jpg", b"\x89PNG"))
    document = Reply("Báo cáo tuần", media=Media("document", "bao-cao.xlsx", b"PK"))
    assert render(photo, NOTES) == ["Ảnh 1/2\n\n(photo left out)"]
    assert render(document, NOTES) == ["Báo cáo tuần\n\n(file bao-cao.xlsx left out)"]


def test_an_empty_reply_still_sends_something():
    assert render(Reply(""), NOTES) == ["…"]


def test_long_text_is_split_at_paragraphs_with_the_list_on_the_last_piece():
    paragraphs = [f"Đoạn {n}. " + "x" * 590 for n in range(8)]
    pieces = render(Reply("\n\n".join(paragraphs), choices=CHOICES), NOTES)
    assert all(len(p) <= TEXT_LIMIT for p in pieces)
    assert len(pieces) == 3
    assert all(p.startswith("Đoạn ") for p in pieces)
    assert pieces[-1].endswith("2. Tra cứu phản ánh\n(reply with the number)")
    assert "\n\n".join(pieces).startswith("\n\n".join(paragraphs))


def test_last_choices_is_the_list_a_number_refers_to():
    replies = [Reply("a", choices=CHOICES), Reply("b"), Reply("c", choices=CHOICES[:1])]
    assert last_choices(replies) == CHOICES[:1]
    assert last_choices([Reply("plain")]) == ()


# --- the choice memory ---------------------------------------------------------------------


def test_memory_reads_a_number_or_a_label_without_diacritics():
    memory = ChoiceMemory()
    memory.remember("chat", CHOICES)
    assert memory.read("chat", "2") == CHOICES[1]
    assert memory.read("chat", " gui phan anh ") == CHOICES[0]
    assert memory.read("chat", "9") is None
    assert memory.read("chat", "Bãi rác bốc mùi cạnh đường") is None
    assert memory.read("other", "1") is None


def test_memory_forgets_on_an_empty_list_and_beyond_its_size():
    memory = ChoiceMemory(size=2)
    memory.remember("a", CHOICES)
    memory.remember("b", CHOICES)
    memory.read("a", "1")  # used: now the most recent
    memory.remember("c", CHOICES)
    assert len(memory) == 2
    assert memory.read("b", "1") is None
    assert memory.read("a", "1") == CHOICES[0]
    memory.remember("a", ())
    assert memory.read("a", "1") is None


# --- reading updates -------------------------------------------------------------------------


def _update(event="message.text.received", **message):
    base = {
        "message_id": "2d758cb5e222177a4e35",
        "date": 1750316131602,
        "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
        "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
    }
    return {"event_name": event, "message": {**base, **message}}


def test_wrapped_and_bare_updates_are_both_read():
    update = _update(text="Xin chào")
    assert unwrap({"ok": True, "result": update}) == update
    assert unwrap(update) == update
    for bad in ([], {"ok": True}, {"event_name": "x"}, {"result": {"message": {}}}, "text"):
        with pytest.raises(ValueError):
            unwrap(bad)


def test_an_update_is_read_with_string_ids():
    incoming = read(_update(text="  Xin chào\u200b "))
    assert (incoming.user_id, incoming.chat_id) == ("6ede9afa66b88fe6d6a9",) * 2
    assert (incoming.message_id, incoming.display_name, incoming.text) == (
        "2d758cb5e222177a4e35",
        "Ted",
        "Xin chào",
    )
    assert incoming.private and not incoming.is_bot


def test_an_update_without_message_id_gets_a_stable_fingerprint():
    update = _update(text="a")
    del update["message"]["message_id"]
    assert read(update).message_id == read(json.loads(json.dumps(update))).message_id
    assert read(update).message_id.startswith("sha256:")


def test_an_update_without_a_chat_is_not_read():
    update = _update(text="a")
    update["message"].pop("chat")
    update["message"].pop("from")
    assert read(update) is None


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (_update(text="/start rate_motcua"), {"kind": Kind.COMMAND, "command": "start",
                                              "args": "rate_motcua"}),
        (_update(text="/PhanAnh"), {"kind": Kind.COMMAND, "command": "phananh", "args": ""}),
        (_update(text="1/2 xóm"), {"kind": Kind.TEXT, "text": "1/2 xóm"}),
        (_update("message.image.received", photo="https://x/y.jpg", caption="ảnh"),
         {"kind": Kind.PHOTO, "text": "ảnh"}),
        (_update("message.image.received"), {"kind": Kind.UNSUPPORTED}),
        (_update("message.sticker.received", sticker="s"), {"kind": Kind.UNSUPPORTED}),
        (_update("message.voice.received"), {"kind": Kind.UNSUPPORTED}),  # no URL: nothing
        (_update("message.voice.received", voice="https://x/v.aac"), {"kind": Kind.VOICE}),
        (_update("message.unsupported.received"), {"kind": Kind.UNSUPPORTED}),
    ],
)  # fmt: skip
def test_what_a_message_carries(update, expected):
    found = content(read(update))
    assert {key: found[key] for key in expected} == expected


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ZaloError(429, "Too many requests", 7.0), RateLimited),
        (ZaloError(403, "Forbidden: the user has blocked the bot"), Unreachable),
        (ZaloError(400, "Bad Request: chat not found"), Unreachable),
        (ZaloError(400, "Bad Request: text must be 1-2000 characters"), Rejected),
        (ZaloError(401, "Unauthorized"), Transient),
        (ZaloError(502, "sendMessage: HTTP 502"), Transient),
        (ZaloError(0, "sendMessage: ConnectError"), Transient),
    ],
)
def test_send_errors_map_to_what_delivery_acts_on(error, kind):
    assert isinstance(send_error(error), kind)


def test_a_rate_limit_without_retry_after_waits_a_default():
    limited = send_error(ZaloError(429, "Too many requests"))
    assert limited.retry_after > 0
    assert send_error(ZaloError(429, "x", 7.0)).retry_after == 7.0


def _channel(handler) -> ZaloChannel:
    settings = Settings(zalo_token=TOKEN, zalo_api_url="https://zalo.test/bot", _env_file=None)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ZaloChannel(settings, handle=None, queue=None, client=client)


async def test_push_sends_each_piece_and_raises_the_mapped_error():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((request.url.path, body))
        if body["chat_id"] == "blocked":
            return httpx.Response(403, json={"ok": False, "error_code": 403, "description": "x"})
        if body["chat_id"] == "busy":
            payload = {"ok": False, "error_code": 429, "description": "slow down",
                       "parameters": {"retry_after": 3}}  # fmt: skip
            return httpx.Response(429, json=payload)
        return httpx.Response(200, json={"ok": True, "result": {"message_id": "m"}})

    channel = _channel(answer)
    await channel.push("c1", Reply("\n\n".join(["y" * 1500] * 2), choices=CHOICES))
    assert [path for path, _ in seen] == [f"/bot{TOKEN}/sendMessage"] * 2
    assert channel.memory.read("c1", "1") == CHOICES[0]
    with pytest.raises(Unreachable):
        await channel.push("blocked", Reply("a"))
    with pytest.raises(RateLimited) as limited:
        await channel.push("busy", Reply("a"))
    assert limited.value.retry_after == 3.0


async def test_network_failures_never_show_the_token(caplog):
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    channel = _channel(fail)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Transient) as failed:
        await channel.push("c1", Reply("a"))
    assert TOKEN not in str(failed.value)
    assert failed.value.__suppress_context__  # the httpx error, which names the URL, is hidden
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(channel._api)


async def test_answers_that_are_not_json_become_errors_with_the_status():
    api = ZaloApi(
        httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(502, text="<html>"))
        ),
        "https://zalo.test/bot",
        TOKEN,
    )
    with pytest.raises(ZaloError) as failed:
        await api.call("getMe")
    assert failed.value.code == 502 and TOKEN not in str(failed.value)


# --- settings --------------------------------------------------------------------------------


def test_a_zalo_webhook_needs_a_secret_of_32_to_256_characters(monkeypatch):
    monkeypatch.delenv("LOAXA_ZALO_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LOAXA_ZALO_WEBHOOK_SECRET"):
        load_settings(zalo_token="t", zalo_webhook_url="https://x/zalo", _env_file=None)
    with pytest.raises(ConfigError, match=r"LOAXA_ZALO_WEBHOOK_SECRET.*32-256"):
        load_settings(zalo_webhook_secret="long-enough", _env_file=None)
    settings = load_settings(zalo_webhook_secret="long-enough-" + "x" * 21, _env_file=None)
    assert (settings.zalo_rate_per_second, settings.zalo_per_chat_per_second) == (5.0, 0.5)


# --- the emulator's rules ----------------------------------------------------------------


@pytest.fixture
async def zemu():
    async with ZaloEmulator(token=TOKEN) as emulator:
        yield emulator


async def _call(zemu, method: str, body: dict, token: str = TOKEN) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{zemu.base_url}{token}/{method}", json=body)


async def test_emulator_getupdates_hands_out_one_update_then_408(zemu):
    user = zemu.add_user("Lan")
    await zemu.send_text(user.id, "a")
    await zemu.send_text(user.id, "b")
    first = (await _call(zemu, "getUpdates", {"timeout": "0"})).json()
    assert first["ok"] and first["result"]["message"]["text"] == "a"
    assert (await _call(zemu, "getUpdates", {"timeout": "0"})).json()["result"]["message"][
        "text"
    ] == "b"
    empty = await _call(zemu, "getUpdates", {"timeout": "0"})
    assert empty.json() == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert len(user.id) == 20 and int(user.id, 16) >= 0


async def test_emulator_enforces_the_documented_limits(zemu):
    user = zemu.add_user("Lan")
    assert (await _call(zemu, "getMe", {}, token="wrong")).status_code == 401
    short = await _call(zemu, "setWebhook", {"url": "https://x/y", "secret_token": "short"})
    assert short.json()["error_code"] == 400
    too_long = await _call(zemu, "sendMessage", {"chat_id": user.id, "text": "x" * 2001})
    assert too_long.json()["error_code"] == 400
    empty = await _call(zemu, "sendMessage", {"chat_id": user.id, "text": ""})
    assert empty.json()["error_code"] == 400
    nobody = await _call(zemu, "sendMessage", {"chat_id": "0" * 20, "text": "a"})
    assert "chat not found" in nobody.json()["description"]
    no_url = await _call(zemu, "sendPhoto", {"chat_id": user.id, "photo": "abc"})
    assert no_url.json()["error_code"] == 400
    zemu.block(user.id)
    blocked = await _call(zemu, "sendMessage", {"chat_id": user.id, "text": "a"})
    assert blocked.json()["error_code"] == 403
    assert TOKEN not in repr(zemu)


async def test_emulator_rate_limit_answers_its_error_code(zemu):
    zemu.rate_limit = RateLimit(per_second=100, per_chat_per_second=1, error_code=429)
    user = zemu.add_user("Lan")
    ok = await _call(zemu, "sendMessage", {"chat_id": user.id, "text": "a"})
    limited = await _call(zemu, "sendMessage", {"chat_id": user.id, "text": "b"})
    assert ok.json()["ok"] is True
    assert limited.status_code == 429
    assert limited.json()["parameters"]["retry_after"] == 1.0
    assert [m.text for m in zemu.messages(user.id)] == ["a"]


async def test_emulator_serves_test_images_and_parses_numbered_lists(zemu):
    url = zemu.add_file(b"\x89PNG-bytes")
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).content == b"\x89PNG-bytes"
    user = zemu.add_user("Lan")
    await _call(zemu, "sendMessage", {"chat_id": user.id, "text": "Chọn:\n\n1. Có\n2. Không"})
    assert zemu.messages(user.id)[0].choices == [(1, "Có"), (2, "Không")]
