"""Campaigns, /theodoi and stopping, end to end: the real bot, the emulator, a real SQLite file.

Campaign firings are run with an explicit `now` (the job's own clock argument) so that quiet
hours and firing periods are under the test's control; nothing here waits on wall time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.campaigns import campaign_jobs, run_campaign
from bot.config import QuietHours
from bot.jobs import build_jobs
from bot.messages import Reply
from bot.scheduler import Scheduler
from content import Library, get_library
from content.campaigns import Campaign
from content.loader import Topic as LibraryTopic
from storage.models import ResidentStatus, Role, Topic
from storage.outbox import Push
from tests.test_onboarding_e2e import onboard

DAN_CHU = ["dcs-luat-2022", "dcs-phap-lenh-34", "dcs-trong-tam"]
FIRST_TITLE = "Luật Thực hiện dân chủ ở cơ sở"
SECOND_TITLE = "Pháp lệnh 34/2007 đã được thay thế"
QUIZ = "Trả lời câu hỏi"


def reviewed(library: Library, *except_ids: str) -> Library:
    """The library as if an official had reviewed every item but `except_ids`."""
    done = {"reviewed": True, "reviewed_by": "Nguyễn Thị Hoa", "reviewed_on": date(2026, 12, 1)}
    topics = tuple(
        LibraryTopic(t.id, t.title, tuple(
            i if i.id in except_ids else i.model_copy(update=done) for i in t.items
        ))
        for t in library.topics
    )  # fmt: skip
    return Library(topics, library.documents, library.origins)


REVIEWED = reviewed(get_library())
UNREVIEWED_NOTE = "(Nội dung đang chờ cán bộ xã kiểm tra.)"


def campaign(**fields) -> Campaign:
    return Campaign.model_validate(
        {"id": "thu", "topics": ["dan-chu"], "cron": "0 19 * * wed"} | fields
    )


@pytest.fixture
def no_quiet(world):
    """Quiet hours that never apply (00:00-00:00)."""
    never = QuietHours(start=time(0, 0), end=time(0, 0))
    world.commune = world.commune.model_copy(update={"quiet_hours": never})
    return world.commune


async def sign_up(world, name: str, hamlet: str = "Xóm 3", plan: str = "Nhận tất cả (nên chọn)"):
    person = world.resident(name)
    await person.says("/start")
    await person.taps("Đồng ý")
    await person.taps(hamlet)
    await person.taps(plan)
    return person


async def resident_of(world, person):
    return await world.store.residents.get_by_identity("telegram", str(person.id))


def campaign_texts(world, person) -> list[str]:
    footer = "Ông/bà không muốn nhận bài tìm hiểu pháp luật nữa?"
    return [m.text for m in world.emu.messages(person.id) if m.text and footer in m.text]


async def test_a_campaign_reaches_its_audience_once_and_then_the_next_item(world, no_quiet):
    lan = await sign_up(world, "Lan", "Xóm 3")
    hoa = await sign_up(world, "Hoa", "Xóm 1")
    binh = await sign_up(world, "Bình", "Xóm 3", plan="Chỉ thông báo quan trọng")
    cuc = await sign_up(world, "Cúc", "Xóm 3")
    await cuc.says("dừng")
    xom3 = campaign(audience={"hamlets": ["Xóm 3"]})
    now = datetime.now(UTC)

    first = await run_campaign(world.store, no_quiet, xom3, now, library=REVIEWED)
    later = now + timedelta(minutes=3)
    again = await run_campaign(world.store, no_quiet, xom3, later, library=REVIEWED)
    assert first["enqueued"] == 1 and again["enqueued"] == 0  # the same firing, run twice
    await world.drain()
    assert [t.splitlines()[0] for t in campaign_texts(world, lan)] == [FIRST_TITLE]
    assert campaign_texts(world, hoa) == []  # another hamlet
    assert campaign_texts(world, binh) == []  # announcements only, no outreach
    assert campaign_texts(world, cuc) == []  # stopped
    assert lan.buttons() == [QUIZ, "Các bài cùng chủ đề"]  # open the library from the push
    answer = await lan.taps(QUIZ)
    assert "có hiệu lực từ ngày nào" in answer[-1].text

    everyone = campaign(audience="everyone")
    next_week = now + timedelta(days=7)
    done = await run_campaign(world.store, no_quiet, everyone, next_week, library=REVIEWED)
    assert done["enqueued"] == 2
    await world.drain()
    assert [t.splitlines()[0] for t in campaign_texts(world, lan)] == [FIRST_TITLE, SECOND_TITLE]
    assert [t.splitlines()[0] for t in campaign_texts(world, hoa)] == [FIRST_TITLE]
    rows = await world.store.outbox.list_by_source("campaign:thu:dcs-luat-2022")
    assert sorted(r.chat_id for r in rows) == sorted([str(lan.id), str(hoa.id)])


async def test_a_campaign_job_fires_once_per_scheduled_time(world, no_quiet):
    lan = await sign_up(world, "Lan")
    jobs = campaign_jobs(world.store, no_quiet, [campaign(cron="*/5 * * * *")], REVIEWED)
    scheduler = Scheduler(world.store, no_quiet.zone, jobs)
    assert [job.name for job in jobs] == ["campaign-thu"]
    assert await scheduler.fire("campaign-thu") is True
    assert await scheduler.fire("campaign-thu") is False  # a double fire in the same period
    await world.drain()
    assert len(campaign_texts(world, lan)) == 1
    names = set(world.bot.scheduler.jobs)  # the running bot has the shipped campaigns too
    assert {"campaign-dan-chu", "campaign-phap-luat", "broadcast-reports"} <= names


async def test_quiet_hours_hold_pushes_until_each_residents_morning(world):
    lan = await sign_up(world, "Lan")  # the commune's quiet hours: 21:00-06:30
    hoa = await sign_up(world, "Hoa")
    binh = await sign_up(world, "Bình")
    await hoa.says("/theodoi")
    await hoa.taps("Giờ yên tĩnh: 21:00–06:30")
    await hoa.taps("22:00–06:00")
    await binh.says("/theodoi")
    await binh.taps("Giờ yên tĩnh: 21:00–06:30")
    answer = await binh.taps("20:00–07:00")
    assert [m.text for m in answer] == ["Đã lưu giờ yên tĩnh."]
    assert "Giờ yên tĩnh: 20:00–07:00" in binh.edited[0].text  # the choices turn into the screen
    zone = world.commune.zone
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    evening = datetime.combine(tomorrow, time(21, 30), zone)

    result = await run_campaign(world.store, world.commune, campaign(), evening, library=REVIEWED)
    assert result == {
        "enqueued": 3, "held_until_morning": 2, "finished_all_items": 0,
        "unreviewed_skipped": 0, "admins_told": 0,
    }  # fmt: skip
    rows = {
        r.chat_id: r for r in await world.store.outbox.list_by_source("campaign:thu:dcs-luat-2022")
    }
    morning = tomorrow + timedelta(days=1)
    assert rows[str(lan.id)].not_before == datetime.combine(morning, time(6, 30), zone)
    assert rows[str(binh.id)].not_before == datetime.combine(morning, time(7, 0), zone)
    assert rows[str(hoa.id)].not_before is None  # 21:30 is outside her 22:00-06:00
    await world.drain()
    assert len(campaign_texts(world, hoa)) == 1
    assert campaign_texts(world, lan) == [] and campaign_texts(world, binh) == []
    assert {rows[str(p.id)].status for p in (lan, binh)} == {"pending"}


async def test_theodoi_toggles_topics_pauses_and_resumes(world):
    lan = world.resident("Lan")
    await onboard(lan)
    shown = await lan.says("/theodoi")
    assert "Tin ông/bà nhận từ xã" in shown[-1].text
    assert lan.buttons()[:4] == [
        "✓ Thông báo của xã", "✓ Tìm hiểu pháp luật", "✓ Khảo sát ý kiến", "Tạm dừng mọi tin",
    ]  # fmt: skip
    assert await lan.taps("✓ Tìm hiểu pháp luật") == []  # the screen changes in place
    assert "○ Tìm hiểu pháp luật" in lan.buttons()
    assert lan.edited == [shown[-1]]
    me = await resident_of(world, lan)
    assert await world.store.residents.subscriptions(me.id) == {Topic.ANNOUNCEMENTS, Topic.SURVEYS}
    await lan.taps("○ Tìm hiểu pháp luật")
    assert Topic.OUTREACH in await world.store.residents.subscriptions(me.id)

    answer = await lan.taps("Tạm dừng mọi tin")
    assert answer[-1].text.startswith("Đã tạm dừng") and "Nhận tin trở lại" in lan.buttons()
    assert "TẠM DỪNG" in lan.edited[0].text  # the screen, in place
    assert (await resident_of(world, lan)).status is ResidentStatus.STOPPED
    await lan.taps("Nhận tin trở lại")
    assert (await resident_of(world, lan)).status is ResidentStatus.ACTIVE
    await lan.says("2")  # typed number: the second button, as on Zalo
    assert "○ Tìm hiểu pháp luật" in lan.buttons()
    answer = await lan.taps("Xong")
    assert answer[0].text == "Đã lưu lựa chọn của ông/bà."


async def test_typing_dung_mid_flow_stops_pushes_and_keeps_the_flow(world):
    lan = world.resident("Lan")
    await onboard(lan)
    me = await resident_of(world, lan)
    later = datetime.now(UTC) + timedelta(days=1)
    await world.store.deliveries.claim([(me.id, "dcs-luat-2022")], "thu", "thu@x", later)
    await world.store.outbox.enqueue([
        Push("telegram", str(lan.id), Reply("bài"), "campaign", "campaign:thu:dcs-luat-2022",
             resident_id=me.id, not_before=later),
        Push("telegram", str(lan.id), Reply("trả lời"), "notify", "fb:1:answered",
             resident_id=me.id, not_before=later),
    ])  # fmt: skip
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")

    answer = await lan.says("Dừng!")
    assert "không nhận tin tự động của xã nữa" in answer[0].text
    assert "vẫn được giữ" in answer[-1].text
    assert (await resident_of(world, lan)).status is ResidentStatus.STOPPED
    [campaign_row] = await world.store.outbox.list_by_source("campaign:thu:dcs-luat-2022")
    [notify_row] = await world.store.outbox.list_by_source("fb:1:answered")
    assert (campaign_row.status, notify_row.status) == ("cancelled", "pending")
    assert await world.store.deliveries.delivered({"dcs-luat-2022"}) == {}  # can come again

    answer = await lan.says("Bãi rác tự phát cạnh đường liên xóm")  # the flow goes on
    assert "ảnh" in answer[-1].text
    await lan.says("/huy")  # cancels the flow only
    assert (await resident_of(world, lan)).status is ResidentStatus.STOPPED
    await world.store.residents.set_status(me.id, ResidentStatus.ACTIVE)
    await lan.says("/huy")
    assert (await resident_of(world, lan)).status is ResidentStatus.ACTIVE  # /huy never stops
    for word in ("STOP", "Dừng!", "/dung", "/stop"):
        await world.store.residents.set_status(me.id, ResidentStatus.ACTIVE)
        await lan.says(word)
        assert (await resident_of(world, lan)).status is ResidentStatus.STOPPED, word
    await world.store.residents.set_status(me.id, ResidentStatus.ACTIVE)
    await lan.says("Đúng")  # "dung" without diacritics would also be "right": never a stop
    assert (await resident_of(world, lan)).status is ResidentStatus.ACTIVE


async def test_a_stopped_resident_gets_no_campaign_until_resuming(world, no_quiet):
    lan = await sign_up(world, "Lan")
    await lan.says("/dung")
    assert (
        await run_campaign(world.store, no_quiet, campaign(), datetime.now(UTC), library=REVIEWED)
    )["enqueued"] == 0
    await lan.says("/theodoi")
    await lan.taps("Nhận tin trở lại")
    later = datetime.now(UTC) + timedelta(days=7)
    assert (await run_campaign(world.store, no_quiet, campaign(), later, library=REVIEWED))[
        "enqueued"
    ] == 1
    await world.drain()
    assert len(campaign_texts(world, lan)) == 1


async def test_run_never_pushes_an_unreviewed_item_and_tells_the_admins_once(world, no_quiet):
    """`loaxa run`: the first item of the topic waits for review, so residents get the
    second; each admin hears once how many items wait, not at every firing."""
    son = await world.staff("Quản trị Sơn", Role.ADMIN)
    lan = await sign_up(world, "Lan", "Xóm 3")
    library = reviewed(get_library(), "dcs-luat-2022")
    waiting = sum(1 for item in library.items if not item.reviewed)
    now = datetime.now(UTC)
    first = await run_campaign(world.store, no_quiet, campaign(), now, library=library)
    assert (first["enqueued"], first["unreviewed_skipped"], first["admins_told"]) == (1, 1, 1)
    next_week = now + timedelta(days=7)
    second = await run_campaign(world.store, no_quiet, campaign(), next_week, library=library)
    assert (second["enqueued"], second["admins_told"]) == (1, 0)  # told once, not again
    await world.drain()
    titles = [text.splitlines()[0] for text in campaign_texts(world, lan)]
    assert titles == [SECOND_TITLE, "Vì sao xã tuyên truyền về dân chủ ở cơ sở?"]
    assert not [t for t in campaign_texts(world, lan) if UNREVIEWED_NOTE in t]
    told = [m.text for m in world.emu.messages(son.id) if m.text and "chờ kiểm tra" in m.text]
    assert told == [
        "Loa Xã chưa gửi bài tuyên truyền nào chưa được cán bộ xã kiểm tra. Hiện có"
        f" {waiting} bài đang chờ kiểm tra. Xem danh sách và ghi lại việc kiểm tra bằng lệnh:"
        " loaxa content review"
    ]


async def test_with_the_shipped_library_run_sends_nothing_and_the_demo_sends_with_the_note(
    world, no_quiet
):
    """The starter library is unreviewed: a new commune's `loaxa run` pushes none of it;
    `loaxa demo` (its jobs built with demo=True) does, each item saying it waits for review."""
    lan = await sign_up(world, "Lan", "Xóm 3")
    now = datetime.now(UTC)
    assert (await run_campaign(world.store, no_quiet, campaign(), now))["enqueued"] == 0
    run_jobs = [j for j in build_jobs(world.store, no_quiet) if j.name == "campaign-dan-chu"]
    demo_jobs = [
        j for j in build_jobs(world.store, no_quiet, demo=True) if j.name == "campaign-dan-chu"
    ]
    assert (await run_jobs[0].run(now))["enqueued"] == 0
    assert (await demo_jobs[0].run(now))["enqueued"] == 1
    await world.drain()
    [text] = campaign_texts(world, lan)
    assert text.startswith("Dân biết, dân bàn, dân làm") and UNREVIEWED_NOTE in text
