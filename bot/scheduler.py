"""Scheduled work on APScheduler 3 (AsyncIOScheduler), made safe against restarts.

Jobs are rebuilt from code and configuration at every start (no pickled job store).
Each period of a job runs once: a firing whose key "<job>@<period>" (period: the local date
for daily jobs, the ISO week for weekly ones) is in the job_runs table is skipped, and the
key is recorded when the job has done its work. A crash half-way leaves no key, so the job
runs again; what it had already enqueued is not sent twice, because outbox rows are unique
by source.

Missed firings: at start-up, every job whose latest scheduled time in the past 7 days has
no key runs once, now (coalesced: many missed days give one run). A job that raises records
no key, so the next start (or the next scheduled time) tries again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from storage import Storage
from storage.db import utcnow

log = logging.getLogger(__name__)

CATCH_UP_WINDOW = timedelta(days=7)


def daily(moment: datetime, zone: ZoneInfo) -> str:
    """Period key of a daily job: the local date."""
    return moment.astimezone(zone).date().isoformat()


def weekly(moment: datetime, zone: ZoneInfo) -> str:
    """Period key of a weekly job: the local ISO week, e.g. 2026-W48."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Job:
    """A named piece of scheduled work: when (cron fields, local time), what, and its period."""

    name: str
    run: Callable[[datetime], Awaitable[object]]
    cron: dict = field(default_factory=dict)  # e.g. {"hour": 8, "minute": 0}
    period: Callable[[datetime, ZoneInfo], str] = daily
    catch_up: bool = True


class Scheduler:
    """Fires jobs on their cron schedule, once per period, and catches up after downtime."""

    def __init__(
        self,
        store: Storage,
        zone: ZoneInfo,
        jobs: list[Job],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.zone = zone
        self.jobs = {job.name: job for job in jobs}
        self.clock = clock
        self._aps: AsyncIOScheduler | None = None
        self._running: set[str] = set()  # a slow job is never started twice at once
        self.runs: Counter[tuple[str, str]] = Counter()  # (job, "ok" | "failed"): /metrics

    def trigger(self, job: Job) -> CronTrigger:
        return CronTrigger(timezone=self.zone, **job.cron)

    async def start(self) -> None:
        """Schedule every job, then run the ones whose latest firing was missed."""
        self._aps = AsyncIOScheduler(timezone=self.zone)
        for job in self.jobs.values():
            self._aps.add_job(
                self.fire, self.trigger(job), args=[job.name], id=job.name, coalesce=True,
                max_instances=1, misfire_grace_time=3600,
            )  # fmt: skip
        self._aps.start()
        await self.catch_up()

    async def stop(self) -> None:
        """Stop firing (a running job finishes on its own task)."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    def latest_due(self, job: Job, now: datetime) -> datetime | None:
        """Return the job's latest scheduled time at or before `now` within the window."""
        trigger, moment, latest = self.trigger(job), None, None
        moment = trigger.get_next_fire_time(None, now - CATCH_UP_WINDOW)
        while moment is not None and moment <= now:
            latest = moment
            moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
        return latest

    async def catch_up(self) -> list[str]:
        """Run, once, each job whose latest scheduled firing has no record; return their names."""
        now, ran = self.clock(), []
        for job in self.jobs.values():
            due = self.latest_due(job, now) if job.catch_up else None
            if due is not None and not await self.store.jobs.fired(self.key(job, due)):
                log.info("catching up the missed %s job of %s", job.name, due.isoformat())
                if await self.fire(job.name, due):
                    ran.append(job.name)
        return ran

    def key(self, job: Job, moment: datetime) -> str:
        return f"{job.name}@{job.period(moment, self.zone)}"

    async def fire(self, name: str, scheduled: datetime | None = None) -> bool:
        """Run a job once for its period; return False when the period already ran."""
        job = self.jobs[name]
        now = self.clock()
        key = self.key(job, scheduled or now)
        if name in self._running or await self.store.jobs.fired(key):
            log.info("job %s already ran (%s)", name, key)
            return False
        self._running.add(name)
        try:
            result = await job.run(now)
        except Exception:
            self.runs[(name, "failed")] += 1
            log.exception("job %s failed; it will run again at the next start", name)
            return False
        finally:
            self._running.discard(name)
        # Claimed after the work, so a crash half-way runs it again at the next start; the
        # pushes it made are unique by source in the outbox, so nobody gets them twice.
        await self.store.jobs.claim(key, job.name)
        self.runs[(name, "ok")] += 1
        log.info("job %s ran: %s", name, result)
        return True

    async def run_now(self, name: str) -> object:
        """Run a job immediately, outside its schedule (demo buttons, the CLI)."""
        job = self.jobs[name]
        await self.store.jobs.claim(f"{name}@manual:{self.clock().isoformat()}", name)
        return await job.run(self.clock())
