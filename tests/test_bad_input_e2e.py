"""Bad input gets a plain answer or is ignored; the bot never crashes or leaks a traceback."""

from __future__ import annotations

import pytest

from tests.test_feedback_e2e import start_feedback
from tests.test_onboarding_e2e import onboard

TRACE_WORDS = ("Traceback", "Exception", "Error:", 'File "')


def plain(messages) -> None:
    for message in messages:
        assert not any(word in message.text for word in TRACE_WORDS), message.text


@pytest.mark.parametrize(
    "text",
    [
        "a" * 5000,
        "🙂🙂🙂",
        "<b>x</b>",  # long markup is a sentence: kept (tests/test_conversation_e2e.py)
        "xin\x00chao\x07\x1b[31m",
        "\u202eabc\u200f\u200e",
        "   ",
    ],
    ids=["5000-chars", "emoji", "markup", "control", "bidi", "blank"],
)
async def test_odd_text_outside_a_flow_gets_a_hint_and_the_menu(world, text):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says(text)
    plain(answer)
    assert answer[-1].text.startswith("Ông/bà cần gì?")


async def test_markup_characters_are_shown_literally(world):
    lan = world.resident("Lan <b>&amp;</b> *x*")
    answer = await lan.says("/start")
    await lan.taps("Đồng ý")
    await lan.taps("Xóm 1")
    await lan.taps("Nhận tất cả (nên chọn)")
    answer = await lan.says("/start")
    assert "Lan <b>&amp;</b> *x*" in answer[0].text


async def test_odd_text_in_the_middle_of_a_flow_keeps_the_flow(world):
    lan = world.resident("Lan")
    await lan.says("/start")
    await lan.taps("Đồng ý")
    for text in ("a" * 5000, "🙂", "<script>", "\x00"):
        plain(await lan.says(text))
    await lan.taps("Xóm 2")
    assert "Đã ghi: Xóm 2" in lan.last_text()


async def test_sticker_and_photo_outside_a_flow(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.sends_sticker()
    assert "chỉ đọc được chữ" in answer[0].text
    answer = await lan.sends_photo(b"\xff\xd8\xff\xe0fakejpeg", caption="anh")
    plain(answer)
    assert answer


async def test_sticker_during_onboarding_asks_again(world):
    lan = world.resident("Lan")
    await lan.says("/start")
    await lan.taps("Đồng ý")
    answer = await lan.sends_sticker()
    assert "chưa rõ ông/bà ở xóm nào" in answer[0].text
    assert "Xóm 1" in lan.buttons()


async def test_edited_message_is_not_reprocessed(world):
    lan = world.resident("Lan")
    await onboard(lan)
    sent = await lan.says("/xoadulieu")
    answer = await lan.edits(sent[0].message_id + 1000, "/xoadulieu")
    assert "tin đã sửa" in answer[0].text
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident is not None


async def test_unknown_command_is_answered(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/khongcolenh")
    assert "không có lệnh /khongcolenh" in answer[0].text


async def test_group_chat_command_asks_for_a_private_message(world):
    lan = world.resident("Lan")
    group = world.emu.add_group("Xóm 3")
    world.emu.add_member(group, lan.id)
    await world.emu.send_text(lan.id, "/start", chat_id=group)
    await world.settle()
    assert [m.text for m in world.emu.messages(group)] == [
        "Mời ông/bà nhắn riêng cho Loa Xã để được phục vụ."
    ]
    await world.emu.send_text(lan.id, "chao ca nha", chat_id=group)
    await world.settle()
    assert len(world.emu.messages(group)) == 1
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM residents") == 0


async def test_channel_posts_and_other_bots_are_ignored(world):
    channel = world.emu.add_channel("Kênh xã")
    await world.emu.channel_post(channel, "/start")
    robot = world.emu.add_user("Robot", is_bot=True)
    await world.emu.send_text(robot.id, "/start")
    await world.settle()
    assert world.emu.messages(channel) == []
    assert world.emu.messages(robot.id) == []


async def test_one_persons_failure_does_not_stop_the_others(world):
    lan, hoa = world.resident("Lan"), world.resident("Hoa")
    await lan.says("/start")
    await lan.taps("Đồng ý")
    await lan.taps("Xóm 1")
    async with world.store.db.transaction() as conn:  # a real fault: the table is gone
        await conn.execute("DROP TABLE subscriptions")

    answer = await lan.taps("Nhận tất cả (nên chọn)")
    assert answer[0].text == (
        "Xin lỗi ông/bà, Loa Xã đang gặp sự cố. Mời ông/bà thử lại sau ít phút."
    )
    plain(answer)

    await hoa.says("/start")
    await hoa.taps("Đồng ý")
    assert "xóm nào" in hoa.last_text()


async def test_a_flood_from_one_person_is_cut_and_others_are_served(world):
    world.flood_limit = 5
    await world.restart()
    spam, hoa = world.resident("Spam"), world.resident("Hoa")
    for n in range(9):
        await world.emu.send_text(spam.id, f"tin {n}")
    await world.settle()
    texts = [m.text for m in world.emu.messages(spam.id)]
    assert texts.count("Ông/bà gửi nhanh quá. Mời ông/bà chờ một chút rồi gửi lại.") == 1
    greetings = len([t for t in texts if t.startswith("Kính chào")])
    assert 1 <= greetings <= 5  # the rest were dropped unread, before taking any lock
    answer = await hoa.says("/start")
    assert answer[0].text.startswith("Kính chào")


async def test_characters_that_bodies_encode_reach_telegram_as_typed(world):
    """Replies travel to the Bot API as JSON (bot/channels/telegram_request.py): quotes,
    backslashes, form syntax, astral emoji and markup come back in the review untouched."""
    lan = world.resident("Lan")
    await onboard(lan)
    typed = 'Cống "số 5" & mương: 50% + 1 = hỏng; a\\b/c ?x=1#y\n😀 𝕏 <i>x</i> \\u00e9'
    await start_feedback(lan, typed)
    await lan.taps("Không có ảnh")
    await lan.taps("Ở Xóm 3")
    review = (await lan.taps("Gửi có tên"))[-1].text
    assert typed in review
