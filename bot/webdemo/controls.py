"""Buttons that fire scheduled work now, so a demo does not wait for cron.

The controls are the scheduler's own jobs (bot/jobs.py), found at run time: whatever jobs
exist are offered, labelled from the catalog when it has a label for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.app import LoaXa
from bot.i18n import Translator
from bot.workdays import WorkCalendar
from storage.db import utcnow

log = logging.getLogger(__name__)

ORDER = ("deadlines", "digest", "campaign", "surveys", "consultations", "broadcast-reports")
CAMPAIGN = "campaign-"  # one job per outreach campaign: campaign-<id>
WORKDAY_JOBS = frozenset({"deadlines"})  # jobs that do nothing on the office's days off
WORKDAY_HOUR = time(8, 0)


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    label: str
    hint: str


def available(app: LoaXa, t: Translator) -> list[Control]:
    """List the jobs the running bot has, in a sensible order, labelled for the page."""
    scheduler = getattr(app, "scheduler", None)
    names = list(getattr(scheduler, "jobs", {}) or {})

    def rank(name: str) -> tuple[int, str]:
        kind = "campaign" if name.startswith(CAMPAIGN) else name
        return (ORDER.index(kind) if kind in ORDER else len(ORDER), name)

    return [_control(name, t) for name in sorted(names, key=rank)]


def _control(name: str, t: Translator) -> Control:
    """Label a job from the catalog: webdemo.job_<name>, or the campaign's title."""
    key, values = f"webdemo.job_{name.replace('-', '_')}", {}
    if name.startswith(CAMPAIGN):
        key, values = "webdemo.job_campaign", {"title": _campaign_title(name)}
    if not t.has(key):
        return Control(name, name, "")
    return Control(name, t(key, **values), t(f"{key}_hint") if t.has(f"{key}_hint") else "")


def _campaign_title(job_name: str) -> str:
    from content.campaigns import get_campaigns

    found = next((c for c in get_campaigns() if c.job_name == job_name), None)
    return (found.title or found.id) if found else job_name.removeprefix(CAMPAIGN)


def as_of(app: LoaXa, name: str, now: datetime) -> datetime:
    """Return when to run a job: now, or for working-day jobs on a day off, the morning of
    the latest working day (so a weekend demo still shows reminders and escalations)."""
    if name not in WORKDAY_JOBS:
        return now
    commune = app.commune
    calendar = WorkCalendar(commune.extra_days_off, commune.extra_working_days)
    day = now.astimezone(commune.zone).date()
    if calendar.is_working_day(day):
        return now
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, WORKDAY_HOUR, commune.zone)


async def fire(app: LoaXa, name: str, t: Translator) -> str:
    """Run one job now and describe what it did; KeyError when there is no such job."""
    scheduler = getattr(app, "scheduler", None)
    jobs = getattr(scheduler, "jobs", {}) or {}
    job = jobs[name]
    now = utcnow()
    moment = as_of(app, name, now)
    if moment == now:
        result = await scheduler.run_now(name)
    else:
        result = await job.run(moment)
    log.info("demo fired the %s job: %s", name, result)
    day = moment.astimezone(app.commune.zone).strftime("%d/%m/%Y")
    return describe(t, name, result, day, moment != now)


def describe(t: Translator, name: str, result: object, day: str, shifted: bool) -> str:
    """Put a job's result in words for the page."""
    prefix = t("webdemo.as_of_workday", day=day) + " " if shifted else ""
    if all(hasattr(result, a) for a in ("reminded", "escalated", "pushes")):
        return prefix + t(
            "webdemo.result_deadlines",
            day=day,
            reminded=result.reminded,
            escalated=result.escalated,
            pushes=result.pushes,
        )
    if isinstance(result, dict):
        parts = [part for key, value in result.items() if (part := _counter(t, key, value))]
        if not parts:
            return prefix + t("webdemo.result_nothing")
        return prefix + t("webdemo.result_details", details="; ".join(parts))
    if isinstance(result, int) and t.has(f"webdemo.result_{name}"):  # a count, e.g. closed
        key = f"webdemo.result_{name}" if result else "webdemo.result_nothing"
        return prefix + t(key, value=result)
    return prefix + t("webdemo.result_done")


def _counter(t: Translator, key: str, value: object) -> str | None:
    """One entry of a job's result in the catalog's words (webdemo.result_<key>), None for
    a zero or an entry the catalog has no words for: never a raw key on the page."""
    kind, _, which = key.partition("@")  # "survey-open@2026-q4": the round's id after @
    label = f"webdemo.result_{kind.replace('-', '_')}"
    if not t.has(label) or value in (0, None, ""):
        log.debug("demo job result %s=%r not shown", key, value)
        return None
    if kind == "week":  # "2026-W48": the week's number, as the digest names it
        value = int(str(value).rpartition("W")[2])
    return t(label, value=value, round=_round_title(which))


def _round_title(round_id: str) -> str:
    from content.pulse import bank

    found = next((r for r in bank().rounds if r.id == round_id), None)
    return found.title if found else round_id
