"""The Zalo OA emulator keeps the rules of shared/reference/zalo-oa.md §8 (over real HTTP)."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from bot.channels.zalo_oa_api import valid_signature
from bot.simulator.zalo_oa import ZaloOaEmulator
from bot.simulator.zalo_oa_state import OaRules, challenge_of
from tests.zalo_world import free_port


@pytest.fixture
async def oa():
    async with ZaloOaEmulator(seed=9) as emulator:
        yield emulator


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


async def token(oa, http, **form) -> dict:
    response = await http.post(
        f"{oa.url}/v4/oa/access_token",
        data={"app_id": oa.state.app_id, **form},
        headers={"secret_key": oa.state.app_secret},
    )
    assert response.status_code == 200
    return response.json()


async def fresh_access(oa, http) -> str:
    got = await token(oa, http, grant_type="refresh_token", refresh_token=oa.mint_refresh_token())
    return got["access_token"]


async def send(oa, http, access: str, user_id: str, message: dict, header="access_token"):
    value = access if header == "access_token" else f"Bearer {access}"
    response = await http.post(
        f"{oa.url}/v3.0/oa/message/cs",
        json={"recipient": {"user_id": user_id}, "message": message},
        headers={header: value},
    )
    assert response.status_code == 200  # errors too: the envelope says what went wrong
    return response.json()


async def test_refresh_tokens_work_once_and_tokens_last_25_hours(oa, http):
    seed = oa.mint_refresh_token()
    first = await token(oa, http, grant_type="refresh_token", refresh_token=seed)
    assert first["expires_in"] == "90000"
    again = await token(oa, http, grant_type="refresh_token", refresh_token=seed)
    assert again["error"] == -14014
    assert (
        await token(oa, http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    )["access_token"]
    wrong_secret = await http.post(
        f"{oa.url}/v4/oa/access_token",
        data={"app_id": oa.state.app_id, "grant_type": "refresh_token", "refresh_token": "x"},
        headers={"secret_key": "not-the-secret"},
    )
    assert wrong_secret.json()["error"] < 0


async def test_an_authorisation_code_needs_its_verifier_and_works_once(oa, http):
    verifier = "v" * 43
    code = oa.authorise(challenge_of(verifier))
    refused = await token(
        oa, http, grant_type="authorization_code", code=code, code_verifier="w" * 43
    )
    assert refused["error"] == -14014  # and the code is spent
    code = oa.authorise(challenge_of(verifier))
    oa.clock.advance(11 * 60)
    late = await token(oa, http, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert late["error"] == -14014
    code = oa.authorise(challenge_of(verifier))
    got = await token(oa, http, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert got["access_token"] and got["refresh_token"]


async def test_only_the_access_token_header_is_accepted_until_it_expires(oa, http):
    access = await fresh_access(oa, http)
    lan = oa.add_user("Lan")
    await oa.follow(lan.id)
    assert (await send(oa, http, access, lan.id, {"text": "a"}, header="Authorization"))[
        "error"
    ] == -216
    assert (await send(oa, http, access, lan.id, {"text": "a"}))["error"] == 0
    oa.clock.advance(90_001)
    oa.state.interacted(lan)
    assert (await send(oa, http, access, lan.id, {"text": "a"}))["error"] == -216


async def test_the_7_day_window_and_the_free_48_hours(oa, http):
    oa.rules.free_per_window = None
    lan, stranger = oa.add_user("Lan"), oa.add_user("Khách")
    await oa.follow(lan.id)
    access = await fresh_access(oa, http)
    assert (await send(oa, http, access, stranger.id, {"text": "a"}))["error"] == -213
    oa.clock.advance(50 * 3600)
    access = await fresh_access(oa, http)
    assert (await send(oa, http, access, lan.id, {"text": "sau 50 giờ"}))["error"] == 0
    assert oa.last_message(lan.id).free is False
    oa.clock.advance(6 * 86_400)  # 8 days since the follow
    access = await fresh_access(oa, http)
    assert (await send(oa, http, access, lan.id, {"text": "a"}))["error"] == -230
    await oa.send_text(lan.id, "Chào xã")  # the resident writes: the window opens again
    assert (await send(oa, http, access, lan.id, {"text": "b"}))["error"] == 0
    assert oa.last_message(lan.id).free is True


async def test_message_limits(oa, http):
    lan = oa.add_user("Lan")
    await oa.follow(lan.id)
    access = await fresh_access(oa, http)
    assert (await send(oa, http, access, lan.id, {"text": "x" * 2001}))["error"] == -210
    assert (await send(oa, http, access, lan.id, {"text": ""}))["error"] == -201
    # NFC: "ệ" typed as e + two combining marks counts as one character
    decomposed = "e\u0323\u0302" * 2000
    assert (await send(oa, http, access, lan.id, {"text": decomposed}))["error"] == 0
    both = {"media_type": "image", "url": "https://x/y.jpg", "attachment_id": "z"}
    media = {"type": "template", "payload": {"template_type": "media", "elements": [both]}}
    assert (await send(oa, http, access, lan.id, {"attachment": media}))["error"] == -201
    buttons = {"type": "template", "payload": {"template_type": "media", "buttons": []}}
    assert (await send(oa, http, access, lan.id, {"attachment": buttons}))["error"] == -233
    old = await http.post(f"{oa.url}/v2.0/oa/message", json={}, headers={"access_token": access})
    assert old.json()["error"] == -240


async def test_uploads_check_type_and_size_and_expire_after_7_days(oa, http):
    lan = oa.add_user("Lan")
    await oa.follow(lan.id)
    access = await fresh_access(oa, http)

    async def upload(kind: str, name: str, size: int, head: bytes = b"") -> dict:
        files = {"file": (name, head + b"\0" * size)}
        response = await http.post(
            f"{oa.url}/v2.0/oa/upload/{kind}", files=files, headers={"access_token": access}
        )
        return response.json()

    assert (await upload("image", "a.png", 1024 * 1024 + 1))["error"] == -210
    assert (await upload("image", "a.gif", 10))["error"] == -201
    assert (await upload("file", "a.exe", 10))["error"] == -201
    assert (await upload("file", "a.pdf", 5 * 1024 * 1024 + 1))["error"] == -210
    file_token = (await upload("file", "bien-ban.pdf", 1000))["data"]["token"]
    assert (await upload("image", "anh.jpg", 1000))["error"] == -201  # named jpg, is not one
    image = (await upload("image", "anh.jpg", 1000, b"\xff\xd8\xff"))["data"]["attachment_id"]
    element = {"media_type": "image", "attachment_id": image}
    media = {"type": "template", "payload": {"template_type": "media", "elements": [element]}}
    assert (await send(oa, http, access, lan.id, {"attachment": media}))["error"] == 0
    oa.clock.advance(7 * 86_400 + 1)
    oa.state.interacted(lan)
    access = await fresh_access(oa, http)
    assert (await send(oa, http, access, lan.id, {"attachment": media}))["error"] == -100
    attached = {"attachment": {"type": "file", "payload": {"token": file_token}}}
    assert (await send(oa, http, access, lan.id, attached))["error"] == -100


def test_the_signature_is_sha256_of_app_id_body_timestamp_and_oa_secret_key():
    body = b'{"event_name":"user_send_text","timestamp":"1699003881354"}'
    expected = "mac=" + hashlib.sha256(b"123" + body + b"1699003881354" + b"key").hexdigest()
    assert valid_signature("123", body, "1699003881354", "key", expected)
    assert not valid_signature("123", body, "1699003881354", "other-key", expected)


async def test_events_have_string_ids_and_ms_timestamps_and_failed_deliveries_are_retried(oa):
    oa.webhook_url = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens there
    lan = oa.add_user("Lan")
    await oa.follow(lan.id)
    event = await oa.send_location(lan.id, 21.912, 105.634, "Đường liên xóm")
    assert isinstance(event["sender"]["id"], str) and event["timestamp"].isdigit()
    coordinates = event["message"]["attachments"][0]["payload"]["coordinates"]
    assert coordinates == {"latitude": "21.912", "longitude": "105.634"}
    assert json.loads(oa.state.encode(event)[0]) == event
    assert [d.num_retry for d in oa.deliveries] == [0, 0]
    assert await oa.retry_due() == 0  # the first retry comes 30 s later
    oa.clock.advance(30)
    assert await oa.retry_due() == 2
    assert [d.num_retry for d in oa.deliveries[2:]] == [1, 1]
    for wait in (300, 900, 1800, 3600):
        oa.clock.advance(wait)
        await oa.retry_due()
    assert oa.disabled and not oa.failed


async def test_the_first_signature_term_is_a_setting():
    async with ZaloOaEmulator(rules=OaRules(sign_first_term="oa_id")) as oa:
        lan = oa.add_user("Lan")
        event = oa.state.follow_event(lan, "follow")
        body, mac = oa.state.encode(event)
        assert valid_signature(oa.state.oa_id, body, event["timestamp"], oa.state.secret_key, mac)
