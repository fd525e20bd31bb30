"""Sending an official's broadcast: its audience, each recipient's quiet hours, one
transaction; cancelling a scheduled one; and the author's delivery report.

A broadcast is accepted once its outbox rows and its 'queued' mark are committed together;
only then is the author told. A scheduled broadcast is enqueued at once with `not_before`
set to its time (later for recipients in their quiet hours), so cancelling it is cancelling
its pending rows. An attachment travels inside every recipient's outbox row, so it is sent
only while its size times the recipients stays within ATTACH_BUDGET; above that the
broadcast goes out as text and the preview says so.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import Commune
from bot.i18n import Translator, translator
from bot.messages import Media, Reply
from bot.outreach import Audience, QuietClock
from bot.text import snippet
from handlers.base import number
from storage import Storage
from storage.broadcasts import Broadcast, report_source, source
from storage.db import utcnow
from storage.models import Topic
from storage.outbox import Push

PRIORITY = 6  # after one-to-one notifications (0-5), before survey invitations and campaigns
REPORT_PRIORITY = 2
ATTACH_BUDGET = 32 * 1024 * 1024  # bytes of the attachment times its recipients, in the outbox
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's or document's caption


@dataclass(frozen=True, slots=True)
class Sent:
    """What confirming a broadcast did."""

    recipients: int
    held: int  # recipients in their quiet hours at the send time: they get it in the morning


def audience_from(draft: dict, hamlets: Sequence[str]) -> Audience:
    """Rebuild the chosen audience from a session draft (hamlets stored by index)."""
    kind = draft.get("aud", "all")
    if kind == "hamlets":
        chosen = tuple(hamlets[i] for i in sorted(draft.get("hamlets", ())) if i < len(hamlets))
        return Audience("hamlets", hamlets=chosen)
    if kind == "topic":
        topic = next((t for t in Topic if t.value == draft.get("topic")), Topic.ANNOUNCEMENTS)
        return Audience("topic", topic=topic)
    return Audience("all")


def describe(t: Translator, audience: Audience | Broadcast) -> str:
    """Say who an audience is, in words."""
    if isinstance(audience, Broadcast):
        kind, arg = audience.audience, audience.audience_arg
    else:
        kind = audience.kind
        arg = list(audience.hamlets) if kind == "hamlets" else str(audience.topic or "")
    if kind == "hamlets":
        return t("outreach.bc_to_hamlets", hamlets=", ".join(arg))
    if kind == "topic":
        return t("outreach.bc_to_topic", topic=t(f"outreach.topic_{arg}"))
    return t("outreach.bc_to_all")


async def count(store: Storage, audience: Audience) -> int:
    """Count who would receive a broadcast to this audience now."""
    return await audience.count(store, Topic.ANNOUNCEMENTS)


async def attachment(store: Storage, broadcast_id: int, count: int) -> tuple[Media | None, bool]:
    """Return the attachment to send to `count` people, and whether it had to be left out."""
    stored = await store.broadcasts.media(broadcast_id)
    if stored is None:
        return None, False
    kind, name, data = stored
    if len(data) * max(count, 1) > ATTACH_BUDGET:
        return None, True
    return Media(kind, name, data), False


async def send(
    store: Storage,
    commune: Commune,
    broadcast_id: int,
    audience: Audience,
    send_at: datetime,
    now: datetime,
) -> Sent | None:
    """Enqueue a draft for its audience in one transaction; None when it was already sent.

    The audience is read and enqueued a page at a time inside the transaction (nothing
    else writes meanwhile), so memory stays flat whatever the number of recipients.
    """
    broadcast = await store.broadcasts.get(broadcast_id)
    if broadcast is None or broadcast.status != "draft":
        return None
    arg = list(audience.hamlets) if audience.kind == "hamlets" else str(audience.topic or "")
    total = held = 0
    async with store.db.transaction():
        people = await count(store, audience)
        media, _ = await attachment(store, broadcast_id, people)
        reply = Reply(broadcast.text, media=media)
        if not await store.broadcasts.queue(broadcast_id, audience.kind, arg, people, send_at, now):
            return None
        async for page in audience.pages(store, Topic.ANNOUNCEMENTS):
            clock = await QuietClock.load(store, commune, [r.id for r in page])
            pushes = [
                Push(r.channel, r.chat_id, reply, kind="broadcast", source=source(broadcast_id),
                     priority=PRIORITY, resident_id=r.id,
                     not_before=clock.not_before(r.id, send_at, now))
                for r in page
            ]  # fmt: skip
            await store.outbox.enqueue(pushes)
            total += len(pushes)
            held += sum(1 for p in pushes if p.not_before is not None and p.not_before > send_at)
    return Sent(total, held)


async def cancel(store: Storage, broadcast_id: int, now: datetime) -> int | None:
    """Cancel a queued broadcast's unsent rows; None when it is not queued."""
    async with store.db.transaction():
        if not await store.broadcasts.cancel(broadcast_id, now):
            return None
        return await store.outbox.cancel(source(broadcast_id))


async def report_finished(
    store: Storage, commune: Commune, now: datetime, only: Collection[int] | None = None
) -> dict[str, int]:
    """Send each author the report of their broadcasts whose every row is settled, once."""
    reported = 0
    for broadcast in await store.broadcasts.due_for_report(now):
        if only is not None and broadcast.id not in only:
            continue
        counts = await store.outbox.progress(source(broadcast.id))
        if counts["pending"] or counts["sending"]:
            continue
        t = translator(broadcast.language, commune.address)
        text = t(
            "outreach.bc_report",
            id=broadcast.id,
            total=broadcast.recipients,
            sent=counts["sent"],
            unreachable=counts["unreachable"],
            failed=counts["failed"],
            cancelled=counts["cancelled"],
            audience=describe(t, broadcast),
            excerpt=excerpt(broadcast.text),
        )
        if counts["held"]:  # OA followers outside the 7-day window: not unreachable
            text += " " + t("outreach.bc_report_held", held=counts["held"])
        push = Push(broadcast.author_channel, broadcast.author_chat, Reply(text), kind="notify",
                    source=report_source(broadcast.id), priority=REPORT_PRIORITY)  # fmt: skip
        async with store.db.transaction():
            if await store.broadcasts.mark_done(broadcast.id, now):
                reported += await store.outbox.enqueue([push])
    return {"reports": reported}


def report_when_settled(store: Storage, commune: Commune):
    """Return the delivery's `on_settled`: reports a broadcast as its last row settles
    (the reports' job every 5 minutes stays as a safety net)."""

    kind = source(0).partition(":")[0]  # "broadcast", not "broadcast-report"

    async def settled(sources: set[str]) -> dict[str, int]:
        parts = (s.split(":") for s in sources)
        ids = {number(p[1]) for p in parts if p[0] == kind and len(p) > 1} - {None}
        return await report_finished(store, commune, utcnow(), ids) if ids else {"reports": 0}

    return settled


def excerpt(text: str, limit: int = 60) -> str:
    """Return the start of a text, on one line, cut at a word."""
    return snippet(text, limit)
