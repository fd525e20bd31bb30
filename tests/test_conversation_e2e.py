"""Residents who type as they talk: a sentence kept as a question, words for commands, typed
answers where a button is awaited (Telegram, through the emulator)."""

from __future__ import annotations

import re

from bot.i18n import translator
from storage.db import utcnow
from storage.feedback import CODE_ALPHABET
from storage.models import ResidentStatus, Role, SessionKey
from tests.test_feedback_e2e import send_feedback
from tests.test_inbox_e2e import open_from_inbox
from tests.test_onboarding_e2e import onboard

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")
t = translator("vi")
ASKED = "Xin chào xã, cho tôi hỏi làm sổ đỏ ở đâu?"
ASK_KIND = t("fb.ask_kind").split("\n")[0]


async def session_of(world, person):
    key = SessionKey("telegram", str(person.id), str(person.id))
    return await world.store.sessions.get(key, utcnow())


async def status_of(world, person) -> ResidentStatus:
    return (await world.store.residents.get_by_identity("telegram", str(person.id))).status


async def test_a_sentence_at_the_menu_is_kept_and_becomes_a_question_officials_answer(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says(ASKED)
    assert ASKED in answer[-1].text
    assert lan.buttons() == [t("convo.question_send"), t("convo.question_other")]
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM feedback") == 0
    assert (await session_of(world, lan)).draft["text"] == ASKED  # kept before the offer

    await world.restart()  # what was typed survives a restart before the tap
    answer = await lan.taps(t("convo.question_send"))
    code = CODE.search(answer[0].text).group(0)
    assert answer[0].text.startswith("Đã gửi câu hỏi của ông/bà cho xã.")
    item = await world.store.feedback.get_by_code(code)  # committed before the code was shown
    assert (item.kind, item.description, item.status) == ("question", ASKED, "new")
    assert item.category == world.commune.categories[-1].id and item.hamlet == "Xóm 3"
    assert await session_of(world, lan) is None

    await world.drain()
    pushed = await ha._answers()
    assert code in pushed[-1].text and "Câu hỏi" in pushed[-1].text
    details = await open_from_inbox(ha, code)
    assert "Loại: Câu hỏi" in details.text and ASKED in details.text
    await ha.taps("Trả lời người dân")
    await ha.says(
        "Ông/bà mang giấy tờ đến Trung tâm Phục vụ hành chính công xã, sáng thứ Hai đến thứ Sáu."
    )
    await world.drain()
    heard = [m.text for m in await lan._answers()]
    assert any(code in h and "Trung tâm Phục vụ hành chính công" in h for h in heard)


async def test_choosing_something_else_drops_the_sentence_and_shows_the_menu(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("Cho tôi hỏi lịch tiêm phòng cho trẻ em tháng này")
    answer = await lan.taps(t("convo.question_other"))
    assert answer[-1].text == t("menu.title")
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM feedback") == 0
    assert await session_of(world, lan) is None


async def test_a_typed_reply_to_the_offer_is_not_sent_and_the_offer_stays(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("Cho tôi hỏi lịch tiêm phòng cho trẻ em tháng này")
    answer = await lan.says("gui cau hoi")  # the start of the button's label: it is the button
    assert answer[0].text.startswith("Đã gửi câu hỏi")
    await lan.says("Cho tôi hỏi giờ làm việc của xã vào thứ Bảy")
    answer = await lan.says("ok vay thi sao")
    assert answer[0].text == t("convo.expects_button")
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM feedback") == 1


async def test_a_greeting_alone_gets_the_menu_not_an_offer(world):
    lan = world.resident("Lan")
    await onboard(lan)
    for greeting in ("xin chào", "Alo", "chao xa a", "Xin chào xã ạ!", "CHÀO"):
        answer = await lan.says(greeting)
        assert [m.text for m in answer] == [t("menu.title")], greeting
    assert await session_of(world, lan) is None


async def test_short_gibberish_at_the_menu_still_gets_the_hint(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("asdfgh")
    assert answer[0].text == t("error.outside_flow")


async def test_words_typed_without_a_slash_start_what_they_name(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("gui phan anh")
    assert answer[0].text.startswith(ASK_KIND)
    await lan.says("huy")  # a button is awaited: "huy" cannot be an answer there
    answer = await lan.says("Phản ánh")
    assert answer[0].text.startswith(ASK_KIND)
    await lan.says("/huy")

    answer = await lan.says("khieu nai")  # the kind is taken from the words
    assert answer[0].text == t("fb.ask_category")
    await lan.says("/huy")
    answer = await lan.says("hoi")
    assert answer[0].text == t("fb.ask_category")
    assert (await session_of(world, lan)).draft["kind"] == "question"
    await lan.says("/huy")

    answer = await lan.says("danh gia")
    assert answer[0].text.startswith("Cảm ơn") or "thủ tục" in answer[0].text
    await lan.says("hủy")
    assert await session_of(world, lan) is None


async def test_tra_cuu_with_a_code_opens_that_item(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    answer = await lan.says(f"tra cuu {code}")
    assert answer[0].text.startswith(code) and "Bãi rác tự phát" in answer[0].text
    answer = await lan.says("Tra cứu")
    assert code in "\n".join(m.text for m in answer) + " ".join(lan.buttons())


async def test_huy_at_the_menu_and_hủy_in_a_text_step(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("huy")
    assert answer[0].text == t("basics.cancelled")
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")
    answer = await lan.says("Hủy")  # typed with its diacritics: cancels even where text is asked
    assert answer[0].text == t("basics.cancelled")
    assert await session_of(world, lan) is None


async def test_dung_without_diacritics_at_the_menu_asks_before_stopping(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("dung")
    assert answer[0].text == t("convo.stop_offer")
    assert await status_of(world, lan) is ResidentStatus.ACTIVE
    answer = await lan.taps(t("convo.stop_yes"))
    assert answer[0].text == t("basics.stopped")
    assert await status_of(world, lan) is ResidentStatus.STOPPED


async def test_dung_nhan_tin_with_its_diacritics_stops_at_once(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("Dừng nhận tin")
    assert answer[0].text == t("basics.stopped")
    assert await status_of(world, lan) is ResidentStatus.STOPPED


async def test_dung_inside_a_flow_is_still_an_answer_not_a_stop(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")
    answer = await lan.says("dung")
    assert answer[0].text.startswith(t("fb.too_short", min=10)[:12])
    assert await status_of(world, lan) is ResidentStatus.ACTIVE


async def test_stray_text_where_a_button_is_awaited_says_what_is_expected_once(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    first = await lan.says("toi muon noi chuyen")
    assert [m.text for m in first] == [t("convo.expects_button")]
    assert "/huy" in first[0].text and lan.buttons()[0] == "Phản ánh, kiến nghị"
    second = await lan.says("sao vay")
    assert [m.text for m in second] == [t("convo.expects_button_short")]
    assert lan.buttons()[0] == "Phản ánh, kiến nghị"
    answer = await lan.says("phan anh kien nghi")  # a label typed is that button
    assert answer[0].text == t("fb.ask_category")
    answer = await lan.says("khong biet")  # a new step: the long form again, once
    assert answer[0].text == t("convo.expects_button")


async def test_a_hamlet_heads_name_for_someone_asked_again_says_why(world):
    head = await world.staff("Trưởng xóm Tư", Role.HAMLET_HEAD)
    await head.says("/phananh")
    await head.taps(t("fb.behalf_other"))
    answer = await head.says("A")
    assert answer[0].text == (
        "Tin vừa gửi có 1 ký tự, ngắn hơn mức tối thiểu 2.\n" + t("fb.ask_behalf_name")
    )
    answer = await head.says("Bà Nguyễn Thị Tám")
    assert answer[0].text.startswith(ASK_KIND)
