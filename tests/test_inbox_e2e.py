"""The staff inbox (/hopthu) end to end: officials find, open and handle residents' feedback."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.i18n import catalog, translator
from handlers.feedback_status import NEEDS_TEXT, NOTIFIES_RESIDENT, STAFF_ACTIONS, Action
from storage.feedback import NewFeedback
from storage.models import Role
from tests.test_feedback_e2e import png, send_feedback
from tests.test_onboarding_e2e import onboard

NOT_ALLOWED = translator("vi")("error.not_allowed")
STALE = "vừa được người khác xử lý trước (bây giờ:"


def shown(messages) -> list[str]:
    """Everything a person can read in messages: texts, captions, button labels and data."""
    seen = []
    for m in messages:
        seen += [m.text or "", m.caption or ""]
        seen += [part or "" for button in m.buttons for part in button]
    return seen


async def open_from_inbox(official, code: str, group: str = "Mới"):
    """Open an item from the inbox's list; return its card (the list, turned into it)."""
    await official.says("/hopthu")
    listing = await official.taps(group)
    label = next(text for m in listing for text, _ in m.buttons if text.endswith(f". {code}"))
    assert await official.taps(label) == []
    assert official.edited == listing
    return official.edited[0]


async def quiet(world, *people) -> None:
    """Deliver every queued push and mark it read, so the next answers are replies only."""
    await world.drain()
    for person in people:
        await person._answers()


async def snapshot(store) -> tuple:
    return (
        [tuple(r) for r in await store.db.fetchall("SELECT * FROM feedback ORDER BY id")],
        await store.db.fetchval("SELECT COUNT(*) FROM feedback_events"),
        await store.db.fetchval("SELECT COUNT(*) FROM outbox"),
    )


async def test_official_takes_an_item_from_new_to_resolved_and_the_resident_hears(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan, photos=1)
    await world.drain()
    pushed = await ha._answers()
    assert code in pushed[-1].text and pushed[-1].buttons[0][0] == "Xem phản ánh"

    menu = await ha.says("/hopthu")
    assert "Mới: 1" in menu[0].text and "Quá hạn: 0" in menu[0].text
    listing = await ha.taps("Mới")
    assert code in listing[0].text and "Trang 1/1" in listing[0].text
    assert await ha.taps(f"1. {code}") == []  # the list turns into the item's card
    card = ha.edited[0]
    assert card is listing[0] and card.text.startswith(f"Phản ánh {code}")
    assert "Người gửi: Lan" in card.text and "Ảnh: 1" in card.text
    assert "Ở Xóm 3" not in card.text and "Xóm 3" in card.text
    assert "còn 7 ngày làm việc" in card.text
    assert "gửi phản ánh" in card.text and card.text.endswith("Chọn việc cần làm:")
    assert ha.buttons()[:4] == ["Tiếp nhận", "Giao xử lý", "Trả lời người dân", "Ghi chú nội bộ"]
    assert ha.buttons()[-3:] == ["Xem ảnh", "↩ Về danh sách", "↩ Về hộp thư"]
    (photo,) = await ha.taps("Xem ảnh")  # photos follow only when asked for
    assert photo.photo and world.emu.file_bytes(photo.photo[-1]["file_id"]) == png(0)

    await ha.taps("Giao xử lý")
    assert await ha.taps("Cho tôi (Cán bộ Hà)") == []  # the card, redrawn in place
    assert ha.edited[0].text.startswith(f"Đã giao phản ánh {code} cho Cán bộ Hà.")
    await ha.taps("Trả lời người dân")
    await ha.says("Xã đã báo đội vệ sinh môi trường, tuần này sẽ dọn.")
    await ha.taps("Báo đã giải quyết")
    answer = await ha.says("Đã dọn sạch bãi rác và đặt biển cấm đổ rác.")
    assert answer[0].text.startswith(
        f"Đã ghi phản ánh {code} là đã giải quyết. Người dân sẽ nhận được tin báo.\n\n"
    )

    item = await world.store.feedback.get_by_code(code)
    staff = await world.store.staff.get_by_identity("telegram", str(ha.id))
    assert (item.status, item.assignee_id) == ("resolved", staff.id)
    assert item.last_answer == "Đã dọn sạch bãi rác và đặt biển cấm đổ rác."
    events = await world.store.feedback.events(item.id, include_internal=True)
    assert [(e.action, e.staff_name) for e in events] == [
        ("submit", None),
        ("assign", "Cán bộ Hà"),
        ("answer", "Cán bộ Hà"),
        ("resolve", "Cán bộ Hà"),
    ]

    await world.drain()
    heard = [m.text for m in await lan._answers()]
    assert heard == [
        f"Phản ánh {code} của ông/bà đã có cán bộ phụ trách xử lý.",
        f"Xã trả lời phản ánh {code} của ông/bà:"
        "\nXã đã báo đội vệ sinh môi trường, tuần này sẽ dọn.",
        f"Xã báo phản ánh {code} đã được giải quyết:\nĐã dọn sạch bãi rác và đặt biển cấm đổ rác."
        "\nViệc đã xong thật chưa? Mời ông/bà bấm một nút bên dưới.",
    ]
    assert lan.buttons() == ["Đã giải quyết xong", "Chưa giải quyết"]
    await lan.taps("Đã giải quyết xong")
    assert translator("vi")("fb.rating_5") in lan.buttons()


async def test_pushed_open_button_works_without_a_conversation(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, lan)
    assert await ha.taps("Xem phản ánh") == []  # the notification turns into the card
    card = ha.edited[0]
    assert card.text.startswith(f"Phản ánh {code}")
    assert await ha.taps("Tiếp nhận") == []  # the card updates in place after an action
    assert ha.edited == [card] and card.text.startswith(
        f"Đã tiếp nhận phản ánh {code}. Người dân sẽ nhận được tin báo.\n\nPhản ánh {code}"
    )
    await world.drain()
    heard = await lan._answers()
    assert heard[-1].text.startswith(f"Phản ánh {code} của ông/bà đã được cán bộ xã tiếp nhận")


async def test_anonymous_item_shows_no_name_or_id_to_staff(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    xuan = world.resident("Bùi Thị Xuân")
    await onboard(xuan)
    code = await send_feedback(xuan, anonymous=True, photos=1)
    await quiet(world, ha)
    await ha.taps("Xem phản ánh")
    await open_from_inbox(ha, code, group="Tất cả đang mở")
    await ha.taps("Giao xử lý")
    await ha.taps("Cho tôi (Cán bộ Hà)")
    await ha.taps("Ghi chú nội bộ")
    await ha.says("Cần hỏi thêm tổ dân phố về bãi rác này.")
    await ha.taps("Trả lời người dân")
    await ha.says("Xã sẽ cho dọn trong tuần.")

    everything = "\n".join(shown(world.emu.messages(ha.id)))
    assert "Người gửi: Ẩn danh" in everything
    for secret in ("Xuân", "Bùi", str(xuan.id)):
        assert secret not in everything
    await world.drain()
    heard = [m.text for m in await xuan._answers()]
    assert f"Xã trả lời phản ánh {code} của ông/bà:\nXã sẽ cho dọn trong tuần." in heard
    assert not any("tổ dân phố" in text for text in heard)  # the internal note stays inside


async def test_resident_pressing_forged_inbox_buttons_is_refused_and_nothing_changes(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    item = await world.store.feedback.get_by_code(code)
    before = await snapshot(world.store)
    for data in (
        f"hs:open:{item.id}",
        "hs:open:1",
        f"hs:act:resolve:{item.id}",
        f"hs:act:reject:{item.id}",
        "hs:to:1",
        "hs:start",
    ):
        answer = await lan.presses(data, message_id=999_999)
        assert answer[0].text == NOT_ALLOWED
        assert code not in "\n".join(shown(answer))
    assert (await lan.says("/hopthu"))[0].text == NOT_ALLOWED
    assert await snapshot(world.store) == before


async def test_forged_or_unknown_ids_get_a_plain_answer_and_change_nothing(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    item = await world.store.feedback.get_by_code(code)
    await quiet(world, ha)
    before = await snapshot(world.store)
    for data in ("hs:open:999999", "hs:open:abc", "hs:open:", "hs:open:-1"):
        answer = await ha.presses(data)
        assert answer[0].text.startswith("Không tìm thấy phản ánh này.")
    answer = await ha.presses(f"hs:act:resolve:{item.id}")  # never offered to this official
    assert "Nút này đã cũ" in answer[0].text
    await open_from_inbox(ha, code)
    answer = await ha.presses(f"hs:act:resolve:{item.id + 1}")  # another item's id
    assert "Nút này đã cũ" in answer[0].text
    assert await snapshot(world.store) == before


async def test_official_acting_on_a_stale_status_gets_the_plain_message(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, minh)
    await open_from_inbox(ha, code)
    await open_from_inbox(minh, code)

    await minh.taps("Tiếp nhận")
    answer = await ha.taps("Tiếp nhận")
    assert STALE in answer[0].text and "Đã tiếp nhận" in answer[0].text
    assert "Tiếp nhận" not in ha.buttons()  # the fresh view offers what is still possible

    await ha.taps("Trả lời người dân")
    await minh.taps("Không thụ lý")
    await minh.says("Việc này trùng với phản ánh đã giải quyết tuần trước.")
    answer = await ha.says("Xã sẽ cử người xuống xem ngay.")
    assert STALE in answer[0].text and "Không thụ lý" in answer[0].text

    item = await world.store.feedback.get_by_code(code)
    assert item.status == "rejected"
    assert item.last_answer == "Việc này trùng với phản ánh đã giải quyết tuần trước."
    events = await world.store.feedback.events(item.id, include_internal=True)
    assert [(e.action, e.staff_name) for e in events] == [
        ("submit", None),
        ("acknowledge", "Cán bộ Minh"),
        ("reject", "Cán bộ Minh"),
    ]


async def test_texts_over_the_limit_are_refused_with_the_limit_named(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, lan)
    await open_from_inbox(ha, code)
    await ha.taps("Trả lời người dân")
    answer = await ha.says("x" * 2001)
    assert "quá giới hạn 2000 ký tự" in answer[0].text and "Chưa có gì được lưu" in answer[0].text
    answer = await ha.says("x")
    assert "ít nhất 2 ký tự" in answer[0].text
    await ha.taps("Thôi, không làm nữa")
    await ha.taps("Chuyển cơ quan khác")
    answer = await ha.says("Công an huyện " * 20)
    assert "quá giới hạn 200 ký tự" in answer[0].text
    item = await world.store.feedback.get_by_code(code)
    assert item.status == "new" and item.last_answer is None
    assert len(await world.store.feedback.events(item.id, include_internal=True)) == 1

    await ha.says("Công an xã Ví Dụ")
    item = await world.store.feedback.get_by_code(code)
    assert (item.status, item.transferred_to) == ("transferred", "Công an xã Ví Dụ")
    await world.drain()
    heard = await lan._answers()
    assert "đến Công an xã Ví Dụ để giải quyết" in heard[-1].text


async def test_internal_note_is_marked_and_never_reaches_the_resident(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, lan)
    await open_from_inbox(ha, code)
    await ha.taps("Ghi chú nội bộ")
    (view,) = await ha.says("Chờ ý kiến chủ tịch xã.")  # one card, what was done first
    assert view.text.startswith(f"Đã lưu ghi chú nội bộ cho phản ánh {code}.\n\n")
    history = view.text
    assert "ghi chú nội bộ (🔒 NỘI BỘ, người dân không thấy)" in history
    assert "“Chờ ý kiến chủ tịch xã.”" in history
    await world.drain()
    assert await lan._answers() == []


async def test_filters_and_pages(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    staff = await world.store.staff.get_by_identity("telegram", str(ha.id))
    repo = world.store.feedback
    soon = date.today() + timedelta(days=30)
    for n in range(7):
        await repo.create(feedback(f"Rác ở xóm số {n}", "moi-truong", "Xóm 1", soon))
    for n in range(2):
        await repo.create(feedback(f"Tranh chấp đất {n}", "dat-dai", "Xóm 2", soon))
    late = await repo.create(feedback("Ổ gà lâu ngày", "giao-thong", "Xóm 4", date(2024, 1, 2)))
    mine = await repo.create(feedback("Đèn đường hỏng", "giao-thong", "Xóm 4", soon))
    await repo.apply(mine.id, action="assign", expect_status="new", to_status="in_progress",
                     actor="staff", staff_id=staff.id, staff_name="Cán bộ Hà",
                     assignee_id=staff.id)  # fmt: skip

    menu = await ha.says("/hopthu")
    assert "Đang mở: 11. Mới: 10. Quá hạn: 1. Giao cho tôi: 1." in menu[0].text
    page = await ha.taps("Tất cả đang mở")
    assert "Tất cả đang mở: 11 phản ánh. Trang 1/3." in page[0].text
    assert late.code in page[0].text.splitlines()[1] and "quá hạn" in page[0].text
    assert ha.buttons()[-2:] == ["Trang sau", "Chọn nhóm khác"]
    await ha.taps("Trang sau")
    page = await ha.taps("Trang sau")
    assert "Trang 3/3" in page[0].text and ha.buttons()[-2:] == ["Trang trước", "Chọn nhóm khác"]
    assert len([b for b in ha.buttons() if b[0].isdigit()]) == 1

    await ha.taps("Chọn nhóm khác")
    await ha.taps("Theo lĩnh vực")
    page = await ha.taps("Đất đai")
    assert "Đất đai: 2 phản ánh" in page[0].text and "Tranh chấp đất 0" in page[0].text
    await ha.taps("Chọn nhóm khác")
    await ha.taps("Theo xóm")
    page = await ha.taps("Xóm 4")
    assert "Xóm 4: 2 phản ánh" in page[0].text
    await ha.taps("Chọn nhóm khác")
    page = await ha.taps("Quá hạn")
    assert "Quá hạn: 1 phản ánh" in page[0].text and late.code in page[0].text
    assert await ha.taps(f"1. {late.code}") == []  # the list turns into the card
    assert "QUÁ HẠN" in ha.edited[0].text
    await ha.taps("↩ Về danh sách")
    await ha.taps("Chọn nhóm khác")
    page = await ha.taps("Giao cho tôi")
    assert "Giao cho tôi: 1 phản ánh" in page[0].text and mine.code in page[0].text
    await ha.taps("Chọn nhóm khác")
    page = await ha.taps("Đã xong")
    assert page[0].text == "Đã xong: không có phản ánh nào."


async def test_typed_text_where_a_button_is_expected_gets_a_hint_and_the_view_again(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    await ha.says("/hopthu")
    answer = await ha.says("cho xem het")
    assert answer[0].text == "Hãy bấm một nút bên dưới."
    assert "Mới" in ha.buttons()
    answer = await ha.says("tat ca dang mo")  # a label typed without diacritics, as on Zalo
    assert answer[0].text == "Tất cả đang mở: không có phản ánh nào."


def feedback(text: str, category: str, hamlet: str, deadline: date) -> NewFeedback:
    return NewFeedback(
        channel="telegram",
        kind="petition",
        category=category,
        description=text,
        deadline=deadline,
        hamlet=hamlet,
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_action_has_its_sentences(language):
    words = catalog(language)
    needed = {f"inbox.act_{a}" for a in Action} | {"inbox.act_submit", "inbox.act_rate"}
    for action in STAFF_ACTIONS:
        needed |= {f"inbox.do_{action}", f"inbox.done_{action}"}
        if action in NEEDS_TEXT:
            needed.add(f"inbox.ask_{action}")
        if action in NOTIFIES_RESIDENT:
            needed.add(f"inbox.resident_{action}")
    assert sorted(needed - words.keys()) == []
