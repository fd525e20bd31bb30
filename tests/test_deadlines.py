"""Deadline checks on a real database: who is reminded, who is alerted, and nothing twice."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import load_commune
from handlers.deadlines import check_deadlines
from storage import Storage
from storage.feedback import NewFeedback
from storage.models import Role
from storage.outbox import STATUSES

TUESDAY = date(2026, 3, 10)


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    yield opened
    await opened.close()


@pytest.fixture
def commune():
    return load_commune(None)[0]  # remind_days_before = 1


async def item(store, deadline: date, *, assignee=None, status="new", category="moi-truong"):
    created = await store.feedback.create(
        NewFeedback("telegram", "petition", category, "Đèn đường hỏng cả tháng", deadline)
    )
    if assignee is not None:
        created = await store.feedback.apply(
            created.id, action="assign", expect_status="new", to_status="in_progress",
            actor="staff", staff_id=assignee.id, staff_name=assignee.name,
            assignee_id=assignee.id,
        )  # fmt: skip
    if status != created.status:
        created = await store.feedback.apply(
            created.id, action="resolve", expect_status=created.status, to_status=status,
            actor="staff", text="Đã sửa xong",
        )  # fmt: skip
    return created


async def chats(store, source: str) -> dict[str, str]:
    return {row.chat_id: row.reply.text for row in await store.outbox.list_by_source(source)}


async def test_reminders_go_to_the_assignee_or_the_officials_and_overdue_to_leaders(store, commune):
    ha = await store.staff.upsert("telegram", "101", "Cán bộ Hà", Role.OFFICIAL)
    minh = await store.staff.upsert("telegram", "102", "Cán bộ Minh", Role.OFFICIAL)
    await store.staff.upsert("telegram", "201", "Chủ tịch Lành", Role.LEADER)
    unassigned = await item(store, date(2026, 3, 11))
    mine = await item(store, date(2026, 3, 11), assignee=ha)
    due_today = await item(store, TUESDAY, assignee=minh)
    later = await item(store, date(2026, 3, 16))
    late = await item(store, date(2026, 3, 6), assignee=ha)
    done_late = await item(store, date(2026, 3, 2), status="resolved")

    run = await check_deadlines(store, commune, TUESDAY)
    assert (run.reminded, run.escalated) == (3, 1)

    to_all = await chats(store, f"sla:remind:{unassigned.id}:2026-03-11")
    assert set(to_all) == {"101", "102"}
    assert to_all["101"].startswith(f"⏰ Nhắc việc: phản ánh {unassigned.code}")
    assert "còn 1 ngày làm việc" in to_all["101"]
    assert set(await chats(store, f"sla:remind:{mine.id}:2026-03-11")) == {"101"}
    today_text = (await chats(store, f"sla:remind:{due_today.id}:2026-03-10"))["102"]
    assert "hôm nay (10/03/2026) là ngày cuối" in today_text
    assert await store.outbox.progress(f"sla:remind:{later.id}:") == dict.fromkeys(STATUSES, 0)
    alert = await chats(store, f"sla:overdue:{late.id}:2026-03-10")
    assert set(alert) == {"201"}
    assert "QUÁ HẠN 2 ngày làm việc (hạn 06/03/2026)" in alert["201"]
    assert "Người xử lý: Cán bộ Hà" in alert["201"]
    rows = await store.outbox.list_by_source(f"sla:overdue:{late.id}:2026-03-10")
    assert rows[0].reply.choices[0].id == f"hs:open:{late.id}"
    assert (await store.feedback.get(late.id)).escalated
    assert not (await store.feedback.get(done_late.id)).escalated


async def test_running_twice_sends_nothing_twice_and_overdue_is_repeated_daily(store, commune):
    await store.staff.upsert("telegram", "101", "Cán bộ Hà", Role.OFFICIAL)
    await store.staff.upsert("telegram", "201", "Chủ tịch Lành", Role.LEADER)
    soon = await item(store, date(2026, 3, 11))
    late = await item(store, date(2026, 3, 6))

    first = await check_deadlines(store, commune, TUESDAY)
    total = (await store.outbox.stats())["pending"]
    again = await check_deadlines(store, commune, TUESDAY)
    assert first.pushes == 2 and again.pushes == 0
    assert (await store.outbox.stats())["pending"] == total

    tomorrow = await check_deadlines(store, commune, date(2026, 3, 11))
    assert tomorrow.pushes == 1  # the overdue alert of the new day; the reminder was sent
    assert await chats(store, f"sla:overdue:{late.id}:2026-03-11")
    assert await chats(store, f"sla:remind:{soon.id}:2026-03-11")
    events = await store.feedback.events(late.id, include_internal=True)
    assert [e.action for e in events] == ["submit", "escalate"]  # flagged once, alerted daily


async def test_nothing_is_sent_on_a_day_off(store, commune):
    await store.staff.upsert("telegram", "201", "Chủ tịch Lành", Role.LEADER)
    await item(store, date(2026, 3, 6))
    run = await check_deadlines(store, commune, date(2026, 3, 14))  # a Saturday
    assert run.pushes == 0 and (await store.outbox.stats())["pending"] == 0


async def test_the_categorys_own_officials_get_its_reminders(store, commune):
    await store.staff.upsert("telegram", "101", "Cán bộ Hà", Role.OFFICIAL)
    await store.staff.upsert("telegram", "102", "Cán bộ Minh", Role.OFFICIAL)
    commune = commune.model_copy(deep=True)
    commune.category("dat-dai").staff = ["102"]
    land = await item(store, date(2026, 3, 11), category="dat-dai")
    await check_deadlines(store, commune, TUESDAY)
    assert set(await chats(store, f"sla:remind:{land.id}:2026-03-11")) == {"102"}


async def test_reminders_count_working_days_over_tet(store, commune):
    await store.staff.upsert("telegram", "101", "Cán bộ Hà", Role.OFFICIAL)
    after_tet = await item(store, date(2027, 2, 11))
    run = await check_deadlines(store, commune, date(2027, 2, 3))  # the day before Tết
    assert run.reminded == 1
    text = (await chats(store, f"sla:remind:{after_tet.id}:2027-02-11"))["101"]
    assert "còn 1 ngày làm việc" in text


async def test_staff_on_zalo_are_reminded_and_alerted_on_zalo_with_the_console_link(
    store, commune
):
    ha = await store.staff.upsert("zalo", "za-101", "Cán bộ Hà", Role.OFFICIAL)
    await store.staff.upsert("zalo", "za-201", "Chủ tịch Lành", Role.LEADER)
    mine = await item(store, date(2026, 3, 11), assignee=ha)
    late = await item(store, date(2026, 3, 6), assignee=ha)

    await check_deadlines(store, commune, TUESDAY, "https://xa.example.vn")

    [reminder] = await store.outbox.list_by_source(f"sla:remind:{mine.id}:2026-03-11")
    [alert] = await store.outbox.list_by_source(f"sla:overdue:{late.id}:2026-03-10")
    assert (reminder.channel, reminder.chat_id) == ("zalo", "za-101")
    assert (alert.channel, alert.chat_id) == ("zalo", "za-201")
    for row, code in ((reminder, mine.code), (alert, late.code)):
        assert row.reply.text.endswith(
            f"\nXem trên trang cán bộ: https://xa.example.vn/web/items/{code}"
        )
