"""Outreach storage on real SQLite files (quiet hours, campaign deliveries, broadcasts, the
outbox rows a stop cancels), and the pure parts: the campaigns file, crontab weekdays, send
times an official types, the latest cron firing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.campaigns import latest_firing
from bot.messages import Reply
from bot.outreach import parse_send_time, push_to_residents
from content.campaigns import cron_fields, get_campaigns, parse
from storage import Storage
from storage.models import ResidentStatus
from storage.outbox import Push

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, a Thursday
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def store(tmp_path):
    opened = await Storage.open(tmp_path / "loaxa.db")
    yield opened
    await opened.close()


async def resident(store: Storage, user: str, hamlet: str = "Xóm 1") -> int:
    registered = await store.residents.register("telegram", user, user, f"Dân {user}", "vi")
    await store.residents.set_hamlet(registered.id, hamlet)
    return registered.id


async def test_quiet_hours_are_stored_per_resident_and_cleared(store):
    lan, hoa = await resident(store, "1"), await resident(store, "2")
    assert await store.preferences.quiet_hours(lan) is None
    await store.preferences.set_quiet_hours(lan, time(22, 0), time(6, 0))
    await store.preferences.set_quiet_hours(lan, time(20, 0), time(7, 0))
    assert await store.preferences.quiet_hours(lan) == (time(20, 0), time(7, 0))
    assert await store.preferences.quiet_hours_of([lan, hoa]) == {lan: (time(20, 0), time(7, 0))}
    await store.preferences.clear_quiet_hours(lan)
    assert await store.preferences.quiet_hours_of([lan, hoa]) == {}


async def test_a_delivery_is_claimed_once_per_resident_and_item(store):
    lan, hoa = await resident(store, "1"), await resident(store, "2")
    first = await store.deliveries.claim([(lan, "a"), (hoa, "a")], "c1", "c1@x", NOW)
    assert first == {(lan, "a"), (hoa, "a")}
    # Another campaign, another firing: the item already went to Lan, so only (lan, b) is new.
    again = await store.deliveries.claim([(lan, "a"), (lan, "b")], "c2", "c2@y", NOW)
    assert again == {(lan, "b")}
    assert await store.deliveries.delivered({"a", "b", "z"}) == {lan: {"a", "b"}, hoa: {"a"}}
    assert await store.deliveries.served("c1@x") == {lan, hoa}
    assert await store.deliveries.forget(lan, {"b"}) == 1
    assert await store.deliveries.count_by_campaign() == {"c1": 2}


async def test_stopping_cancels_only_a_residents_pending_outreach(store):
    lan, hoa = await resident(store, "1"), await resident(store, "2")
    later = NOW + timedelta(days=1)

    def push(chat, who, kind, source):
        return Push("telegram", chat, Reply("x"), kind, source, resident_id=who, not_before=later)

    await store.outbox.enqueue([
        push("1", lan, "campaign", "campaign:c1:a"),
        push("1", lan, "broadcast", "broadcast:1:"),
        push("1", lan, "notify", "fb:1:answered"),
        push("2", hoa, "broadcast", "broadcast:1:"),
    ])  # fmt: skip
    cancelled = await store.outbox.cancel_for_resident(lan, ("broadcast", "campaign", "survey"))
    assert sorted(cancelled) == ["broadcast:1:", "campaign:c1:a"]
    assert (await store.outbox.stats())["pending"] == 2  # her notification, Hoa's broadcast


async def test_no_outreach_is_enqueued_for_a_stopped_resident_but_notifications_are(store):
    lan, hoa = await resident(store, "1"), await resident(store, "2")
    await store.residents.set_status(lan, ResidentStatus.STOPPED)
    pushes = [
        Push("telegram", "1", Reply("x"), kind, f"{kind}:1", resident_id=lan)
        for kind in ("broadcast", "campaign", "survey", "notify")
    ]
    pushes.append(Push("telegram", "2", Reply("x"), "broadcast", "broadcast:1", resident_id=hoa))
    pushes.append(Push("telegram", "9", Reply("x"), "broadcast", "broadcast:1"))  # no resident
    assert await store.outbox.enqueue(pushes) == 3
    kept = {(i.chat_id, i.kind) for s in ("notify:1", "broadcast:1")
            for i in await store.outbox.list_by_source(s)}  # fmt: skip
    assert kept == {("1", "notify"), ("2", "broadcast"), ("9", "broadcast")}


async def test_a_broadcast_is_queued_once_and_cancelled_only_while_queued(store):
    draft = await store.broadcasts.create_draft(None, "Minh", "telegram", "9", "vi")
    await store.broadcasts.set_text(draft, "Họp dân")
    await store.broadcasts.set_media(draft, "photo", "p.jpg", b"\xff\xd8")
    assert await store.broadcasts.media(draft) == ("photo", "p.jpg", b"\xff\xd8")
    at = NOW + timedelta(hours=2)
    assert await store.broadcasts.queue(draft, "hamlets", ["Xóm 1", "Xóm 2"], 5, at, NOW)
    assert not await store.broadcasts.queue(draft, "all", "", 9, at, NOW)  # a double tap
    stored = await store.broadcasts.get(draft)
    assert (stored.status, stored.audience_arg, stored.recipients) == (
        "queued",
        ["Xóm 1", "Xóm 2"],
        5,
    )
    assert [b.id for b in await store.broadcasts.scheduled(NOW)] == [draft]
    assert await store.broadcasts.due_for_report(NOW) == []
    assert await store.broadcasts.cancel(draft, NOW)
    assert not await store.broadcasts.cancel(draft, NOW)
    assert not await store.broadcasts.mark_done(draft, NOW)
    # A new draft by the same author replaces an unsent one; queued ones stay.
    old = await store.broadcasts.create_draft(None, "Minh", "telegram", "9", "vi")
    new = await store.broadcasts.create_draft(None, "Minh", "telegram", "9", "vi")
    assert await store.broadcasts.get(old) is None and await store.broadcasts.get(new)
    assert await store.broadcasts.purge_drafts(datetime.now(UTC) + timedelta(seconds=2)) == 1
    assert [b.id for b in await store.broadcasts.recent()] == [draft]


async def test_an_audience_is_read_and_pushed_a_page_at_a_time(store):
    ids = [await resident(store, str(n), "Xóm 1" if n % 2 else "Xóm 2") for n in range(6)]
    english = await store.residents.register("telegram", "en", "en", "Anna", "en")
    await store.residents.set_hamlet(english.id, "Xóm 1")

    pages = [
        [r.id for r in page]
        async for page in store.residents.audience_pages(None, ["Xóm 1"], size=2)
    ]
    assert pages == [[ids[1], ids[3]], [ids[5], english.id]]

    built = []

    def reply_for(t) -> Reply:
        built.append(t.language)
        return Reply(t("menu.title"))

    sent = await push_to_residents(store, None, None, reply_for, kind="broadcast", source="t:1")
    assert sent == 7
    assert sorted(built) == ["en", "vi"]  # once per language, not once per resident
    assert (await store.outbox.progress("t:1"))["pending"] == 7


def test_crontab_weekdays_are_translated_for_apscheduler():
    # Crontab counts weekdays from Sunday = 0; APScheduler from Monday = 0.
    assert cron_fields("0 19 * * 3")["day_of_week"] == "wed"
    assert cron_fields("0 7 * * 0")["day_of_week"] == "sun"
    assert cron_fields("0 7 * * 7")["day_of_week"] == "sun"
    assert cron_fields("0 7 * * 1-5")["day_of_week"] == "mon,tue,wed,thu,fri"
    assert cron_fields("0 7 * * 0-6")["day_of_week"] == "sun,mon,tue,wed,thu,fri,sat"
    assert cron_fields("30 7 * * sat")["day_of_week"] == "sat"
    assert cron_fields("*/15 * * * *")["minute"] == "*/15"
    with pytest.raises(ValueError):
        cron_fields("0 19 * *")
    with pytest.raises(ValueError):
        cron_fields("0 25 * * *")


def test_the_campaigns_file_is_read_and_broken_entries_reported():
    campaigns, problems = parse("""
campaigns:
  - {id: ok, topics: [dan-chu], cron: "0 19 * * 3"}
  - {id: towns, topics: [papi], cron: "0 8 * * mon", audience: {hamlets: [Xóm 1]}}
  - {id: subs, topics: [papi], cron: "0 8 * * mon", audience: {subscribers: surveys}}
  - {id: bad-cron, topics: [dan-chu], cron: "every day"}
  - {id: ok, topics: [dan-chu], cron: "0 19 * * 3"}
  - {id: no-topics, topics: [], cron: "0 19 * * 3"}
""")
    assert [c.id for c in campaigns] == ["ok", "towns", "subs"]
    assert campaigns[1].audience.hamlets == ["Xóm 1"]
    assert len(problems) == 3 and "used twice" in problems[1]
    assert parse("campaigns: 3")[1] == ["expected `campaigns:` followed by a list"]
    assert get_campaigns(), "the shipped campaigns file must load"


def test_send_times_typed_by_an_official():
    at = parse_send_time("07:30", NOW, ZONE)  # already past 07:30 today: tomorrow
    assert at == datetime(2026, 11, 27, 7, 30, tzinfo=ZONE)
    assert parse_send_time("14h05", NOW, ZONE) == datetime(2026, 11, 26, 14, 5, tzinfo=ZONE)
    assert parse_send_time("25/12 7:30", NOW, ZONE) == datetime(2026, 12, 25, 7, 30, tzinfo=ZONE)
    assert parse_send_time("7:30 25/12", NOW, ZONE) == datetime(2026, 12, 25, 7, 30, tzinfo=ZONE)
    assert parse_send_time("05/01 08:00", NOW, ZONE) == datetime(2027, 1, 5, 8, 0, tzinfo=ZONE)
    assert parse_send_time("25/12/2026 07:30", NOW, ZONE).day == 25
    for nonsense in ("25:00", "31/02 08:00", "mai", "", "8"):
        assert parse_send_time(nonsense, NOW, ZONE) is None


def test_latest_firing_names_the_scheduled_minute():
    weekly = CronTrigger(timezone=ZONE, **cron_fields("0 19 * * wed"))
    assert latest_firing(weekly, NOW) == datetime(2026, 11, 25, 19, 0, tzinfo=ZONE)
    late = datetime(2026, 11, 25, 19, 3, 20, tzinfo=ZONE)  # the scheduler fired a bit late
    assert latest_firing(weekly, late) == datetime(2026, 11, 25, 19, 0, tzinfo=ZONE)
    often = CronTrigger(timezone=ZONE, **cron_fields("*/5 * * * *"))
    assert latest_firing(often, NOW + timedelta(minutes=7)).minute == 5
