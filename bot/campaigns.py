"""Campaign firings: each resident in a campaign's audience gets the next library item of its
topics that no campaign has sent them yet, at most one item per firing.

A firing is named "<campaign>@<its scheduled local minute>" (the latest cron time at or
before the moment it runs, so a catch-up after downtime has the same name as the firing it
replaces). Items go out in batches: per batch, one transaction records the deliveries in
`content_deliveries` and enqueues exactly the pushes of the pairs newly recorded, so a
crash, a retried job or two campaigns sharing a topic never send an item twice to anyone.
Each push waits for the end of its recipient's quiet hours (held, not dropped).

Only items an official has reviewed (`reviewed: true`, `loaxa content review`) go out: an
item nobody confirmed may state a fact wrongly, and a push cannot be taken back. When a
campaign passes over unreviewed items, the admins are told how many wait for review, once
for each number (the outbox keeps one push per source and chat). `loaxa demo` sends them
too (`unreviewed=True`), each with the note that it waits for an official's check.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.config import Commune
from bot.i18n import Translator, translator
from bot.messages import Reply
from bot.outreach import Audience, QuietClock
from bot.scheduler import Job
from content import Item, Library, get_library, show_date
from content.campaigns import Campaign, Subscribers, cron_fields, get_campaigns
from handlers.base import make_choice
from handlers.library import KEY as LIBRARY
from storage import Storage
from storage.models import Role, Topic
from storage.outbox import Push, PushKind

log = logging.getLogger(__name__)

BATCH = 500  # residents per transaction: one outbox insert and one deliveries insert each
PRIORITY = 9  # the bulkiest pushes: any notification or announcement overtakes them
_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=32),
            timedelta(days=367))  # fmt: skip


def latest_firing(trigger: CronTrigger, moment: datetime) -> datetime | None:
    """Return the trigger's latest time at or before `moment` (within a year), or None."""
    for window in _WINDOWS:
        current = trigger.get_next_fire_time(None, moment - window)
        if current is None or current > moment:
            continue
        while True:
            following = trigger.get_next_fire_time(current, current + timedelta(seconds=1))
            if following is None or following > moment:
                return current
            current = following
    return None


def period_of(campaign: Campaign):
    """Return the Job period function of a campaign: its scheduled local minute."""
    fields = cron_fields(campaign.cron)

    def period(moment: datetime, zone: ZoneInfo) -> str:
        scheduled = latest_firing(CronTrigger(timezone=zone, **fields), moment) or moment
        return scheduled.astimezone(zone).strftime("%Y-%m-%dT%H:%M")

    return period


def audience_of(campaign: Campaign) -> Audience:
    """Return who a campaign is for."""
    if isinstance(campaign.audience, Subscribers):
        return Audience("topic", topic=campaign.audience.subscribers)
    if campaign.audience == "everyone":
        return Audience("all")
    return Audience("hamlets", hamlets=tuple(campaign.audience.hamlets))


def items_of(campaign: Campaign, library: Library, *, unreviewed: bool = False) -> list[Item]:
    """Return a campaign's items in sending order (topics as listed, items in file order):
    the reviewed ones, or every one when `unreviewed` (the demo)."""
    topics = (library.topic(topic_id) for topic_id in campaign.topics)
    found = [item for topic in topics if topic is not None for item in topic.items]
    return [item for item in found if unreviewed or item.reviewed]


def render(t: Translator, library: Library, item: Item) -> Reply:
    """Make the message of one item, with its quiz and "more on this topic" buttons."""
    parts = [item.body]
    citation = _citation(t, library, item)
    if citation:
        parts.append(citation)
    if item.link:
        parts.append(t("library.link", link=item.link))
    if not item.reviewed:
        parts.append(t("library.unreviewed"))
    parts.append(t("outreach.campaign_footer"))
    buttons = []
    if item.quiz:
        buttons.append(make_choice(f"{LIBRARY}:quiz:{item.id}", t("library.take_quiz")))
    buttons.append(make_choice(f"{LIBRARY}:topic:{item.topic}", t("outreach.campaign_more")))
    return Reply("\n\n".join(parts), choices=tuple(buttons), title=item.title)


def _citation(t: Translator, library: Library, item: Item) -> str | None:
    doc = library.documents.get(item.source) if item.source else None
    if doc is None:
        return None
    newer = library.documents.get(item.superseded_by) if item.superseded_by else None
    if newer is not None:
        return t("library.source_replaced", cite=doc.cite, newer=newer.cite)
    starts = item.applies_from or doc.in_force
    if starts is not None:
        return t("library.source_from", cite=doc.cite, date=show_date(starts))
    return t("library.source", cite=doc.cite)


async def run_campaign(
    store: Storage,
    commune: Commune,
    campaign: Campaign,
    now: datetime,
    *,
    library: Library | None = None,
    unreviewed: bool = False,
) -> dict[str, int]:
    """Fire a campaign once for the firing `now` belongs to; return what it enqueued."""
    library = library or get_library(commune.content_facts())
    firing = f"{campaign.id}@{period_of(campaign)(now, commune.zone)}"
    items = items_of(campaign, library, unreviewed=unreviewed)
    skipped = len(items_of(campaign, library, unreviewed=True)) - len(items)
    waiting = await _tell_admins_what_waits(store, commune, library) if skipped else 0
    served = await store.deliveries.served(firing)
    delivered = await store.deliveries.delivered({item.id for item in items})
    replies: dict[tuple[str, str], Reply] = {}
    enqueued = held = finished = 0
    async for page in audience_of(campaign).pages(store, Topic.OUTREACH, size=BATCH):
        planned = []
        for resident in page:
            if resident.id in served:
                continue
            had = delivered.get(resident.id, set())
            item = next((i for i in items if i.id not in had), None)
            if item is None:
                finished += 1
            else:
                planned.append((resident, item))
        if not planned:
            continue
        clock = await QuietClock.load(store, commune, [resident.id for resident, _ in planned])
        pushes = {}
        for resident, item in planned:
            key = (resident.language, item.id)
            if key not in replies:
                replies[key] = render(translator(resident.language, commune.address), library, item)
            pushes[(resident.id, item.id)] = Push(
                resident.channel, resident.chat_id, replies[key], kind="campaign",
                source=f"campaign:{campaign.id}:{item.id}", priority=PRIORITY,
                resident_id=resident.id, not_before=clock.not_before(resident.id, now, now),
            )  # fmt: skip
        async with store.db.transaction():
            fresh = await store.deliveries.claim(pushes, campaign.id, firing, now)
            accepted = [push for pair, push in pushes.items() if pair in fresh]
            enqueued += await store.outbox.enqueue(accepted)
        held += sum(1 for push in accepted if push.not_before is not None)
    log.info("campaign %s (%s): %d items enqueued, %d held for quiet hours, %d unreviewed skipped",
             campaign.id, firing, enqueued, held, skipped)  # fmt: skip
    return {"enqueued": enqueued, "held_until_morning": held, "finished_all_items": finished,
            "unreviewed_skipped": skipped, "admins_told": waiting}  # fmt: skip


async def _tell_admins_what_waits(store: Storage, commune: Commune, library: Library) -> int:
    """Tell each admin how many library items wait for review, once for each number;
    return how many admins were told now."""
    count = sum(1 for item in library.items if not item.reviewed)
    admins = await store.staff.list_by_role(Role.ADMIN)
    if not admins:
        log.warning("%d library items wait for review and no admin is listed to be told", count)
        return 0
    reply = Reply(translator(commune.language)("library.unreviewed_waiting", count=count))
    pushes = [
        Push(admin.channel, admin.user_id, reply, kind=PushKind.ALERT,
             source=f"library:unreviewed:{count}", priority=PRIORITY)
        for admin in admins
    ]  # fmt: skip
    return await store.outbox.enqueue(pushes)


def campaign_jobs(
    store: Storage,
    commune: Commune,
    campaigns: Sequence[Campaign] | None = None,
    library: Library | None = None,
    *,
    unreviewed: bool = False,
) -> list[Job]:
    """Return one scheduler job per enabled campaign (`unreviewed`: the demo's, which also
    sends the items no official has reviewed)."""
    jobs = []
    for campaign in get_campaigns() if campaigns is None else campaigns:
        _warn_unknown(campaign, commune, library or get_library(commune.content_facts()))

        async def run(now: datetime, campaign: Campaign = campaign) -> dict[str, int]:
            return await run_campaign(
                store, commune, campaign, now, library=library, unreviewed=unreviewed
            )

        fields = cron_fields(campaign.cron)
        jobs.append(Job(campaign.job_name, run, fields, period_of(campaign)))
    return jobs


def _warn_unknown(campaign: Campaign, commune: Commune, library: Library) -> None:
    for topic_id in campaign.topics:
        if library.topic(topic_id) is None:
            log.warning("campaign %s: no library topic %r", campaign.id, topic_id)
    hamlets = getattr(campaign.audience, "hamlets", ())
    for hamlet in hamlets:
        if hamlet not in commune.hamlets:
            log.warning("campaign %s: hamlet %r is not in the commune file", campaign.id, hamlet)


def minute(moment: datetime, zone: ZoneInfo) -> str:
    """Period key of a job that runs every few minutes: the local minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def outreach_jobs(store: Storage, commune: Commune, *, unreviewed: bool = False) -> list[Job]:
    """Return the campaigns' jobs and the broadcast reports' job."""
    from handlers.broadcast_send import report_finished

    async def broadcast_reports(now: datetime) -> dict[str, int]:
        """Report finished broadcasts to their authors; forget drafts given up."""
        done = await report_finished(store, commune, now)
        cutoff = now - timedelta(minutes=commune.session_minutes)
        return done | {"drafts_purged": await store.broadcasts.purge_drafts(cutoff)}

    # Every 5 minutes and never caught up: each run looks at everything still open.
    reports = Job("broadcast-reports", broadcast_reports, {"minute": "*/5"}, minute, False)
    return [*campaign_jobs(store, commune, unreviewed=unreviewed), reports]
