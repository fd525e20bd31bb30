"""The scheduler runs each job once per period, catches up after downtime, retries failures."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import Job, Scheduler, weekly
from storage import Storage

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
async def store(tmp_path):
    store = await Storage.open(tmp_path / "jobs.db")
    yield store
    await store.close()


def recorder(calls: list, fail_times: int = 0):
    async def run(now: datetime) -> int:
        calls.append(now)
        if len(calls) <= fail_times:
            raise RuntimeError("boom")
        return len(calls)

    return run


async def test_a_double_fire_in_one_period_runs_once(store):
    calls: list = []
    clock = Clock(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # 08:00 in Vietnam
    scheduler = Scheduler(store, ZONE, [Job("daily", recorder(calls), {"hour": 8})], clock)
    assert await scheduler.fire("daily") is True
    assert await scheduler.fire("daily") is False
    clock.moment = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert await scheduler.fire("daily") is True
    assert len(calls) == 2


async def test_a_missed_firing_runs_once_at_start_up(store):
    calls: list = []
    clock = Clock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))  # 10:00 local, job due at 08:00
    scheduler = Scheduler(store, ZONE, [Job("daily", recorder(calls), {"hour": 8})], clock)
    assert await scheduler.catch_up() == ["daily"]
    assert await scheduler.catch_up() == []
    assert len(calls) == 1


async def test_a_job_not_yet_due_today_catches_up_yesterday(store):
    calls: list = []
    clock = Clock(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))  # 06:00 on the 26th local
    scheduler = Scheduler(store, ZONE, [Job("daily", recorder(calls), {"hour": 8})], clock)
    assert await scheduler.catch_up() == ["daily"]
    assert await store.jobs.fired("daily@2026-11-25")


async def test_a_failed_job_is_tried_again(store):
    calls: list = []
    clock = Clock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    job = Job("flaky", recorder(calls, fail_times=1), {"hour": 8})
    scheduler = Scheduler(store, ZONE, [job], clock)
    assert await scheduler.catch_up() == []
    assert await scheduler.catch_up() == ["flaky"]
    assert len(calls) == 2


async def test_weekly_jobs_key_on_the_iso_week(store):
    calls: list = []
    clock = Clock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 08:00 local, week 48
    job = Job("digest", recorder(calls), {"day_of_week": "mon", "hour": 7, "minute": 30}, weekly)
    scheduler = Scheduler(store, ZONE, [job], clock)
    assert await scheduler.catch_up() == ["digest"]
    clock.moment = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thursday, same week
    assert await scheduler.catch_up() == []
    assert await store.jobs.fired("digest@2026-W48")


async def test_the_real_scheduler_starts_and_stops(store):
    calls: list = []
    clock = Clock(datetime.now(UTC))
    scheduler = Scheduler(store, ZONE, [Job("daily", recorder(calls), {"hour": 8})], clock)
    await scheduler.start()
    await scheduler.stop()
    assert len(calls) <= 1
