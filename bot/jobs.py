"""The commune's scheduled jobs, built from configuration at every start."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import backups
from bot.campaigns import outreach_jobs
from bot.config import Commune
from bot.scheduler import Job, weekly
from content.pulse import bank
from handlers import consult_results, survey
from handlers.deadlines import check_deadlines
from storage import Storage

log = logging.getLogger(__name__)


def build_jobs(
    store: Storage,
    commune: Commune,
    backup: backups.BackupPolicy | None = None,
    *,
    demo: bool = False,
    console_url: str = "",
) -> list[Job]:
    """Return every job: deadline checks, survey rounds, housekeeping, the daily backup
    (`demo`: campaigns also send unreviewed items, with their note; `console_url`: the staff
    console's base URL, linked from staff pushes)."""

    async def deadlines(now: datetime) -> object:
        today = now.astimezone(commune.zone).date()
        return await check_deadlines(store, commune, today, console_url)

    async def surveys(now: datetime) -> dict[str, int]:
        """Open rounds that started and close rounds that ended, each exactly once."""
        today, done = now.astimezone(commune.zone).date(), {}
        for current in bank().rounds:
            if current.example and not demo:
                continue  # shipped to show the format; only the demo runs it
            opening, closing = f"survey-open@{current.id}", f"survey-close@{current.id}"
            # Claimed after the work: a crash in between re-runs it, and the outbox keeps
            # pushes unique by source, so nobody is invited or told the results twice.
            if current.open_on(today) and not await store.jobs.fired(opening):
                done[opening] = await survey.open_round(store, commune, current, now)
                await store.jobs.claim(opening, "survey-open")
            if current.end < today and not await store.jobs.fired(closing):
                done[closing] = await survey.close_round(store, commune, current, now)
                await store.jobs.claim(closing, "survey-close")
        return done

    async def consultations(now: datetime) -> int:
        """Close the consultations whose last day has passed and send their results."""
        today = now.astimezone(commune.zone).date()
        due = await store.participation.due_to_close(today)
        return sum([await consult_results.close(store, commune, c) for c in due])

    async def housekeeping(now: datetime) -> dict[str, int]:
        """Forget expired conversations and the photos of drafts never sent."""
        cutoff = now - timedelta(minutes=commune.session_minutes)
        return {
            "sessions": await store.sessions.purge_expired(now),
            "orphan_photos": await store.media.purge_orphans(cutoff),
            # The five-minute report job's keys are timestamps that never come back.
            "job_runs": await store.jobs.prune("broadcast-reports", now - timedelta(days=7)),
            "publication_drafts": await store.publications.purge_drafts(cutoff),
            "web_sign_ins": await store.web_sessions.purge_expired(now),
        }

    async def digest(now: datetime) -> dict[str, object]:
        """Last week's digest to every leader (and the leadership group), once a week."""
        from bot.digest.build import weekly_digest  # matplotlib loads only when it runs

        return await weekly_digest(store, commune, now)

    async def backup_job(now: datetime) -> dict[str, object]:
        """Write today's backup, check it, and delete the copies no longer kept."""
        assert backup is not None
        return await backups.take(store, backup, now)

    when = commune.digest
    daily_backup = [Job("backup", backup_job, {"hour": 2, "minute": 45})] if backup else []
    return [
        *daily_backup,
        Job(
            "digest",
            digest,
            {"day_of_week": when.weekday, "hour": when.at.hour, "minute": when.at.minute},
            weekly,
        ),
        Job("deadlines", deadlines, {"hour": 8, "minute": 0}),
        Job("surveys", surveys, {"hour": 7, "minute": 0}),
        Job("consultations", consultations, {"hour": 6, "minute": 45}),
        Job("housekeeping", housekeeping, {"hour": 3, "minute": 15}),
        *outreach_jobs(store, commune, unreviewed=demo),  # one job per campaign; reports
    ]
