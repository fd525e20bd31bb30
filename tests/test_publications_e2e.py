"""Public disclosures and /baocao, end to end over the emulator."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time

import pytest

from bot.config import QuietHours, load_commune
from bot.i18n import translator
from bot.messages import Media, Reply
from handlers.publications_announce import announce
from storage.models import Role
from tests.report_seed import PDF
from tests.test_onboarding_e2e import onboard

NOT_ALLOWED = translator("vi")("error.not_allowed")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def commune():
    """The sample commune with no quiet hours, so pushes go at once whatever the clock says."""
    return load_commune(None)[0].model_copy(
        update={"quiet_hours": QuietHours(start=time(0), end=time(0))}
    )


def documents(messages) -> list[dict]:
    return [m.document for m in messages if m.document]


async def publish(official, *, push: bool) -> list:
    await official.says("/congkhai")
    await official.taps("Đăng văn bản mới")
    answer = await official.sends_document(PDF, "du-toan-2027.pdf", "application/pdf")
    assert answer[-1].text.startswith("Đã nhận tệp 1: du-toan-2027.pdf")
    await official.taps("Xong")
    await official.says("Công khai dự toán ngân sách xã năm 2027")
    await official.taps("Thu, chi ngân sách")
    review = await official.says(
        "Dự toán thu, chi ngân sách xã năm 2027 đã được HĐND xã thông qua."
    )
    assert "Số tệp: 1" in review[-1].text
    label = "Đăng và gửi tới người dân đăng ký nhận tin" if push else "Chỉ đăng, không gửi tin"
    return await official.taps(label)


async def test_a_publication_round_trip(world):
    official = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    done = await publish(official, push=True)
    assert done[0].text == (
        "Đã đăng văn bản CK-1 và xếp lịch gửi tới 1 người dân đăng ký nhận tin."
    )
    await world.drain()
    pushed = await lan._answers()
    assert pushed[-1].caption.startswith(
        "Xã vừa công khai: Công khai dự toán ngân sách xã năm 2027"
    )
    [document] = documents(pushed)
    assert document["file_name"] == "du-toan-2027.pdf"
    assert world.emu.file_bytes(document["file_id"]) == PDF  # the file itself, via the outbox

    opened = await lan.taps("Xem văn bản")
    assert opened[0].text.startswith("Công khai dự toán ngân sách xã năm 2027\nLoại: Thu, chi")
    assert world.emu.file_bytes(documents(opened)[0]["file_id"]) == PDF
    await lan.says("/xemcongkhai")
    assert lan.buttons() == ["Thu, chi ngân sách (1)"]
    await lan.taps("Thu, chi ngân sách (1)")
    assert lan.buttons() == ["Công khai dự toán ngân sách xã năm 2027", "Các loại văn bản khác"]

    await official.says("/congkhai")
    listing = await official.taps("Văn bản đã đăng")
    assert "CK-1. Công khai dự toán ngân sách xã năm 2027" in listing[-1].text
    await official.taps("Thu hồi CK-1")
    done = await official.says("Đăng nhầm bản dự thảo")
    assert done[0].text.startswith("Đã thu hồi văn bản CK-1.")

    gone = await lan.presses("cb:open:1")  # the announcement's old button
    assert gone[0].text == "Văn bản này không còn được công khai." and not documents(gone)
    assert (await lan.says("/xemcongkhai"))[0].text == (
        "Xã chưa công khai văn bản nào qua kênh này."
    )
    pub = await world.store.publications.get(1)
    assert pub.withdrawn and pub.withdrawn_by_name == "Cán bộ Hà"
    assert pub.withdraw_reason == "Đăng nhầm bản dự thảo"
    assert len(await world.store.publications.files(1)) == 1  # the record and its file remain
    await official.says("/congkhai")
    listing = await official.taps("Văn bản đã đăng")
    assert "Đã thu hồi" in listing[-1].text and "Lý do: Đăng nhầm bản dự thảo" in listing[-1].text
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        await world.store.db.conn.execute("DELETE FROM publications")


async def test_photos_of_pages_and_a_quiet_publication(world):
    official = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    await official.says("/congkhai")
    await official.taps("Đăng văn bản mới")
    refused = await official.sends_document(b"PK\x03\x04 a zip", "bang.xlsx")
    assert refused[0].text.startswith("Chỉ nhận tệp PDF hoặc ảnh")
    await official.sends_photo(PNG)
    await official.sends_photo(PNG)
    await official.taps("Xong")
    await official.says("Danh sách hộ nghèo năm 2027")
    await official.taps("Danh sách hộ nghèo")
    review = await official.says("Danh sách hộ nghèo, hộ cận nghèo đã được bình xét ở các xóm.")
    assert review[0].text.startswith("Danh sách hộ nghèo chỉ được đăng để người dân xem khi cần")
    assert official.buttons() == ["Chỉ đăng, không gửi tin", "Hủy, không đăng"]  # no "send"
    done = await official.taps("Chỉ đăng, không gửi tin")
    assert done[0].text.startswith("Đã đăng văn bản CK-1.")
    await world.drain()
    assert await lan._answers() == []  # nothing pushed
    await lan.says("/xemcongkhai")
    await lan.taps("Danh sách hộ nghèo (1)")
    opened = await lan.taps("Danh sách hộ nghèo năm 2027")
    assert [bool(m.photo) for m in opened] == [False, True, True, False]


async def draft_poor_household_list(official) -> None:
    await official.says("/congkhai")
    await official.taps("Đăng văn bản mới")
    await official.sends_document(PDF, "ho-ngheo-2027.pdf", "application/pdf")
    await official.taps("Xong")
    await official.says("Danh sách hộ nghèo năm 2027")
    await official.taps("Danh sách hộ nghèo")
    await official.says("Danh sách hộ nghèo, hộ cận nghèo đã được bình xét ở các xóm.")


async def test_a_poor_household_list_is_never_pushed_even_by_a_forged_button(world):
    """Lists of poor households are for viewing on request: "publish and send" is not
    offered, a forged press of it is refused, an announcement of one sends nothing, and the
    list reaches only who opens it."""
    official = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    await draft_poor_household_list(official)
    forged = await official.presses("ck:publish:push")  # a button this review never offered
    assert not forged[0].text.startswith("Đã đăng")
    assert await world.store.publications.get(1) is None
    await draft_poor_household_list(official)
    done = await official.taps("Chỉ đăng, không gửi tin")
    assert done[0].text.startswith("Đã đăng văn bản CK-1.")
    assert await announce(world.store, world.commune, 1, datetime.now(UTC)) == 0
    await world.drain()
    assert await lan._answers() == []
    assert await world.store.outbox.list_by_source("pub:1:announce") == []
    await lan.says("/xemcongkhai")
    await lan.taps("Danh sách hộ nghèo (1)")
    opened = await lan.taps("Danh sách hộ nghèo năm 2027")
    assert documents(opened)  # shown to the resident who asked


async def test_residents_cannot_publish_and_leaders_get_the_digest(world):
    lan = world.resident("Lan")
    await onboard(lan)
    assert (await lan.says("/congkhai"))[0].text == NOT_ALLOWED
    assert (await lan.says("/baocao"))[0].text == NOT_ALLOWED
    assert (await lan.presses("ck:publish:push"))[0].text == NOT_ALLOWED
    leader = await world.staff("Lãnh đạo Minh", Role.LEADER)
    answer = await leader.says("/baocao 2026-W48")
    assert answer[0].text.startswith("BÁO CÁO TUẦN 48 (23/11 - 29/11/2026), xã Ví Dụ")
    assert answer[1].photo and answer[1].caption == "Biểu đồ báo cáo tuần 48 năm 2026"
    assert answer[2].document["file_name"] == "bao-cao-tuan-2026-W48.xlsx"
    assert world.emu.file_bytes(answer[2].document["file_id"]).startswith(b"PK")
    bad = await leader.says("/baocao tuần sau")
    assert bad[0].text.startswith("Không hiểu tuần tuần sau.")


async def test_a_document_arrives_under_its_vietnamese_name(world):
    """The name goes as UTF-8, as Telegram's apps send it: not "D%E1%BB%B1…", not escaped."""
    lan = world.resident("Lan")
    await onboard(lan)
    [telegram] = world.bot.channels
    for name in ("Dự toán 2026.pdf", 'Biên bản "họp dân" lần 2 \\ tổ 3.pdf'):
        await telegram.send(str(lan.id), Reply("Văn bản", media=Media("document", name, PDF)))
        assert documents(world.emu.messages(lan.id))[-1]["file_name"] == name
    # Telegram ends a name at ";" and a line break would end the header: both are replaced.
    forged = 'a"; name="caption"\r\nX: y.pdf'
    await telegram.send(str(lan.id), Reply("Văn bản", media=Media("document", forged, PDF)))
    sent = world.emu.messages(lan.id)[-1]
    assert sent.document["file_name"] == 'a", name="caption"  X: y.pdf'
    assert sent.caption == "Văn bản"
