"""Followers of the commune's Zalo Official Account, end to end over the OA emulator.

The OA posts signed webhook events to the bot's HTTP server; the bot answers with
consultation messages (`/v3.0/oa/message/cs`), numbered like the Bot Platform's. Staff work
on Telegram in the same world, and what they do reaches the follower through the outbox.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.config import QuietHours
from bot.i18n import translator
from bot.messages import Reply
from bot.simulator.zalo_oa import ZaloOaEmulator
from storage.feedback import CODE_ALPHABET
from storage.models import ResidentStatus, Role
from storage.oa_tokens import OaTokens, TokenPair
from storage.outbox import Push
from tests.test_feedback_e2e import png
from tests.zalo_oa_world import ZaloOaWorld

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so pushes go out whatever time the tests run.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


@pytest.fixture
async def oa():
    async with ZaloOaEmulator(seed=11) as emulator:
        yield emulator


@pytest.fixture
async def world(emu, oa, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = ZaloOaWorld(emu, oa, tmp_path, commune)
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


async def onboard(lan, hamlet="Xóm 3"):
    greeting = await lan.follows()  # following the OA is the /start of the Bot Platform
    assert "Đồng ý" in lan.choices(), greeting
    await lan.picks("Đồng ý")
    await lan.picks(hamlet)
    return await lan.picks("Nhận tất cả (nên chọn)")


async def test_a_follower_signs_up_by_numbered_menu(world):
    lan = world.follower("Lan")
    await onboard(lan)
    resident = await world.store.residents.get_by_identity("zalo_oa", lan.id)
    assert (resident.hamlet, resident.status) == ("Xóm 3", ResidentStatus.ACTIVE)
    assert all(len(m.text) <= 2000 for m in lan.received)


async def test_feedback_with_photo_and_location_is_answered_from_telegram(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.follower("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay")
    answer = await lan.sends_image(png(3), caption="ảnh chụp sáng nay")
    assert answer[0].text.startswith("Đã nhận ảnh")
    await lan.picks("Xong, tiếp tục")
    await lan.sends_location(21.912, 105.634, "Đường liên xóm 3")
    await lan.picks("Gửi có tên")
    answer = await lan.picks("Gửi phản ánh")
    code = CODE.search(answer[0].text).group(0)

    item = await world.store.feedback.get_by_code(code)
    assert (item.channel, item.latitude, item.longitude) == ("zalo_oa", 21.912, 105.634)
    assert await world.store.media.for_feedback(item.id) == [png(3)]

    await minh.says("/hopthu")
    await minh.taps("Mới")
    await minh.taps(f"1. {code}")
    await minh.taps("Trả lời người dân")
    await minh.says("Xã đã cử tổ vệ sinh dọn bãi rác trong tuần này.")
    await world.drain()
    pushed = await lan.catch_up()
    assert any(code in m.text and "tổ vệ sinh" in m.text for m in pushed)


async def test_a_forged_or_unsigned_webhook_is_refused_and_not_stored(world):
    lan = world.follower("Lan")
    await onboard(lan)
    event = world.oa.state.user_event(world.oa.user(lan.id), "user_send_text", text="/help")
    assert await world.oa.post_forged(event, "mac=" + "0" * 64) == 401
    assert await world.oa.post_forged(event, None) == 401
    assert await lan.catch_up() == []
    # Nothing was stored: the same event, signed, is new to the bot and answered.
    await world.oa.post(event)
    assert "/phananh" in (await lan.catch_up())[0].text


async def test_a_redelivered_event_is_handled_once(world):
    lan = world.follower("Lan")
    await onboard(lan)
    event = await world.oa.send_text(lan.id, "/help")
    first = await lan.catch_up()
    await world.oa.redeliver(event)
    again = await lan.catch_up()
    assert first and again == []
    assert world.oa.deliveries[-1].num_retry == 1 and world.oa.deliveries[-1].status == 200


async def test_a_sticker_gets_a_short_explanation(world):
    lan = world.follower("Lan")
    await onboard(lan)
    answer = await lan.sends_sticker()
    said = translator("vi", world.commune.address)("zalo_oa.unsupported")
    assert [m.text for m in answer] == [said]


async def test_an_unfollow_stops_pushes(world):
    lan = world.follower("Lan")
    await onboard(lan)
    await lan.unfollows()
    resident = await world.store.residents.get_by_identity("zalo_oa", lan.id)
    assert resident.status is ResidentStatus.BLOCKED


async def test_an_access_token_past_25_hours_is_refreshed_and_the_pair_stored(world):
    lan = world.follower("Lan")
    await onboard(lan)
    refreshes = world.oa.state.tokens.refreshes
    world.oa.clock.advance(26 * 3600)  # the emulator's token expired; Zalo answers -216
    world.oa.state.interacted(world.oa.user(lan.id))
    await world.store.outbox.enqueue(
        [Push("zalo_oa", lan.id, Reply("Thông báo lịch họp xóm"), "notify", "test:meeting")]
    )
    await world.drain()
    assert "lịch họp" in (await lan.catch_up())[-1].text
    assert world.oa.state.tokens.refreshes == refreshes + 1
    stored = await world.zalo_oa.api._tokens.get(world.oa.state.app_id)
    assert (stored.access_token, stored.refresh_token) == world.oa.state.tokens.issued[-1]


async def test_a_long_push_is_split_at_paragraphs_within_2000_characters(world):
    lan = world.follower("Lan")
    await onboard(lan)
    sentence = "thông tin về lịch tiêm chủng của trạm y tế xã."
    paragraphs = [f"Đoạn {n}: " + " ".join([sentence] * 9) for n in range(8)]
    push = Push("zalo_oa", lan.id, Reply("\n\n".join(paragraphs)), "notify", "test:long")
    await world.store.outbox.enqueue([push])
    await world.drain()
    pieces = [m.text for m in await lan.catch_up()]
    assert len(pieces) > 1 and all(len(p) <= 2000 for p in pieces)
    assert all(p.startswith("Đoạn ") for p in pieces)  # each piece starts a paragraph
    assert "\n\n".join(pieces) == push.reply.text


async def test_a_voice_note_is_kept_with_the_feedback_like_a_photo(world):
    lan = world.follower("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Đèn đường đầu xóm 3 bị hỏng đã hai tuần")
    answer = await lan.sends_audio(b"voice-note-bytes")
    assert answer[0].text.startswith("Đã nhận ảnh")


async def test_revoked_tokens_tell_the_admin_and_a_new_connection_sends_what_waited(world):
    admin = await world.staff("Quản trị Hà", Role.ADMIN)
    lan = world.follower("Lan")
    await onboard(lan)
    world.oa.state.revoke_all()  # the OA's admin removed the app's access
    push = Push("zalo_oa", lan.id, Reply("Lịch tiêm chủng tháng này"), "notify", "test:revoked")
    await world.store.outbox.enqueue([push])
    notice = await world.emu.next_message(admin.id, timeout=10)
    assert "loaxa zalo-oa connect" in notice.text
    assert await lan.catch_up() == []

    # `loaxa zalo-oa connect` stores a new pair; the bot takes it at its next try.
    fresh = world.oa.state.token(
        world.oa.state.app_secret,
        {"app_id": world.oa.state.app_id, "grant_type": "refresh_token",
         "refresh_token": world.oa.mint_refresh_token()},
    )  # fmt: skip
    expires = datetime.now(UTC) + timedelta(hours=25)
    pair = TokenPair(fresh["access_token"], fresh["refresh_token"], expires, "connect")
    await OaTokens(world.store.db).save(world.oa.state.app_id, pair)
    await world.drain()
    assert "tiêm chủng" in (await lan.catch_up())[-1].text


async def test_echoes_and_receipts_from_the_oa_itself_are_not_answered(world):
    lan = world.follower("Lan")
    await onboard(lan)
    state = world.oa.state
    echo = state.user_event(state.user(lan.id), "oa_send_text", text="/help")
    echo["sender"], echo["recipient"] = {"id": state.oa_id}, {"id": lan.id}
    seen = {**echo, "event_name": "user_seen_message", "message": {"msg_ids": ["1", "2"]}}
    for event in (echo, seen):
        await world.oa.post(event)
    assert await lan.catch_up() == []
    assert [d.status for d in world.oa.deliveries[-2:]] == [200, 200]


async def test_a_file_from_a_follower_is_read_as_a_document(world):
    lan = world.follower("Lan")
    await onboard(lan)
    await world.oa.send_file(lan.id, b"%PDF-1.4 don", "don-de-nghi.pdf")
    answer = await lan.catch_up()
    # Routed to the core (not the adapter's sticker note), which takes no document here.
    t = translator("vi", world.commune.address)
    assert answer[0].text == t("error.unsupported")


def test_the_oa_secrets_are_redacted_from_logs(world):
    from bot.app import secrets_of

    state, settings = world.oa.state, world.settings
    assert {state.app_secret, state.secret_key, world.seed_token} <= set(secrets_of(settings))
