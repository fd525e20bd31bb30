"""The weekly digest as a whole: text, chart and workbook, and its delivery to the leaders.

Pushes go through the outbox (kind "digest"), three per chat (text, chart, workbook), with
sources "digest:<week>:<part>": the scheduler's weekly key and the outbox's uniqueness
together make a second run of the same week send nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

import content
from bot.config import Commune
from bot.digest.chart import digest_chart
from bot.digest.data import gather
from bot.digest.period import Period
from bot.digest.text import digest_text
from bot.digest.workbook import digest_workbook
from bot.i18n import translator
from bot.messages import Media, Reply
from bot.quiet import next_allowed
from storage import Storage
from storage.models import Role
from storage.outbox import Push, PushKind

log = logging.getLogger(__name__)

PRIORITY = 3  # ahead of bulk outreach, behind one-to-one notifications
GROUP_CHANNEL = "telegram"  # the leadership group chat is a Telegram group


@dataclass(frozen=True)
class Digest:
    """One week's digest, ready to send or to save."""

    week: Period
    text: str
    chart: bytes  # PNG
    workbook: bytes  # XLSX

    @property
    def chart_name(self) -> str:
        return f"bao-cao-tuan-{self.week.iso_week}.png"

    @property
    def workbook_name(self) -> str:
        return f"bao-cao-tuan-{self.week.iso_week}.xlsx"

    def replies(self, language: str | None = None) -> list[Reply]:
        """The digest as three messages: text, chart, workbook."""
        t = translator(language)
        week, year = self.week.week_number
        return [
            Reply(self.text),
            Reply(
                t("reports.chart_caption", week=week, year=year),
                media=Media("photo", self.chart_name, self.chart),
            ),
            Reply(
                t("reports.workbook_caption", week=week, year=year),
                media=Media("document", self.workbook_name, self.workbook),
            ),
        ]


async def build_digest(store: Storage, commune: Commune, week: Period) -> Digest:
    """Gather a week's figures and lay them out as text, chart and workbook."""
    data = await gather(store, commune, week)
    t = translator(commune.language)
    library = content.get_library(commune.content_facts())
    # Drawing and writing the workbook take a second or two of CPU: keep the bot answering.
    chart = await asyncio.to_thread(digest_chart, data, commune, t)
    workbook = await asyncio.to_thread(digest_workbook, data, commune, library, t)
    return Digest(
        week=week, text=digest_text(data, commune, library, t), chart=chart, workbook=workbook
    )


async def recipients(store: Storage, commune: Commune) -> list[tuple[str, str]]:
    """Return the (channel, chat) of every leader and of the leadership group, if any."""
    chats = [(s.channel, s.user_id) for s in await store.staff.list_by_role(Role.LEADER)]
    group = commune.digest.leadership_group_chat
    if group:
        chats.append((GROUP_CHANNEL, group))
    return sorted(set(chats))


async def send_digest(store: Storage, commune: Commune, digest: Digest, now: datetime) -> int:
    """Queue the digest for every leader and the leadership group; return rows queued."""
    quiet = commune.quiet_hours
    when = next_allowed(now, quiet.start, quiet.end, commune.zone)
    parts = ("text", "chart", "workbook")
    pushes = [
        Push(
            channel,
            chat,
            reply,
            kind=PushKind.DIGEST,
            source=f"digest:{digest.week.iso_week}:{part}",
            priority=PRIORITY,
            not_before=when if when != now else None,
        )
        for channel, chat in await recipients(store, commune)
        for part, reply in zip(parts, digest.replies(commune.language), strict=True)
    ]
    return await store.outbox.enqueue(pushes)


async def weekly_digest(store: Storage, commune: Commune, now: datetime) -> dict[str, object]:
    """The scheduled job: last week's digest to the leaders."""
    week = Period.last_full_week(now, commune.zone)
    digest = await build_digest(store, commune, week)
    queued = await send_digest(store, commune, digest, now)
    log.info("digest of %s queued for %d chats", week.iso_week, queued // 3)
    return {"week": week.iso_week, "queued": queued}
