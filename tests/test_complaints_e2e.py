"""Complaints (khiếu nại) and denunciations (tố cáo) end to end: recorded, but on the law's path.

Luật Khiếu nại 02/2011/QH13 needs a named complainant; Luật Tố cáo 25/2018/QH14 does not
handle an anonymous denunciation as one. Neither gets the commune's feedback deadline: not in
the acknowledgement, not in the inbox, not in reminders or overdue alerts.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from bot.config import load_commune
from handlers.deadlines import check_deadlines
from storage.models import Role
from tests.test_feedback_e2e import CODE, send_feedback
from tests.test_inbox_e2e import quiet
from tests.test_onboarding_e2e import onboard

RECEPTION = "sáng thứ Năm hằng tuần, tại trụ sở UBND xã"
COMMUNE_DEADLINE = re.compile(r"Hạn trả lời: (chậm nhất trong ngày )?\d\d/\d\d/\d{4}")


@pytest.fixture
def commune():
    return load_commune(None)[0].model_copy(update={"citizen_reception": RECEPTION})


async def describe(person, kind: str, text: str) -> list:
    """Go through /phananh up to the question that follows the place."""
    await person.says("/phananh")
    await person.taps(kind)
    await person.taps("Đất đai")
    await person.says(text)
    await person.taps("Không có ảnh")
    return await person.taps("Bỏ qua")


async def complain(person, name="Nguyễn Thị Lan") -> str:
    await describe(person, "Khiếu nại", "UBND xã thu hồi đất nhà tôi mà không có quyết định")
    await person.says(name)
    answer = await person.taps("Gửi khiếu nại")
    return CODE.search(answer[0].text).group(0)


async def test_the_kinds_are_described_as_the_laws_define_them(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/phananh")
    text = answer[0].text
    assert "trái pháp luật, xâm phạm quyền, lợi ích hợp pháp" in text  # khiếu nại, Điều 2
    assert "hành vi vi phạm pháp luật" in text  # tố cáo
    assert "không đồng ý" not in text


async def test_a_complaint_asks_for_the_name_and_offers_no_anonymity(world):
    lan = world.resident("Lan")
    await onboard(lan)
    asked = await describe(lan, "Khiếu nại", "Tôi cho rằng quyết định xử phạt nhà tôi là sai luật")
    assert "Luật Khiếu nại số 02/2011/QH13" in asked[0].text
    assert "gõ họ và tên" in asked[0].text
    assert "Gửi ẩn danh" not in lan.buttons()

    again = await lan.says("Lan")  # one word is not a full name
    assert again[0].text.startswith("Mời ông/bà gõ họ và tên đầy đủ")
    again = await lan.sends_sticker()
    assert again[0].text.startswith("Mời ông/bà gõ họ và tên đầy đủ")

    review = await lan.says("Nguyễn Thị   Lan")
    assert "Loại: Khiếu nại" in review[0].text
    assert "Cách gửi: Có tên: Nguyễn Thị Lan" in review[0].text
    answer = await lan.taps("Gửi khiếu nại")
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert (item.kind, item.anonymous, item.complainant_name) == (
        "complaint",
        False,
        "Nguyễn Thị Lan",
    )


async def test_the_acknowledgement_has_no_feedback_deadline_and_tells_the_legal_path(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await describe(lan, "Khiếu nại", "UBND xã thu hồi đất nhà tôi mà không có quyết định")
    await lan.says("Nguyễn Thị Lan")
    answer = await lan.taps("Gửi khiếu nại")
    texts = [m.text for m in answer]
    assert texts[0].startswith("Loa Xã đã ghi lại khiếu nại của ông/bà. Mã: PA-")
    assert not any(COMMUNE_DEADLINE.search(t) or "Hạn trả lời" in t for t in texts)
    path = next(t for t in texts if "Luật Khiếu nại số 02/2011/QH13" in t)
    for words in (
        "thụ lý trong 10 ngày và giải quyết trong 30 ngày",
        "vụ việc phức tạp: 45 ngày",
        "vùng sâu, vùng xa: 45 ngày, vụ việc phức tạp 60 ngày",
        "có thể không phải UBND xã",
        "gửi đơn",
        f"buổi tiếp công dân định kỳ của UBND xã ({RECEPTION})",
        "không thay cho đơn khiếu nại",
    ):
        assert words in path, words
    assert texts[-1].startswith("Xem tình trạng: gõ /tracuu PA-")

    code = CODE.search(texts[0]).group(0)
    tracked = await lan.says(f"/tracuu {code}")
    assert "Khiếu nại" in tracked[0].text
    assert "Giải quyết theo Luật Khiếu nại số 02/2011/QH13" in tracked[0].text
    assert "Hạn trả lời" not in tracked[0].text


async def test_a_named_denunciation_tells_its_own_laws_path(world):
    lan = world.resident("Lan")
    await onboard(lan)
    asked = await describe(lan, "Tố cáo", "Cán bộ địa chính nhận tiền để ký giấy tờ đất")
    assert "Luật Tố cáo số 25/2018/QH14" in asked[0].text
    await lan.says("Nguyễn Thị Lan")
    answer = await lan.taps("Gửi tố cáo")
    texts = [m.text for m in answer]
    assert texts[0].startswith("Loa Xã đã ghi lại tố cáo của ông/bà.")
    assert not any("Hạn trả lời" in t for t in texts)
    path = next(t for t in texts if "Luật Tố cáo số 25/2018/QH14" in t)
    assert "xử lý ban đầu trong 7 ngày làm việc và giải quyết trong 30 ngày, có thể gia hạn" in path
    assert "tùy theo người bị tố cáo là ai, nên có thể không phải UBND xã" in path
    item = await world.store.feedback.get_by_code(CODE.search(texts[0]).group(0))
    assert (item.kind, item.anonymous, item.complainant_name) == (
        "denunciation",
        False,
        "Nguyễn Thị Lan",
    )


async def test_an_anonymous_denunciation_is_refused_as_one_and_offered_as_anonymous_feedback(
    world,
):
    lan = world.resident("Lan")
    await onboard(lan)
    asked = await describe(lan, "Tố cáo", "Có người đổ trộm chất thải xuống suối đầu xóm")
    assert "tin không có tên không được xử lý như một tố cáo" in asked[0].text
    assert "Gửi ẩn danh" not in lan.buttons()
    assert "Gửi thành phản ánh ẩn danh" in lan.buttons()

    forged = await lan.presses("pa:anon:yes")  # the button a petition offers, never offered here
    assert "Gửi ẩn danh" not in lan.buttons() and forged[0].text.startswith("Nút này đã cũ")
    again = await lan.says("gui an danh")  # asking for anonymity: the reason again, not a name
    assert "không được xử lý như một tố cáo" in again[0].text
    review = await lan.taps("Gửi thành phản ánh ẩn danh")
    assert "Loại: Phản ánh, kiến nghị" in review[0].text
    assert "Cách gửi: Gửi ẩn danh" in review[0].text
    answer = await lan.taps("Gửi phản ánh")
    assert answer[0].text.startswith("Đã nhận phản ánh, kiến nghị của ông/bà.")
    assert COMMUNE_DEADLINE.search(answer[0].text)
    assert not any("Luật Tố cáo" in m.text for m in answer)

    item = await world.store.feedback.get_by_code(CODE.search(answer[0].text).group(0))
    assert (item.kind, item.anonymous, item.complainant_name) == ("petition", True, None)
    assert (
        await world.store.db.fetchval(
            "SELECT COUNT(*) FROM feedback WHERE kind IN ('complaint', 'denunciation')"
        )
        == 0
    )


async def test_a_hamlet_head_sending_a_complaint_for_someone_names_that_person(world):
    tu = await world.staff("Trưởng xóm Tư", Role.HAMLET_HEAD)
    await tu.says("/phananh")
    await tu.taps("Gửi thay người dân")
    await tu.says("Hoàng Văn Sáu")
    await tu.taps("Khiếu nại")
    await tu.taps("Đất đai")
    await tu.says("Ông Sáu không đồng ý với quyết định thu hồi đất")
    await tu.taps("Không có ảnh")
    review = await tu.taps("Bỏ qua")
    assert "Có tên: Hoàng Văn Sáu" in review[0].text
    answer = await tu.taps("Gửi khiếu nại")
    item = await world.store.feedback.get_by_code(CODE.search(answer[0].text).group(0))
    assert (item.kind, item.complainant_name, item.on_behalf_of) == (
        "complaint",
        "Hoàng Văn Sáu",
        "Hoàng Văn Sáu",
    )


async def test_officials_see_the_kind_and_the_legal_limits_not_the_commune_deadline(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await complain(lan)
    await world.drain()
    pushed = (await ha._answers())[-1].text
    assert code in pushed and "KHIẾU NẠI: thụ lý 10 ngày, giải quyết 30 ngày theo luật" in pushed
    assert "Hạn trả lời" not in pushed

    await ha.says("/hopthu")
    listing = await ha.taps("Mới")
    line = next(line for line in listing[0].text.splitlines() if code in line)
    assert "KHIẾU NẠI: thụ lý 10 ngày, giải quyết 30 ngày theo luật" in line
    assert "còn" not in line and "hạn hôm nay" not in line

    assert await ha.taps(f"1. {code}") == []  # the list turns into the card
    card = ha.edited[0].text
    assert card.startswith("⚖️ KHIẾU NẠI: giải quyết theo Luật Khiếu nại số 02/2011/QH13")
    assert "thụ lý trong 10 ngày, giải quyết trong 30 ngày" in card
    assert "có thể không phải UBND xã" in card
    assert "Hạn trả lời: không áp dụng" in card
    assert "Người gửi: Nguyễn Thị Lan (họ tên người gửi tự ghi)" in card


async def test_complaints_are_never_reminded_escalated_or_counted_overdue(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    await world.staff("Chủ tịch Lành", Role.LEADER)
    lan = world.resident("Lan")
    await onboard(lan)
    complaint = await complain(lan)
    petition = await send_feedback(lan)
    await quiet(world, ha)
    today = datetime.now(world.commune.zone).date()
    while today.weekday() >= 5:  # the check runs on working days only
        today += timedelta(days=1)
    long_ago = (today - timedelta(days=40)).isoformat()  # past the commune's deadline for both
    await world.store.db.write("UPDATE feedback SET deadline = ?", (long_ago,))

    run = await check_deadlines(world.store, world.commune, today)
    assert (run.reminded, run.escalated) == (0, 1)
    assert (await world.store.feedback.get_by_code(petition)).escalated
    assert not (await world.store.feedback.get_by_code(complaint)).escalated
    assert [i.code for i in await world.store.feedback.open_due_by(today)] == [petition]
    menu = await ha.says("/hopthu")
    assert "Quá hạn: 1." in menu[0].text
    overdue = await ha.taps("Quá hạn")
    assert petition in overdue[0].text and complaint not in overdue[0].text


async def test_deleting_ones_data_forgets_the_complainants_name(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await complain(lan)
    await lan.says("/xoadulieu")
    await lan.taps("Xóa dữ liệu của tôi")
    item = await world.store.feedback.get_by_code(code)
    assert item.complainant_name is None
