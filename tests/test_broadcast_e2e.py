"""/thongbao end to end: compose, audience, preview, send now or at a time, cancel, the
author's delivery report, and the roles that may do it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot import broadcasts_cli
from bot.config import QuietHours
from handlers.broadcast_send import report_finished
from storage.broadcasts import source
from storage.models import ResidentStatus, Role
from tests.test_campaigns_e2e import resident_of, sign_up
from tests.test_emulator import JPEG

TEXT = "Thứ Bảy này 7 giờ sáng họp dân tại nhà văn hóa xóm."


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so pushes go out whatever time the tests run.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


def got(world, person, text: str = TEXT) -> bool:
    return any(m.text == text or m.caption == text for m in world.emu.messages(person.id))


async def compose(official, text: str = TEXT) -> None:
    await official.says("/thongbao")
    await official.says(text)
    await official.taps("Không đính kèm")


async def test_a_broadcast_with_preview_reaches_only_the_chosen_hamlets(world):
    a1 = await sign_up(world, "An", "Xóm 1")
    a2 = await sign_up(world, "Ba", "Xóm 2", plan="Chỉ thông báo quan trọng")
    a3 = await sign_up(world, "Cư", "Xóm 3")
    quiet = await sign_up(world, "Dũng", "Xóm 1", plan="Không nhận tin")
    stopped = await sign_up(world, "Em", "Xóm 2")
    await stopped.says("dừng")
    minh = await world.staff("Minh", Role.OFFICIAL)

    await compose(minh)
    await minh.taps("Chọn xóm")
    await minh.taps("Xóm 1")
    await minh.taps("Xóm 2")
    await minh.taps("Xóm 3")
    assert "✓ Xóm 3" in minh.buttons()
    await minh.taps("✓ Xóm 3")  # changed my mind
    preview = await minh.taps("Xong")
    assert preview[0].text == TEXT  # the message exactly as residents will see it
    assert "Xóm 1, Xóm 2: 2 người" in preview[-1].text
    assert sum((await world.store.outbox.progress(source(1))).values()) == 0  # not before "send"

    done = await minh.taps("Gửi ngay")
    assert done[0].text.startswith("Đã gửi thông báo #1 vào hàng đợi tới 2 người")
    await world.drain()
    assert got(world, a1) and got(world, a2)
    assert not any(got(world, p) for p in (a3, quiet, stopped))

    # The report went out as the last row settled, not from the 5-minute job (a safety net
    # that now finds nothing left to report).
    report = minh.last_text()
    assert await report_finished(world.store, world.commune, datetime.now(UTC)) == {"reports": 0}
    assert report.startswith("Kết quả thông báo #1") and "2/2 người đã nhận" in report
    assert "0 người không nhận được" in report


async def test_a_scheduled_broadcast_cancelled_sends_nothing(world, capsys, monkeypatch):
    monkeypatch.setenv("LOAXA_LANGUAGE", "en")  # the listing's words, asserted below
    lan = await sign_up(world, "Lan")
    minh = await world.staff("Minh", Role.OFFICIAL)
    await compose(minh)
    await minh.taps("Mọi người nhận thông báo")
    await minh.taps("Hẹn giờ gửi")
    at = datetime.now(world.commune.zone).replace(second=0, microsecond=0) + timedelta(hours=3)
    asked = await minh.says(at.strftime("%d/%m %H:%M"))
    assert f"Hẹn gửi lúc {at.strftime('%H:%M %d/%m/%Y')} tới 1 người" in asked[-1].text
    done = await minh.taps("Xác nhận hẹn giờ")
    assert done[0].text.startswith("Đã lên lịch thông báo #1")
    [row] = await world.store.outbox.list_by_source(source(1))
    assert (row.status, row.not_before) == ("pending", at)
    await world.drain()
    assert not got(world, lan)

    assert await broadcasts_cli.run_cli(world.store, world.commune, _args()) == 0
    assert "\tscheduled\t" in capsys.readouterr().out

    listing = await minh.says("/thongbao")
    assert "#1 lúc" in listing[0].text
    cancelled = await minh.taps("Hủy thông báo #1")
    assert cancelled[0].text == "Đã hủy thông báo #1. Không ai nhận được thông báo này."
    [row] = await world.store.outbox.list_by_source(source(1))
    assert row.status == "cancelled"
    assert (await world.store.broadcasts.get(1)).status == "cancelled"
    late = datetime.now(UTC) + timedelta(days=1)
    assert await report_finished(world.store, world.commune, late) == {"reports": 0}
    again = await minh.presses("tb:cancel:1")
    assert "không hủy được nữa" in again[0].text


async def test_the_report_counts_a_blocked_resident_as_unreachable(world):
    lan = await sign_up(world, "Lan")
    hoa = await sign_up(world, "Hoa")
    world.emu.block(hoa.id)
    chu_tich = await world.staff("Chủ tịch", Role.LEADER)
    await compose(chu_tich)
    await chu_tich.taps("Người đăng ký một mục tin")
    preview = await chu_tich.taps("Tìm hiểu pháp luật")
    assert "người đăng ký mục “Tìm hiểu pháp luật”: 2 người" in preview[-1].text
    await chu_tich.taps("Gửi ngay")
    await world.drain()
    assert got(world, lan) and not got(world, hoa)
    assert (await resident_of(world, hoa)).status is ResidentStatus.BLOCKED  # 403: unreachable
    rows = {r.chat_id: r.status for r in await world.store.outbox.list_by_source(source(1))}
    assert rows == {str(lan.id): "sent", str(hoa.id): "unreachable"}

    assert "1/2 người đã nhận; 1 người không nhận được" in chu_tich.last_text()


async def test_a_photo_broadcast_arrives_with_its_caption(world):
    lan = await sign_up(world, "Lan")
    minh = await world.staff("Minh", Role.OFFICIAL)
    await minh.says("/thongbao")
    await minh.sends_photo(JPEG, caption=TEXT)
    preview = await minh.taps("Mọi người nhận thông báo")
    assert preview[0].photo and preview[0].caption == TEXT
    await minh.taps("Gửi ngay")
    await world.drain()
    [message] = [m for m in world.emu.messages(lan.id) if m.photo]
    assert message.caption == TEXT


async def test_a_document_broadcast_arrives_as_a_file(world):
    lan = await sign_up(world, "Lan")
    minh = await world.staff("Minh", Role.OFFICIAL)
    await minh.says("/thongbao")
    await world.emu.send_document(minh.id, b"%PDF-1.4 lich hop", "lich-hop.pdf", "application/pdf")
    asked = await minh._answers()
    assert asked[0].text.startswith("Đã nhận tệp. Bây giờ gõ nội dung")
    await minh.says(TEXT)
    await minh.taps("Mọi người nhận thông báo")
    await minh.taps("Gửi ngay")
    await world.drain()
    [message] = [m for m in world.emu.messages(lan.id) if m.document]
    assert message.caption == TEXT and message.document["file_name"] == "lich-hop.pdf"


async def test_residents_cannot_broadcast_nor_press_forged_buttons(world):
    lan = await sign_up(world, "Lan")
    minh = await world.staff("Minh", Role.OFFICIAL)
    other = await world.staff("Tư", Role.OFFICIAL)
    assert "không dành cho ông/bà" in (await lan.says("/thongbao"))[0].text
    for forged in ("tb:send", "tb:aud:all", "tb:cancel:1", "tb:confirm", "tb:start"):
        assert "không dành cho ông/bà" in (await lan.presses(forged))[0].text, forged
    # An official may not jump to "send" with a button the bot never offered.
    assert "Nút này đã cũ" in (await minh.presses("tb:send"))[0].text

    await compose(minh)
    await minh.taps("Mọi người nhận thông báo")
    await minh.taps("Hẹn giờ gửi")
    later = datetime.now(world.commune.zone) + timedelta(hours=2)
    await minh.says(later.strftime("%H:%M"))
    await minh.taps("Xác nhận hẹn giờ")
    refused = await other.presses("tb:cancel:1")  # not the author, not a leader
    assert refused[0].text == "Tài khoản này không hủy được thông báo này."
    assert (await world.store.broadcasts.get(1)).status == "queued"
    assert not got(world, lan)


def _args(**fields):
    from argparse import Namespace

    return Namespace(**({"limit": 50, "cancel": None} | fields))
