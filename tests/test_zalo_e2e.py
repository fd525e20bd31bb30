"""Residents on Zalo, end to end over the Zalo emulator (webhook mode unless said otherwise).

Zalo has no buttons: the bot numbers its choices and residents answer with the number or the
words. Staff work on Telegram in the same world, and what they do reaches the Zalo resident
through the outbox.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest

import handlers.survey as survey_flow
from bot.app import LoaXa
from bot.config import QuietHours, Settings
from bot.i18n import translator
from bot.messages import Choice, Media, Reply
from bot.simulator.zalo import ZaloEmulator
from content.pulse import parse
from storage import Storage
from storage.feedback import CODE_ALPHABET
from storage.inbox_queue import InboxQueue
from storage.models import Role, Topic
from storage.outbox import Push
from tests.test_feedback_e2e import png
from tests.test_survey_e2e import QUESTIONS, rounds
from tests.zalo_world import SECRET, ZALO_TOKEN, ZaloWorld, numbered_lines

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")
t = translator("vi")


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so pushes go out whatever time the tests run.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


@pytest.fixture
async def zemu():
    async with ZaloEmulator(token=ZALO_TOKEN, seed=7) as emulator:
        yield emulator


async def _world(emu, zemu, tmp_path, commune, monkeypatch, *, webhook: bool):
    monkeypatch.chdir(tmp_path)
    world = ZaloWorld(emu, zemu, tmp_path, commune, webhook=webhook)
    await world.start()
    return world


@pytest.fixture
async def world(emu, zemu, tmp_path, commune, monkeypatch):
    w = await _world(emu, zemu, tmp_path, commune, monkeypatch, webhook=True)
    try:
        yield w
    finally:
        await w.stop()


@pytest.fixture
async def polling_world(emu, zemu, tmp_path, commune, monkeypatch):
    w = await _world(emu, zemu, tmp_path, commune, monkeypatch, webhook=False)
    try:
        yield w
    finally:
        await w.stop()


async def onboard(person, hamlet="Xóm 3"):
    await person.says("/start")
    await person.picks("Đồng ý")
    await person.picks(hamlet)
    return await person.picks("Nhận tất cả (nên chọn)")


async def resident_of(world, person):
    return await world.store.residents.get_by_identity("zalo", person.id)


async def count(world, table: str) -> int:
    return await world.store.db.fetchval(f"SELECT COUNT(*) FROM {table}")


# --- onboarding and typed choices ---------------------------------------------------------


async def test_resident_onboards_on_zalo_by_typing_numbers(world):
    assert world.zemu.webhook_url == world.webhook_url
    lan = world.zalo_resident("Lan")
    greeting = await lan.says("/start")
    assert "xã Ví Dụ" in greeting[0].text
    assert lan.choices() == ["Đồng ý", "Không đồng ý"]
    assert t("zalo.choose_hint") in greeting[-1].text

    await lan.says("1")
    assert "xóm nào" in lan.last_text()
    assert lan.choices()[:3] == ["Xóm 1", "Xóm 2", "Xóm 3"]
    await lan.says("3")
    final = await lan.picks("Nhận tất cả (nên chọn)")
    assert final[0].text.startswith("Xong. Ông/bà đã đăng ký.")
    assert final[-1].text.startswith("Ông/bà cần gì?")
    assert "Hướng dẫn sử dụng" in lan.choices()

    resident = await resident_of(world, lan)
    assert (resident.hamlet, resident.display_name, resident.chat_id) == ("Xóm 3", "Lan", lan.id)
    assert await world.store.residents.subscriptions(resident.id) == set(Topic)
    assert await count(world, "inbound_queue WHERE payload IS NOT NULL") == 0


async def test_resident_onboards_by_typing_labels_without_diacritics(world):
    hoa = world.zalo_resident("Hoa")
    await hoa.says("xin chao")
    await hoa.says("dong y")
    answer = await hoa.says("XOM 5")
    assert "Đã ghi: Xóm 5" in answer[0].text
    await hoa.says("nhan tat ca")
    resident = await resident_of(world, hoa)
    assert resident.hamlet == "Xóm 5"
    assert await world.store.residents.subscriptions(resident.id) == set(Topic)


async def test_typed_number_and_typed_label_pick_the_same_choice(world):
    lan, hoa = world.zalo_resident("Lan"), world.zalo_resident("Hoa")
    for person, hamlet_answer, plan_answer in (
        (lan, "2", "2"),
        (hoa, "xom 2", "chi thong bao quan trong"),
    ):
        await person.says("/start")
        await person.says("dong y")
        await person.says(hamlet_answer)
        await person.says(plan_answer)
    for person in (lan, hoa):
        resident = await resident_of(world, person)
        assert resident.hamlet == "Xóm 2"
        assert await world.store.residents.subscriptions(resident.id) == {Topic.ANNOUNCEMENTS}


async def test_zalo_cannot_edit_so_a_toggled_list_comes_as_a_new_numbered_list(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    (screen,) = await lan.says("/theodoi")
    assert lan.choices()[0] == "✓ Thông báo của xã"
    (again,) = await lan.picks("✓ Thông báo của xã")  # marked "replaces": Zalo sends anew
    assert again is not screen and lan.choices()[0] == "○ Thông báo của xã"
    assert numbered_lines(again.text)[0] == "1. ○ Thông báo của xã"
    assert screen.text.count("✓ Thông báo của xã") == 1  # the old list is left as it was


async def test_a_number_on_the_main_menu_opens_that_flow(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    number = lan.number_of("Hướng dẫn sử dụng")
    answer = await lan.says(str(number))
    assert "/help" in answer[0].text


async def test_unwrapped_webhook_bodies_are_accepted(world):
    world.zemu.wrap_webhook = False
    lan = world.zalo_resident("Lan")
    answer = await lan.says("/start")
    assert "xã Ví Dụ" in answer[0].text
    assert all(status == 200 for _, status in world.zemu.webhook_deliveries)


# --- feedback with a photo, staff on Telegram, the answer back on Zalo -----------------------


async def submit_with_photo(lan) -> str:
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay")
    answer = await lan.sends_image(png(1), caption="ảnh chụp sáng nay")
    assert answer[0].text.startswith("Đã nhận ảnh")
    await lan.picks("Xong, tiếp tục")
    await lan.picks("Ở Xóm 3")
    await lan.picks("Gửi có tên")
    answer = await lan.picks("Gửi phản ánh")
    assert answer[0].text.startswith("Đã nhận phản ánh")
    return CODE.search(answer[0].text).group(0)


async def test_feedback_with_a_photo_is_stored_with_the_photo(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    code = await submit_with_photo(lan)
    item = await world.store.feedback.get_by_code(code)
    assert (item.channel, item.category, item.hamlet) == ("zalo", "moi-truong", "Xóm 3")
    assert item.description.startswith("Bãi rác tự phát")
    assert await world.store.media.for_feedback(item.id) == [png(1)]
    assert await world.store.feedback.notify_target(item.id) == ("zalo", lan.id)


async def test_a_photo_that_cannot_be_downloaded_is_said_so(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Cống thoát nước đầu xóm bị tắc, nước tràn ra đường")
    answer = await lan.sends_image(f"{world.zemu.url}/files/gone.png")
    assert answer[0].text == t("fb.photo_failed")


async def test_staff_answer_and_resolve_on_telegram_reach_the_zalo_resident(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    code = await submit_with_photo(lan)

    await minh.says("/hopthu")
    await minh.taps("Mới")
    await minh.taps(f"1. {code}")
    await minh.taps("Trả lời người dân")
    await minh.says("Xã đã cử tổ vệ sinh dọn bãi rác trong tuần này.")
    await world.drain()
    pushed = await lan.catch_up()
    assert any(code in m.text and "tổ vệ sinh" in m.text for m in pushed)

    await minh.taps("Báo đã giải quyết")
    await minh.says("Đã dọn sạch bãi rác và cắm biển cấm đổ rác.")
    await world.drain()
    pushed = await lan.catch_up()
    assert "cắm biển" in pushed[-1].text
    assert lan.choices() == ["Đã giải quyết xong", "Chưa giải quyết"]

    # No conversation holds these choices: the adapter reads the typed number against them.
    answer = await lan.says("1")
    assert code in answer[0].text
    await lan.picks("5 - Rất hài lòng")
    answer = await lan.says("Cán bộ xã làm nhanh, cảm ơn xã")
    assert answer[0].text == t("fb.thanks_rating")
    item = await world.store.feedback.get_by_code(code)
    assert (item.status, item.rating, item.rating_comment) == (
        "resolved",
        5,
        "Cán bộ xã làm nhanh, cảm ơn xã",
    )


async def test_a_sentence_typed_on_zalo_becomes_a_question_and_words_start_commands(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    answer = await lan.says("Xin chao xa, cho toi hoi lam so do o dau")
    assert "cho toi hoi lam so do o dau" in answer[-1].text
    answer = await lan.picks(t("convo.question_send"))
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert (item.kind, item.channel) == ("question", "zalo")
    await world.drain()
    assert code in (await minh._answers())[-1].text

    answer = await lan.says(f"tra cuu {code}")
    assert answer[0].text.startswith(code)
    answer = await lan.says("xin chao")
    assert len(answer) == 1 and answer[0].text.startswith(t("menu.title"))


async def test_the_words_on_a_desk_poster_lead_a_zalo_newcomer_to_that_desks_rating(world):
    lan = world.zalo_resident("Lan")
    await lan.says("danh gia mot-cua")  # the code printed under the poster's QR code
    await lan.picks("Đồng ý")
    await lan.picks("Xóm 2")
    answer = await lan.picks("Nhận tất cả (nên chọn)")
    thanks = t("rate.ask_service", desk=world.commune.desk("mot-cua").name)
    assert thanks in answer[-1].text
    await lan.says("/huy")
    answer = await lan.says("đánh giá mot-cua")  # a resident already signed up
    assert answer[-1].text.startswith(thanks)


async def test_a_zalo_voice_note_is_the_description_and_the_official_hears_it(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.picks("Môi trường")
    await world.zemu.send_voice(lan.id)
    answer = await lan.catch_up()
    assert answer[0].text == t("voice.received", seconds="?")
    await lan.picks("Không có ảnh")
    await lan.picks("Ở Xóm 3")
    await lan.picks("Gửi có tên")
    answer = await lan.picks(t("fb.send_petition"))
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert await world.store.media.voices_for_feedback(item.id) == [(b"voice", None)]

    await world.drain()
    await minh._answers()
    await minh.says("/hopthu")
    await minh.taps("Mới")
    await minh.taps(f"1. {code}")
    opened = await minh.taps("Xem ảnh")  # photos and voice notes follow when asked for
    [played] = [m for m in opened if m.raw.get("audio")]  # not Telegram's own OGG: audio
    assert world.emu.file_bytes(played.raw["audio"]["file_id"]) == b"voice"


# --- pushes: a broadcast, a long text split at paragraph boundaries -------------------------


async def test_a_long_push_is_split_at_paragraph_boundaries(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    resident = await resident_of(world, lan)
    paragraphs = [f"Đoạn {n}: " + "Thông báo của xã về lịch tiêm phòng. " * 9 for n in range(30)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(text) > 3 * 2000
    push = Push("zalo", lan.id, Reply(text), kind="broadcast", source="test:long",
                resident_id=resident.id)  # fmt: skip
    assert await world.store.outbox.enqueue([push]) == 1
    await world.drain()
    pieces = [m.text for m in await lan.catch_up()]
    assert len(pieces) >= 4
    assert all(len(piece) <= 2000 for piece in pieces)
    assert all(piece.startswith("Đoạn ") for piece in pieces)
    assert "\n\n".join(pieces) == text


async def test_a_zalo_start_logs_no_error_and_a_document_is_named(world, caplog):
    """Monitoring alerts on ERROR: starting Zalo must not cry wolf (zalo.document_unavailable)."""
    started = [r for r in caplog.get_records("setup") if r.levelno >= logging.ERROR]
    assert started == [], [r.getMessage() for r in started]
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    resident = await resident_of(world, lan)
    report = Reply("Báo cáo tuần", media=Media("document", "bao-cao-tuan.xlsx", b"PK"))
    push = Push("zalo", lan.id, report, kind="broadcast", source="test:document",
                resident_id=resident.id)  # fmt: skip
    assert await world.store.outbox.enqueue([push]) == 1
    await world.drain()
    [sent] = await lan.catch_up()
    assert sent.text.startswith("Báo cáo tuần\n\n")
    assert sent.text.endswith(t("zalo.document_unavailable", filename="bao-cao-tuan.xlsx"))


async def test_a_broadcast_with_choices_is_answered_by_number(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    reply = Reply("Xã mời bà con xem hướng dẫn mới.", choices=(Choice("help:start", "Xem"),))
    push = Push("zalo", lan.id, reply, kind="broadcast", source="test:choices")
    await world.store.outbox.enqueue([push])
    await world.drain()
    pushed = await lan.catch_up()
    assert pushed[-1].text.endswith("1. Xem\n" + t("zalo.choose_hint"))
    answer = await lan.says("1")
    assert "/help" in answer[0].text


# --- a service rating, a survey pushed and answered -----------------------------------------


async def test_a_service_rating_by_typed_numbers(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    await lan.says("/danhgia")
    await lan.says("chung thuc ban sao")
    await lan.picks("Nhanh: 1 câu")
    await lan.says("4")  # the scale runs 1..5, so the number is the score
    answer = await lan.picks("Không góp ý")
    assert answer[0].text.startswith("Cảm ơn ông/bà đã đánh giá")
    row = await world.store.db.fetchone("SELECT channel, service, overall FROM ratings")
    assert tuple(row) == ("zalo", "chung-thuc", 4)


async def test_a_survey_pushed_to_zalo_is_answered(world, monkeypatch):
    today = datetime.now(UTC).date()
    bank = parse(QUESTIONS, rounds(today - timedelta(days=3), today + timedelta(days=3)))
    monkeypatch.setattr(survey_flow, "bank", lambda: bank)
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    now = datetime.now(UTC)
    assert await survey_flow.open_round(world.store, world.commune, bank.rounds[0], now) == 1
    await world.drain()
    pushed = await lan.catch_up()
    assert pushed[-1].text.startswith("Xã mời ông/bà trả lời khảo sát “Khảo sát thử”")
    answer = await lan.picks("Trả lời khảo sát")  # a pushed list: read by the adapter
    assert "Câu 1/3" in answer[-1].text
    await lan.says("co")
    await lan.says("4")
    answer = await lan.says("2 kem")
    assert answer[0].text.startswith("Cảm ơn ông/bà đã trả lời")
    resident = await resident_of(world, lan)
    answers = await world.store.surveys.answered("test-round", resident.id)
    assert answers == {"q-hop": 1, "q-rac": 4, "q-tt": 2}


# --- what Zalo sends that the bot cannot read ---------------------------------------------


async def test_sticker_voice_and_unsupported_messages_get_the_explanation(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    for send in (world.zemu.send_sticker, world.zemu.send_voice, world.zemu.send_unsupported):
        await send(lan.id)
        answer = await lan.catch_up()
        assert answer[0].text == t("error.unsupported")
        assert answer[-1].text.startswith("Ông/bà cần gì?")


# --- the webhook's guard ---------------------------------------------------------------------


async def _post(world, body: bytes | str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(world.webhook_url, content=body, headers=headers)


def _update_for(world, user_id: str, text: str) -> dict:
    user = world.zemu.user(user_id)
    return {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {
                "message_id": "forged0000000000000a",
                "date": 1750316131602,
                "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
                "chat": {"id": user.id, "chat_type": "PRIVATE"},
                "text": text,
            },
        },
    }


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-of-right-size", SECRET + "x"])
async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(world, secret):
    lan = world.zalo_resident("Lan")
    body = json.dumps(_update_for(world, lan.id, "/start"))
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Bot-Api-Secret-Token"] = secret
    response = await _post(world, body, headers)
    assert response.status_code == 401
    assert await count(world, "inbound_queue") == 0
    assert await count(world, "residents") == 0
    assert world.zalo.handled == 0
    assert world.zemu.messages(lan.id) == []


@pytest.mark.parametrize(
    "body", ["{not json", "[]", '{"ok": true}', "\xff\xfe", "[" * 30_000 + "]" * 30_000]
)
async def test_malformed_bodies_are_answered_400(world, body):  # nested too deep: issue 14
    headers = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await _post(world, body.encode("latin-1"), headers)
    assert response.status_code == 400
    assert await count(world, "inbound_queue") == 0


async def test_wrong_secrets_from_one_address_are_answered_429_after_five(world):
    lan = world.zalo_resident("Lan")
    body = json.dumps(_update_for(world, lan.id, "/start"))
    wrong = [(await _post(world, body, {"X-Bot-Api-Secret-Token": f"guess-{n}"})) for n in range(6)]
    right = await _post(world, body, {"X-Bot-Api-Secret-Token": SECRET})
    assert [r.status_code for r in wrong] + [right.status_code] == [401] * 5 + [429, 429]
    assert await count(world, "inbound_queue") == 0


async def test_an_oversized_body_is_refused(world):
    headers = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await _post(world, b"{" + b" " * (128 * 1024) + b"}", headers)
    assert response.status_code == 413
    assert await count(world, "inbound_queue") == 0


async def test_the_right_secret_is_accepted(world):
    lan = world.zalo_resident("Lan")
    body = json.dumps(_update_for(world, lan.id, "/start"))
    headers = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await _post(world, body, headers)
    assert response.status_code == 200
    await world.zalo.wait_handled(1)
    assert "xã Ví Dụ" in world.zemu.messages(lan.id)[0].text


async def test_a_redelivered_update_is_handled_once(world):
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    before = len(world.zemu.messages(lan.id))
    update = await world.zemu.send_text(lan.id, "/phananh")
    answer = await lan.catch_up()
    assert len(answer) == 1
    await world.zemu.deliver(update)
    assert await lan.catch_up() == []
    assert len(world.zemu.messages(lan.id)) == before + 1
    message_id = update["message"]["message_id"]
    rows = await world.store.db.fetchall(
        "SELECT payload, handled_at FROM inbound_queue WHERE message_id = ?", (message_id,)
    )
    assert [(r["payload"], r["handled_at"] is not None) for r in rows] == [(None, True)]


async def test_an_update_stored_before_a_crash_is_handled_at_the_next_start(world):
    lan = world.zalo_resident("Lan")
    await world.stop()
    store = await Storage.open(world.db_path)
    try:
        update = _update_for(world, lan.id, "/start")["result"]
        await InboxQueue(store.db).add("zalo", "stored-before-crash", lan.id, update)
    finally:
        await store.close()
    await world.start()
    await world.zalo.wait_handled(1)
    assert "xã Ví Dụ" in world.zemu.messages(lan.id)[0].text
    assert await count(world, "inbound_queue WHERE handled_at IS NULL") == 0


# --- development mode ------------------------------------------------------------------------


async def test_polling_mode_serves_a_resident(polling_world):
    zemu = polling_world.zemu
    assert zemu.webhook_url == ""
    lan = polling_world.zalo_resident("Lan")
    await onboard(lan)
    resident = await resident_of(polling_world, lan)
    assert resident.hamlet == "Xóm 3"
    assert zemu.call_counts["getUpdates"] >= 4
    assert zemu.call_counts["deleteWebhook"] == 1
    assert zemu.webhook_deliveries == []


async def test_zalo_alone_is_enough_to_run(zemu, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        zalo_token=ZALO_TOKEN,
        zalo_api_url=zemu.base_url,
        db=tmp_path / "z.db",
        allow_sample=True,
        http_port=0,
        _env_file=None,
    )
    async with LoaXa(settings, commune, poll_timeout=1) as bot:
        assert [channel.name for channel in bot.channels] == ["zalo"]
        lan = zemu.add_user("Lan")
        await zemu.send_text(lan.id, "/start")
        await bot.channels[0].wait_handled(1)
        assert "xã Ví Dụ" in zemu.messages(lan.id)[0].text
