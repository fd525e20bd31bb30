"""Dân bàn, dân kiểm tra, dân giám sát: consultations, dialogues and supervision boards."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.config import QuietHours
from handlers import consult_results
from storage.models import Role
from tests.test_feedback_e2e import png, send_feedback
from tests.test_onboarding_e2e import onboard


@pytest.fixture
def commune(commune):
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


async def open_consultation(official, hamlets=("Xóm 1",), photo: bytes | None = None):
    await official.says("/laykien")
    await official.taps("Mở đợt lấy ý kiến mới")
    await official.says("Bê tông hóa đường liên xóm 1 - xóm 2")
    await official.says("Đổ bê tông 800 m đường, nhà nước hỗ trợ xi măng, dân góp ngày công.")
    if photo is None:
        await official.taps("Không có tệp kèm theo")
    else:
        await official.sends_photo(photo)
    for hamlet in hamlets:
        await official.taps(hamlet)
    await official.taps("Xong")
    closes = (datetime.now(UTC) + timedelta(days=10)).strftime("%d/%m/%Y")
    await official.says(closes)
    preview = await official.taps("Đồng ý / Không đồng ý / Ý kiến khác")
    answer = await official.taps("Gửi lấy ý kiến")
    return preview, answer


async def test_consultation_reaches_only_its_hamlets_and_counts_one_answer_each(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    leader = await world.staff("Chủ tịch", Role.LEADER)
    lan, hoa, nam = world.resident("Lan"), world.resident("Hoa"), world.resident("Nam")
    await onboard(lan, hamlet="Xóm 1")
    await onboard(hoa, hamlet="Xóm 1")
    await onboard(nam, hamlet="Xóm 2")

    preview, answer = await open_consultation(minh)
    assert "Sẽ gửi tới 2 người dân" in preview[0].text
    assert "gửi tới 2 người dân" in answer[0].text
    await world.drain()
    assert "bê tông" in world.emu.messages(lan.id)[-1].text.lower()
    assert not any("Bê tông" in m.text for m in world.emu.messages(nam.id))

    await lan.taps("Xem và góp ý")
    await lan.taps("Đồng ý")
    await lan.says("Nhà tôi góp 3 ngày công")
    await lan.says("/laykien")
    await lan.taps("Không đồng ý")  # a change replaces the earlier answer
    await lan.taps("Không góp ý thêm")
    await hoa.taps("Xem và góp ý")
    await hoa.taps("Đồng ý")
    answer = await nam.says("/laykien")
    assert "không có đợt lấy ý kiến" in answer[0].text.lower()
    consultation = (await world.store.participation.consultations("open"))[0]
    forged = await nam.presses(f"lk:ans:{consultation.id}:0", message_id=999_999)
    assert "không dành cho xóm của ông/bà" in forged[0].text
    assert await world.store.participation.tally(consultation.id) == {"Xóm 1": {0: 1, 1: 1}}

    assert await consult_results.close(world.store, world.commune, consultation)
    await world.drain()
    results = world.emu.messages(leader.id)[-1].text
    assert "2 người trả lời" in results and "Xóm 1: Đồng ý: 1, Không đồng ý: 1" in results
    assert "Nhà tôi góp 3 ngày công" in results and "Lan" not in results
    late = await hoa.presses(f"lk:ans:{consultation.id}:1", message_id=999_999)
    assert "đã kết thúc" in late[0].text

    await minh.says("/laykien")
    await minh.taps("Kết quả các đợt")
    await minh.taps(f"{consultation.title[:40]} (đã kết thúc)")
    await minh.taps("Công bố kết luận")
    answer = await minh.says("Xã sẽ làm đường vào tháng 3/2027 theo phương án đa số đồng ý.")
    assert "gửi tới 2 người" in answer[0].text
    await world.drain()
    assert "Kết luận của xã" in world.emu.messages(lan.id)[-1].text
    assert "Kết luận của xã" in world.emu.messages(hoa.id)[-1].text
    assert not any("Kết luận" in m.text for m in world.emu.messages(nam.id))


async def test_a_consultation_carries_its_drawing_to_residents(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan, hamlet="Xóm 1")
    await open_consultation(minh, photo=png(7))
    await world.drain()
    invitation = world.emu.messages(lan.id)[-1]
    assert invitation.photo is not None and "Bê tông hóa" in (invitation.caption or "")
    assert world.emu.file_bytes(invitation.photo[-1]["file_id"]) == png(7)
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM media") == 0  # draft copy gone
    shown = await lan.taps("Xem và góp ý")
    assert shown[0].photo is not None and shown[-1].buttons


async def test_resident_cannot_open_a_consultation(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.presses("lk:new", message_id=999_999)
    assert answer[0].text == "Chức năng này không dành cho ông/bà."
    assert await world.store.participation.consultations("open", "closed") == []


async def test_dialogue_questions_flow_to_answers(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan, hoa = world.resident("Lan"), world.resident("Hoa")
    await onboard(lan, hamlet="Xóm 1")
    await onboard(hoa, hamlet="Xóm 2")
    await minh.says("/doithoai")
    await minh.taps("Thông báo buổi đối thoại")
    await minh.says("Thu gom rác thải sinh hoạt")
    await minh.says("Hội trường UBND xã")
    await minh.says("08:00 ngày 15/12/2026")
    answer = await minh.taps("Gửi thông báo")
    assert "tới 2 người dân" in answer[0].text
    await world.drain()

    await lan.taps("Gửi câu hỏi")
    await lan.says("Bao giờ xe rác vào đến xóm 1?")
    await hoa.says("/doithoai")
    await hoa.taps("Thu gom rác thải sinh hoạt")
    answer = await hoa.says("Phí thu gom rác mỗi tháng là bao nhiêu?")
    assert "Đã nhận câu hỏi" in answer[0].text

    await minh.says("/doithoai")
    listing = await minh.taps("Câu hỏi: Thu gom rác thải sinh hoạt")
    text = listing[0].text
    assert text.index("[Xóm 1]") < text.index("Bao giờ xe rác") < text.index("[Xóm 2]")
    await minh.taps("Trả lời câu 1")
    await minh.says("Từ tháng 1/2027 xe rác vào xóm 1 hai lần mỗi tuần.")
    await minh.says("/doithoai")
    await minh.taps("Câu hỏi: Thu gom rác thải sinh hoạt")
    answer = await minh.taps("Công bố câu trả lời")
    assert "tới 1 người hỏi" in answer[0].text
    await world.drain()
    got = world.emu.messages(lan.id)[-1].text
    assert "Bao giờ xe rác" in got and "hai lần mỗi tuần" in got
    assert "Phí thu gom" not in world.emu.messages(hoa.id)[-1].text


async def test_supervisor_reads_and_remarks_but_cannot_act_or_see_anonymous_senders(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    bao = await world.staff("Bà Bảo (Ban TTND)", Role.SUPERVISOR)
    lan = world.resident("Lan Nguyễn")
    await onboard(lan)
    code = await send_feedback(lan, anonymous=True)
    item = await world.store.feedback.get_by_code(code)
    await world.drain()

    await bao.says("/hopthu")
    view = await bao.taps("Mới")
    assert await bao.taps(f"1. {code}") == []  # the list turns into the card
    seen = bao.edited[0].text
    assert "Ẩn danh" in seen and "Lan" not in seen
    assert "Tiếp nhận" not in bao.buttons() and "Ghi nhận xét giám sát" in bao.buttons()
    refused = await bao.presses(f"hs:act:acknowledge:{item.id}", message_id=999_999)
    assert refused[0].text.startswith("Nút này đã cũ")  # never offered to a supervisor
    assert (await world.store.feedback.get(item.id)).status == "new"

    await bao.taps("Ghi nhận xét giám sát")
    await bao.says("Đề nghị xử lý sớm, bãi rác gần trường học.")
    await world.drain()
    told = world.emu.messages(minh.id)[-1].text
    assert "Ban giám sát" in told and "gần trường học" in told and "Lan" not in told
    view = await minh.taps("Xem phản ánh")
    assert any("cán bộ chưa xem" in m.text for m in view)
    answer = await minh.taps("Đã xem nhận xét")
    assert "Đã xác nhận xem 1 nhận xét" in answer[0].text
    remark = (await world.store.dialogues.remarks(item.id))[0]
    assert remark.acknowledged_by == "Cán bộ Minh"
    assert (await world.store.feedback.get(item.id)).status == "new"


async def test_a_closing_date_asked_again_says_why(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    await minh.says("/laykien")
    await minh.taps("Mở đợt lấy ý kiến mới")
    answer = await minh.says("Bê")
    assert answer[0].text.startswith("Tin vừa gửi có 2 ký tự, ngắn hơn mức tối thiểu 5.")
    await minh.says("Bê tông hóa đường liên xóm 1 - xóm 2")
    await minh.says("Đổ bê tông 800 m đường, nhà nước hỗ trợ xi măng, dân góp ngày công.")
    await minh.taps("Không có tệp kèm theo")
    await minh.taps("Xóm 1")
    await minh.taps("Xong")
    today = datetime.now(world.commune.zone).date()
    far = (today + timedelta(days=400)).strftime("%d/%m/%Y")
    answer = await minh.says(far)
    last = (today + timedelta(days=366)).strftime("%d/%m/%Y")
    assert answer[0].text.startswith(f"Ngày {far} xa quá")
    assert f"muộn nhất là {last}." in answer[0].text
    assert answer[0].text.endswith("ví dụ 20/12/2026.")  # and the question again
    answer = await minh.says((today - timedelta(days=1)).strftime("%d/%m/%Y"))
    assert "đã qua." in answer[0].text.split("\n")[0]
    answer = await minh.says("tuần sau")
    assert answer[0].text.startswith("Chưa đọc được ngày này.")
    answer = await minh.says((today + timedelta(days=10)).strftime("%d/%m/%Y"))
    assert "Đồng ý / Không đồng ý / Ý kiến khác" in minh.buttons()
    answer = await minh.says("Chỉ một phương án")
    assert answer[0].text.startswith("Cần từ 2 đến 6 lựa chọn, cách nhau bằng dấu chấm phẩy")
    assert "Tin vừa gửi có 1." in answer[0].text
    assert "Đồng ý / Không đồng ý / Ý kiến khác" in minh.buttons()
