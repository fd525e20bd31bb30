"""/tailieu end to end: browse a topic, read an item, take its quiz, see progress."""

from __future__ import annotations

from bot.i18n import translator
from content import get_library
from storage.models import Role

STALE = "Nút này đã cũ"


async def onboard(person, hamlet="Xóm 3"):
    await person.says("/start")
    await person.taps("Đồng ý")
    await person.taps(hamlet)
    return await person.taps("Nhận tất cả (nên chọn)")


async def resident_id(world, person) -> int:
    return (await world.store.residents.get_by_identity("telegram", str(person.id))).id


def topic_count() -> int:
    return len(get_library().quizzes_by_topic())


async def test_the_menu_offers_the_library(world):
    lan = world.resident("Lan")
    await onboard(lan)
    assert "Tìm hiểu pháp luật" in lan.buttons()
    answer = await lan.says("tim hieu phap luat")
    assert answer[0].text.startswith("Ông/bà muốn tìm hiểu chủ đề nào?")


async def test_resident_reads_an_item_and_answers_its_quiz_wrong_then_right(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/tailieu")
    assert f"Ông/bà đã nắm 0/{topic_count()} chủ đề." in answer[0].text
    assert "Dân chủ ở cơ sở" in lan.buttons()

    answer = await lan.taps("Dân chủ ở cơ sở")
    assert answer[0].text.startswith("Chủ đề: Dân chủ ở cơ sở.")
    answer = await lan.taps("Pháp lệnh 34/2007 đã được thay thế")
    text = answer[0].text
    assert text.startswith("Pháp lệnh 34/2007 đã được thay thế")
    assert (
        "Nguồn: Pháp lệnh số 34/2007/PL-UBTVQH11 ngày 20/4/2007. Văn bản này đã được thay thế "
        "bằng Luật Thực hiện dân chủ ở cơ sở số 10/2022/QH15." in text
    )
    assert "(Nội dung đang chờ cán bộ xã kiểm tra.)" in text
    lan_id = await resident_id(world, lan)
    assert await world.store.content.items_read(lan_id) == {"dcs-phap-lenh-34"}

    answer = await lan.taps("Trả lời câu hỏi")
    assert answer[0].text.startswith("Câu hỏi: Pháp lệnh số 34/2007/PL-UBTVQH11")
    assert "Luật Đất đai số 31/2024/QH15" in lan.buttons()
    question = answer[0]
    assert await lan.taps("Luật Đất đai số 31/2024/QH15") == []  # no new message:
    assert lan.edited == [question]  # the answer is marked on the question's own message
    assert question.text.startswith("Câu hỏi: Pháp lệnh số 34/2007/PL-UBTVQH11")
    assert (
        "\nÔng/bà chọn: Luật Đất đai số 31/2024/QH15\n\n"
        "Chưa đúng. Đáp án đúng là: Luật Thực hiện dân chủ ở cơ sở số 10/2022/QH15."
    ) in question.text
    assert await world.store.content.answers(lan_id) == {"dcs-phap-lenh-34": False}

    await lan.taps("Trả lời lại")
    assert await lan.taps("Luật Thực hiện dân chủ ở cơ sở số 10/2022/QH15") == []
    assert "\n\nĐúng rồi! Pháp lệnh 34/2007 đã được thay thế" in lan.edited[0].text
    assert f"Ông/bà đã nắm 0/{topic_count()} chủ đề." in lan.edited[0].text
    assert await world.store.content.answers(lan_id) == {"dcs-phap-lenh-34": True}


async def test_a_current_law_is_cited_with_the_date_it_applies_from(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/tailieu")
    await lan.taps("Dân chủ ở cơ sở")
    answer = await lan.taps("Luật Thực hiện dân chủ ở cơ sở")
    assert (
        "Nguồn: Luật Thực hiện dân chủ ở cơ sở số 10/2022/QH15, hiệu lực từ 01/7/2023."
        in answer[0].text
    )


async def test_answering_every_quiz_of_a_topic_right_makes_it_known(world):
    lan = world.resident("Lan")
    await onboard(lan)
    topic = get_library().topic("dan-chu")
    await lan.says("/tailieu")
    await lan.taps(topic.title)
    for item in topic.items:
        await lan.taps(item.title)
        await lan.taps("Trả lời câu hỏi")
        await lan.taps(item.quiz.answer)
        answer = lan.edited[0].text
        assert "\n\nĐúng rồi!" in answer
        await lan.taps("Các bài cùng chủ đề")
    assert f"Ông/bà đã nắm chủ đề “{topic.title}”." in answer
    assert f"Ông/bà đã nắm 1/{topic_count()} chủ đề." in answer

    answer = await lan.says("/tailieu")
    assert f"Ông/bà đã nắm 1/{topic_count()} chủ đề." in answer[0].text
    assert f"{topic.title} ✓" in lan.buttons()
    lan_id = await resident_id(world, lan)
    known = await world.store.content.topics_known(lan_id, get_library().quizzes_by_topic())
    assert known == {"dan-chu"}


async def test_a_forged_quiz_answer_is_refused(world):
    lan = world.resident("Lan")
    await onboard(lan)
    lan_id = await resident_id(world, lan)
    item = get_library().item("papi-la-gi")
    right = item.quiz.answer_index

    answer = await lan.presses(f"tl:ans:{item.id}:{right}")  # no question was asked
    assert STALE in answer[0].text

    await lan.says("/tailieu")
    await lan.taps("Chỉ số PAPI")
    await lan.taps(item.title)
    await lan.taps("Trả lời câu hỏi")
    answer = await lan.presses(f"tl:ans:{item.id}:7")  # an option that does not exist
    assert STALE in answer[0].text
    other = get_library().item("dd-luat-2024")
    answer = await lan.presses(f"tl:ans:{other.id}:{other.quiz.answer_index}")  # not asked
    assert STALE in answer[0].text
    assert await world.store.content.answers(lan_id) == {}


async def test_typed_answers_without_diacritics_work(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/tailieu")
    answer = await lan.says("chi so papi")
    assert answer[0].text.startswith("Chủ đề: Chỉ số PAPI")
    await lan.says("papi la gi")
    await lan.says("tra loi cau hoi")
    answer = await lan.says("nam 2009")  # typed: a new message, which cannot edit another
    assert "\n\nĐúng rồi!" in answer[0].text
    lan_id = await resident_id(world, lan)
    assert await world.store.content.answers(lan_id) == {"papi-la-gi": True}

    answer = await lan.says("o kia la gi")  # matches no button: what is expected, buttons kept
    assert answer[0].text.startswith("Loa Xã đang chờ ông/bà chọn một mục bên dưới")
    assert "↩ Về danh mục" in lan.buttons()


async def test_a_topic_with_more_than_eight_items_is_paged(world):
    lan = world.resident("Lan")
    await onboard(lan)
    topic = get_library().topic("papi")
    assert len(topic.items) > 8
    await lan.says("/tailieu")
    answer = await lan.taps(topic.title)
    assert "(trang 1/2)" in answer[0].text
    assert lan.buttons()[:8] == [item.title for item in topic.items[:8]]
    assert "Trang sau ▶" in lan.buttons()
    answer = await lan.taps("Trang sau ▶")
    assert "(trang 2/2)" in answer[0].text
    assert lan.buttons() == [topic.items[8].title, "◀ Trang trước", "↩ Về danh mục"]


async def test_old_browse_buttons_still_open_items(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/huy")
    answer = await lan.presses("tl:item:mt-luat-2020")  # from an old message, no session
    assert answer[0].text.startswith("Luật Bảo vệ môi trường hiện hành")
    answer = await lan.presses("tl:item:khong-co")
    assert answer[0].text.startswith("Bài này không còn trong thư viện.")


async def test_a_newcomer_pressing_a_library_button_is_greeted_first(world):
    nam = world.resident("Nam")
    answer = await nam.presses("tl:topic:papi")
    assert "Kính chào" in answer[0].text
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM residents") == 0
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM content_reads") == 0


async def test_staff_can_read_and_answer_without_progress(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    answer = await minh.says("/tailieu")
    assert answer[0].text == "Ông/bà muốn tìm hiểu chủ đề nào? Mời bấm một chủ đề."
    await minh.taps("Đất đai")
    await minh.taps("Luật Đất đai hiện hành")
    await minh.taps("Trả lời câu hỏi")
    await minh.taps("01/8/2024")
    assert "\n\nĐúng rồi!" in minh.edited[0].text
    assert "đã nắm" not in minh.edited[0].text
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM content_answers") == 0


async def test_a_right_answer_counts_in_its_topics_progress_at_once(world):
    lan = world.resident("Lan")
    await onboard(lan)
    topic = get_library().topic("dan-chu")
    first = topic.items[0]
    assert len(get_library().quizzes_by_topic()["dan-chu"]) > 1
    await lan.says("/tailieu")
    await lan.taps(topic.title)
    await lan.taps(first.title)
    await lan.taps("Trả lời câu hỏi")
    await lan.taps(first.quiz.answer)
    answer = lan.edited[0].text
    total = len(get_library().quizzes_by_topic()["dan-chu"])
    progress = translator("vi")("convo.topic_progress", topic=topic.title, right=1, total=total)
    assert progress in answer
    assert translator("vi")("library.progress", known=0, total=topic_count()) in answer
