"""The Zalo OA's 7-day window, end to end on the OA emulator (issue 19, "The 7-day window").

The bot's window runs on the emulator's clock (tests/zalo_oa_world.py), so `oa.clock.advance`
moves both. A push to a follower silent for longer than the window is held, not failed;
when they write again, what waited arrives first, then the answer to what they wrote.
"""

from __future__ import annotations

from datetime import datetime, time

import pytest

from bot.config import QuietHours
from bot.digest.build import build_digest
from bot.digest.period import Period
from bot.i18n import translator
from bot.messages import Reply
from bot.simulator.zalo_oa import ZaloOaEmulator
from storage.models import ResidentStatus, Role
from storage.outbox import Push
from tests.test_feedback_e2e import png
from tests.test_zalo_oa_e2e import CODE, onboard
from tests.zalo_oa_world import ZaloOaWorld

DAY = 86_400


@pytest.fixture
def commune(commune):
    # Quiet hours that never apply, so pushes go out whatever time the tests run.
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


@pytest.fixture
async def world(emu, tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with ZaloOaEmulator(seed=19) as oa:
        w = ZaloOaWorld(emu, oa, tmp_path, commune)
        await w.start()
        try:
            yield w
        finally:
            await w.stop()


def push(lan, text: str, source: str) -> Push:
    return Push("zalo_oa", lan.id, Reply(text), "notify", source)


async def statuses(world, source: str) -> dict[str, int]:
    return {k: v for k, v in (await world.store.outbox.progress(source)).items() if v}


async def send_feedback(lan) -> str:
    await lan.says("/phananh")
    await lan.picks("Phản ánh, kiến nghị")
    await lan.says("moi truong")
    await lan.says("Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay")
    await lan.sends_image(png(3))
    await lan.picks("Xong, tiếp tục")
    await lan.picks("Bỏ qua")
    await lan.picks("Gửi có tên")
    answer = await lan.picks("Gửi phản ánh")
    return CODE.search(answer[0].text).group(0)


async def answer_from_telegram(official, code: str, text: str) -> None:
    await official.says("/hopthu")
    await official.taps("Mới")
    await official.taps(f"1. {code}")
    await official.taps("Trả lời người dân")
    await official.says(text)


async def open_card(official, code: str):
    """Open an item from the inbox; return its card (the list, turned into it in place)."""
    await official.says("/hopthu")
    await official.taps("Tất cả đang mở")
    assert await official.taps(f"1. {code}") == []
    return official.edited[0]


async def test_an_answer_after_8_days_of_silence_is_held_and_arrives_first(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.follower("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    world.oa.clock.advance(8 * DAY)  # Lan writes nothing for 8 days

    await answer_from_telegram(minh, code, "Xã đã cử tổ vệ sinh dọn bãi rác trong tuần này.")
    await world.drain()
    assert await lan.catch_up() == []  # nothing reached Zalo: no -230 was even risked
    item = await world.store.feedback.get_by_code(code)
    assert await world.store.oa_window.answer_status(item.id) == ("zalo_oa", "held")
    resident = await world.store.residents.get_by_identity("zalo_oa", lan.id)
    assert resident.status is ResidentStatus.ACTIVE  # held is not unreachable
    assert (await world.store.outbox.stats())["failed"] == 0
    card = await open_card(minh, code)
    assert "Trả lời qua Zalo OA: chờ người dân nhắn lại OA" in card.text

    answer = await lan.says("/help")
    assert "tổ vệ sinh" in answer[0].text and code in answer[0].text  # what waited, first
    assert "/phananh" in answer[1].text  # then the answer to what she wrote
    assert all("Còn" not in m.text for m in answer)  # nothing else waits
    assert await world.store.oa_window.answer_status(item.id) == ("zalo_oa", "sent")
    card = await open_card(minh, code)
    assert "Trả lời qua Zalo OA: đã gửi." in card.text


async def test_within_the_window_a_push_goes_at_once_free_then_billable(world):
    lan = world.follower("Lan")
    await onboard(lan)
    await world.store.outbox.enqueue([push(lan, "Lịch họp xóm tối nay", "test:free")])
    await world.drain()
    assert (await lan.catch_up())[-1].text == "Lịch họp xóm tối nay"
    world.oa.clock.advance(3 * DAY)  # past the free 48 hours, within the 7 days
    await world.store.outbox.enqueue([push(lan, "Lịch tiêm chủng tháng này", "test:paid")])
    await world.drain()
    assert (await lan.catch_up())[-1].text == "Lịch tiêm chủng tháng này"
    assert [m.free for m in world.oa.messages(lan.id)[-2:]] == [True, False]  # Zalo agrees
    start, end = world.now().replace(year=2000), world.now().replace(year=2100)
    assert await world.store.oa_window.billed_between(start, end) == {"free": 1, "paid": 1}


async def test_a_230_from_zalo_holds_the_push(world):
    lan = world.follower("Lan")
    await onboard(lan)
    world.oa.user(lan.id).last_interaction -= 8 * DAY  # Zalo's window closed, ours not yet
    await world.store.outbox.enqueue([push(lan, "Thông báo lịch họp xóm", "test:window")])
    await world.drain()
    assert await lan.catch_up() == []
    assert await statuses(world, "test:window") == {"held": 1}
    resident = await world.store.residents.get_by_identity("zalo_oa", lan.id)
    assert resident.status is ResidentStatus.ACTIVE
    answer = await lan.says("/help")
    assert answer[0].text == "Thông báo lịch họp xóm"
    assert await statuses(world, "test:window") == {"sent": 1}


async def test_held_pushes_come_oldest_first_five_at_a_time_then_how_many_wait(world):
    lan = world.follower("Lan")
    await onboard(lan)
    world.oa.clock.advance(8 * DAY)
    await world.store.outbox.enqueue(
        [push(lan, f"Tin số {n}", f"test:held:{n}") for n in range(1, 8)]
    )
    await world.drain()
    assert await lan.catch_up() == []
    assert (await world.store.outbox.stats())["held"] == 7

    first = [m.text for m in await lan.says("/help")]
    t = translator("vi", world.commune.address)
    assert first[:5] == [f"Tin số {n}" for n in range(1, 6)]
    assert first[5] == t("zalo_oa.held_more", count=2)
    assert first[5].startswith("Còn 2 tin nhắn") and "bạn" not in first[5]
    assert "/phananh" in first[6]
    second = [m.text for m in await lan.says("/help")]
    assert second[:2] == ["Tin số 6", "Tin số 7"] and "/phananh" in second[2]
    assert second[2:] == first[6:]  # nothing waits any more: no "còn N tin" line


async def test_held_rows_survive_a_restart(world):
    lan = world.follower("Lan")
    await onboard(lan)
    world.oa.clock.advance(8 * DAY)
    await world.store.outbox.enqueue([push(lan, "Lịch họp xóm tối nay", "test:restart")])
    await world.drain()
    await world.stop()
    await world.start()
    assert await statuses(world, "test:restart") == {"held": 1}
    answer = await lan.says("/help")
    assert answer[0].text == "Lịch họp xóm tối nay"


async def test_erasure_blanks_a_held_answer_that_quotes_the_resident(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.follower("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    world.oa.clock.advance(8 * DAY)
    text = "Về bãi rác tự phát cạnh đường liên xóm: xã sẽ dọn trong tuần."
    await answer_from_telegram(minh, code, text)
    await world.drain()
    item = await world.store.feedback.get_by_code(code)
    assert await world.store.oa_window.answer_status(item.id) == ("zalo_oa", "held")

    # Asking to erase is itself a message: the held answer arrives first. Another one,
    # quoting her, is held while she confirms.
    asked = await lan.says("/xoadulieu")
    assert "dọn trong tuần" in asked[0].text
    world.oa.clock.advance(8 * DAY)
    quoting = push(lan, "Về bãi rác tự phát cạnh đường liên xóm: đã dọn xong.", "test:quote")
    await world.store.outbox.enqueue([quoting])
    await world.drain()
    assert await statuses(world, "test:quote") == {"held": 1}
    world.oa.clock.advance(-8 * DAY)  # she confirms in time for the confirmation's answer
    await lan.picks("Xóa dữ liệu của tôi")
    [row] = await world.store.outbox.list_by_source("test:quote")
    assert row.status == "cancelled" and row.chat_id != lan.id
    assert "bãi rác" not in row.reply.text
    assert await world.store.oa_window.last(lan.id) is None


async def test_a_broadcast_report_counts_followers_outside_the_window_apart(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan, hoa = world.follower("Lan"), world.follower("Hoa")
    await onboard(lan)
    world.oa.clock.advance(8 * DAY)  # Lan falls silent
    await onboard(hoa)
    await minh.says("/thongbao")
    await minh.says("Lịch tiêm chủng tháng 12 tại trạm y tế xã")
    await minh.taps("Không đính kèm")
    await minh.taps("Mọi người nhận thông báo")
    await minh.taps("Gửi ngay")
    await world.drain()
    assert any("tiêm chủng" in m.text for m in await hoa.catch_up())
    assert await lan.catch_up() == []
    report = minh.last_text()
    assert report.startswith("Kết quả thông báo #1") and "1/2 người đã nhận" in report
    assert "0 người không nhận được" in report
    t = translator("vi", world.commune.address)
    assert report.endswith(t("outreach.bc_report_held", held=1))


async def test_the_digest_counts_oa_pushes_free_and_billable(world):
    lan = world.follower("Lan")
    await onboard(lan)
    await world.store.outbox.enqueue([push(lan, "Tin một", "test:d1")])
    await world.drain()
    world.oa.clock.advance(3 * DAY)
    await world.store.outbox.enqueue([push(lan, "Tin hai", "test:d2")])
    await world.drain()
    t = translator("vi", world.commune.address)
    text = (await build_digest(world.store, world.commune, this_week(world))).text
    assert t("reports.oa_billing", free="1", paid="1") in text


async def test_no_oa_line_in_a_digest_when_the_oa_sent_nothing(world):
    text = (await build_digest(world.store, world.commune, this_week(world))).text
    assert "Zalo OA" not in text


def this_week(world) -> Period:
    """The week of the outbox's sent_at stamps (the wall clock, not the emulator's)."""
    year, week, _ = datetime.now(world.commune.zone).isocalendar()
    return Period.week(year, week, world.commune.zone)
