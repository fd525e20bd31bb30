"""Residents send feedback end to end: the flow, its checks, the code, and /tracuu."""

from __future__ import annotations

import re
import struct
import zlib

from storage.feedback import CODE_ALPHABET
from storage.models import Role
from tests.test_onboarding_e2e import onboard

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")


def png(seed: int = 0) -> bytes:
    """Make a small valid PNG (2x2 pixels), different for each seed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + bytes([seed % 256, 0, 0] * 2) for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def start_feedback(person, text="Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay"):
    await person.says("/phananh")
    await person.taps("Phản ánh, kiến nghị")
    await person.taps("Môi trường")
    return await person.says(text)


async def send_feedback(person, *, anonymous=False, photos=0, **kwargs):
    await start_feedback(person, **kwargs)
    for n in range(photos):
        await person.sends_photo(png(n))
    await person.taps("Xong, tiếp tục" if photos else "Không có ảnh")
    await person.taps(
        person.world.place_label if hasattr(person.world, "place_label") else "Ở Xóm 3"
    )
    await person.taps("Gửi ẩn danh" if anonymous else "Gửi có tên")
    answer = await person.taps("Gửi phản ánh")
    return CODE.search(answer[0].text).group(0)


async def test_resident_submits_feedback_with_photo_and_location(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    answer = await lan.sends_photo(png(1))
    assert answer[0].text.startswith("Đã nhận ảnh")
    await lan.sends_photo(png(2))
    await lan.taps("Xong, tiếp tục")
    await world.emu.send_location(lan.id, 21.912, 105.634)
    await lan._answers()
    assert "có tên hay ẩn danh" in lan.last_text()
    await lan.taps("Gửi có tên")
    review = lan.last_text()
    assert "Môi trường" in review and "Ảnh: 2" in review and "vị trí bản đồ" in review

    answer = await lan.taps("Gửi phản ánh")
    assert answer[0].text.startswith("Đã nhận phản ánh")
    code = CODE.search(answer[0].text).group(0)

    item = await world.store.feedback.get_by_code(code)
    assert item.description.startswith("Bãi rác tự phát")
    assert (item.category, item.kind, item.status) == ("moi-truong", "petition", "new")
    assert (round(item.latitude, 3), round(item.longitude, 3)) == (21.912, 105.634)
    assert item.hamlet == "Xóm 3" and not item.anonymous
    photos = await world.store.media.for_feedback(item.id)
    assert photos == [png(1), png(2)]
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM sessions") == 0


async def test_the_code_is_shown_only_for_a_committed_item(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    assert await world.store.feedback.get_by_code(code) is not None
    events = await world.store.feedback.events(
        (await world.store.feedback.get_by_code(code)).id, include_internal=True
    )
    assert [e.action for e in events] == ["submit"]


async def test_officials_are_told_at_once_through_the_outbox(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    rows = await world.store.db.fetchall("SELECT chat_id, kind, priority FROM outbox")
    assert [tuple(r) for r in rows] == [(str(minh.id), "notify", 0)]
    if hasattr(world, "drain"):
        await world.drain()
        assert any(code in m.text for m in world.emu.messages(minh.id))


async def test_too_long_text_is_refused_with_its_limit_and_not_cut(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await start_feedback(lan, text="x" * 2500)
    assert "2500 ký tự" in answer[0].text and "2000" in answer[0].text
    answer = await lan.says("ngan")
    assert "hơi ngắn" in answer[0].text
    answer = await lan.says("Đèn đường xóm 3 hỏng đã hai tuần")
    assert "ảnh" in answer[0].text


async def test_voice_or_sticker_in_the_middle_gets_an_explanation(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")
    answer = await lan.sends_sticker()
    assert "gõ vài dòng" in answer[0].text
    answer = await lan.says("Cống thoát nước bị tắc ở đầu xóm")
    assert "ảnh" in answer[0].text


async def test_anonymous_feedback_is_stored_as_anonymous(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan, anonymous=True)
    item = await world.store.feedback.get_by_code(code)
    assert item.anonymous
    outbox = await world.store.db.fetchall("SELECT payload FROM outbox")
    assert all("Lan" not in row["payload"] for row in outbox)


async def test_complaint_is_recorded_and_the_formal_route_explained(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.taps("Khiếu nại")
    await lan.taps("Đất đai")
    await lan.says("Tôi không đồng ý với việc đo đạc lại thửa đất nhà tôi")
    await lan.taps("Không có ảnh")
    await lan.taps("Bỏ qua")
    await lan.says("Nguyễn Thị Lan")  # a complaint needs the complainant's name
    answer = await lan.taps("Gửi khiếu nại")
    texts = [m.text for m in answer]
    assert texts[0].startswith("Loa Xã đã ghi lại khiếu nại của ông/bà.")
    assert any("Luật Khiếu nại" in t and "tiếp công dân" in t for t in texts)
    code = CODE.search(texts[0]).group(0)
    assert (await world.store.feedback.get_by_code(code)).kind == "complaint"


async def test_typed_answers_work_without_buttons(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.says("phan anh kien nghi")
    await lan.says("duong sa ha tang")
    await lan.says("Đường bê tông xóm 3 bị nứt, xe máy đi lại khó")
    await lan.says("khong co anh")
    await lan.says("go dia chi")
    await lan.says("Đầu cầu tràn xóm 3")
    await lan.says("gui an danh")
    answer = await lan.says("gui phan anh")
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert (item.category, item.address, item.anonymous) == (
        "giao-thong",
        "Đầu cầu tràn xóm 3",
        True,
    )


async def test_cancel_discards_the_draft_and_its_photos(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(png(3))
    answer = await lan.says("/huy")
    assert answer[0].text.startswith("Đã hủy")
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM media") == 0
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM feedback") == 0


async def test_restart_in_the_middle_resumes_with_the_draft(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(png(4))
    await world.restart()
    await lan.taps("Xong, tiếp tục")
    await lan.taps("Ở Xóm 3")
    await lan.taps("Gửi có tên")
    answer = await lan.taps("Gửi phản ánh")
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert await world.store.media.for_feedback(item.id) == [png(4)]


async def test_limits_per_day_are_told_plainly(world):
    lan = world.resident("Lan")
    await onboard(lan)
    for n in range(3):
        await send_feedback(lan, text=f"Phản ánh thứ {n + 1}: đèn đường hỏng")
    answer = await lan.says("/phananh")
    assert "Hôm nay ông/bà đã gửi 3 phản ánh" in answer[0].text


async def test_tracking_shows_only_my_own_items(world):
    lan, hoa = world.resident("Lan"), world.resident("Hoa")
    await onboard(lan)
    await onboard(hoa, hamlet="Xóm 1")
    code = await send_feedback(lan)

    answer = await lan.says(f"/tracuu {code.lower().replace('-', ' ')}")
    assert answer[0].text.startswith(code) and "Mới nhận" in answer[0].text

    answer = await hoa.says(f"/tracuu {code}")
    assert "Không tìm thấy" in answer[0].text
    item = await world.store.feedback.get_by_code(code)
    answer = await hoa.presses(f"tc:view:{item.id}", message_id=999_999)
    assert "Bãi rác" not in answer[0].text
    answer = await hoa.presses(f"tc:notdone:{item.id}", message_id=999_999)
    assert "Không tìm thấy" in answer[0].text
    assert (await world.store.feedback.get(item.id)).status == "new"

    answer = await lan.says("/tracuu")
    assert code in answer[0].text
    answer = await lan.taps(code)
    assert "Bãi rác" in answer[0].text


async def test_hamlet_head_submits_on_behalf_of_a_resident(world):
    tu = await world.staff("Trưởng xóm Tư", Role.HAMLET_HEAD)
    await world.store.staff.upsert(
        "telegram", str(tu.id), "Trưởng xóm Tư", Role.HAMLET_HEAD, hamlet="Xóm 2"
    )
    await tu.says("/phananh")
    await tu.taps("Gửi thay người dân")
    await tu.says("Cụ Nguyễn Thị Mơ")
    await tu.taps("Phản ánh, kiến nghị")
    await tu.taps("Chính sách xã hội")
    await tu.says("Cụ chưa nhận được trợ cấp tháng này")
    await tu.taps("Không có ảnh")
    await tu.taps("Ở Xóm 2")
    await tu.taps("Gửi có tên")
    answer = await tu.taps("Gửi phản ánh")
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    staff = await world.store.staff.get_by_identity("telegram", str(tu.id))
    assert (item.on_behalf_of, item.submitted_by, item.hamlet) == (
        "Cụ Nguyễn Thị Mơ",
        staff.id,
        "Xóm 2",
    )
    answer = await tu.says("/tracuu")
    assert code in answer[0].text


async def test_deleting_my_data_unlinks_my_feedback(world):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await lan.says("/xoadulieu")
    await lan.taps("Xóa dữ liệu của tôi")
    item = await world.store.feedback.get_by_code(code)
    assert item is not None and item.resident_id is None
    assert await world.store.feedback.notify_target(item.id) is None
