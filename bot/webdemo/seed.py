"""A realistic few weeks of a commune, written through the real repositories.

The people and texts come from `seed_data.toml` (invented demo data); service ratings,
library reads and quiz answers, and answers to the survey round open today (if any) are
added through their repositories too. Residents and staff
get a user on the emulator through `add_user`, so the page can speak as any of them.
Feedback goes through `FeedbackRepo.create` and `apply` with the status machine of
`handlers/feedback_status.py`, exactly as the flows record it, then its history is moved
into the past with `FeedbackRepo.backdate`. Nothing is pushed: this is history, already read.
"""

from __future__ import annotations

import logging
import random
import struct
import tomllib
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from importlib import resources
from typing import Any

from bot.config import Commune
from bot.workdays import WorkCalendar
from content import get_library
from content.pulse import bank as pulse_bank
from handlers.feedback_status import Action, Status, next_status
from handlers.onboarding import SUBSCRIPTION_PLANS
from storage import Storage
from storage.db import utcnow
from storage.feedback import NewFeedback
from storage.models import Role, Staff, Topic
from storage.ratings import NewRating

log = logging.getLogger(__name__)

CHANNEL = "telegram"
DEMO_LOCATION = (21.5942, 105.8480)  # a fixed demo point; "send location" uses it too
STAFF_ACTIONS = {a.value for a in Action} - {Action.REOPEN, Action.CONFIRM, Action.REMARK}


@dataclass(frozen=True, slots=True)
class SeededPerson:
    """Someone the demo can speak as: a staff member, a resident, or the newcomer."""

    key: str
    name: str
    role: Role
    user_id: str
    hamlet: str | None = None
    registered: bool = True


@dataclass
class SeedResult:
    """Who was created, how feedback items ended up, and what else was recorded."""

    people: list[SeededPerson] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    overdue: int = 0
    ratings: int = 0
    reads: int = 0
    survey_answers: int = 0  # residents who completed the survey round open today
    oa_follower: str = ""  # the name of the Zalo OA follower the demo starts with


def load_data() -> dict[str, Any]:
    """Read the bundled demo data."""
    text = resources.files("bot.webdemo").joinpath("seed_data.toml").read_text("utf-8")
    return tomllib.loads(text)


def demo_png(seed: int, width: int = 96, height: int = 64) -> bytes:
    """Make a small gradient PNG, a stand-in for a resident's photo."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes(((x * 2 + seed * 40) % 256, (y * 3 + seed * 70) % 256, 140))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


class _Seeder:
    def __init__(
        self,
        store: Storage,
        commune: Commune,
        add_user: Callable[[str], str],
        now: datetime,
    ) -> None:
        self.store, self.commune, self.add_user, self.now = store, commune, add_user, now
        self.calendar = WorkCalendar(commune.extra_days_off, commune.extra_working_days)
        self.result = SeedResult()
        self.staff: dict[str, Staff] = {}
        self.residents: dict[str, tuple[int, str, str | None]] = {}  # key -> id, user, hamlet

    def hamlet(self, index: int | None) -> str | None:
        hamlets = self.commune.hamlets
        return None if index is None else hamlets[index % len(hamlets)]

    async def people(self, data: dict[str, Any]) -> None:
        for entry in data.get("staff", ()):
            role, hamlet = Role(entry["role"]), self.hamlet(entry.get("hamlet"))
            user_id = self.add_user(entry["name"])
            member = await self.store.staff.upsert(
                CHANNEL, user_id, entry["name"], role, hamlet=hamlet
            )
            self.staff[entry["key"]] = member
            self.result.people.append(
                SeededPerson(entry["key"], entry["name"], role, user_id, hamlet)
            )
        for number, entry in enumerate(data.get("residents", ())):
            key, hamlet = entry.get("key", f"resident{number}"), self.hamlet(entry["hamlet"])
            user_id = self.add_user(entry["name"])
            resident = await self.store.residents.register(
                CHANNEL, user_id, user_id, entry["name"], self.commune.language
            )
            await self.store.residents.set_hamlet(resident.id, hamlet)
            await self.store.residents.set_subscriptions(
                resident.id, SUBSCRIPTION_PLANS[entry.get("subs", "all")]
            )
            self.residents[key] = (resident.id, user_id, hamlet)
            self.result.people.append(
                SeededPerson(key, entry["name"], Role.RESIDENT, user_id, hamlet)
            )
        self.result.oa_follower = (data.get("oa_follower") or {}).get("name", "")
        newcomer = data.get("newcomer")
        if newcomer:
            user_id = self.add_user(newcomer["name"])
            self.result.people.insert(
                0,
                SeededPerson("newcomer", newcomer["name"], Role.RESIDENT, user_id, None, False),
            )

    def sent_at(self, number: int, days_ago: float) -> datetime:
        """When an item was sent: recent ones by the hour, older ones in a morning."""
        if days_ago < 1:
            return self.now - timedelta(days=days_ago)
        local = self.now.astimezone(self.commune.zone)
        day = local.date() - timedelta(days=int(days_ago))
        minutes = 7 * 60 + 30 + (number * 53) % 240  # 07:30 to 11:30
        start = datetime.combine(day, time(), self.commune.zone)
        return start + timedelta(minutes=minutes)

    def _sender(self, key: str) -> tuple[int | None, Staff | None, str, str | None]:
        """Return (resident id, hamlet head, user id, hamlet) of who sent an item."""
        if key in self.residents:
            resident_id, user_id, hamlet = self.residents[key]
            return resident_id, None, user_id, hamlet
        head = self.staff[key]
        return None, head, head.user_id, head.hamlet

    async def feedback(self, number: int, entry: dict[str, Any]) -> None:
        resident_id, head, user_id, hamlet = self._sender(entry["by"])
        category = self.commune.category(entry["category"]) or self.commune.categories[0]
        sent_at = self.sent_at(number, entry["days_ago"])
        sent_day = sent_at.astimezone(self.commune.zone).date()
        place = entry.get("place", "skip")
        point = (
            (DEMO_LOCATION[0] + 0.003 * number, DEMO_LOCATION[1] - 0.002 * number)
            if place == "map"
            else (None, None)
        )
        media = []
        if entry.get("photo"):
            ref, data = f"demo-photo-{number}", demo_png(number)
            media.append(await self.store.media.add(CHANNEL, user_id, ref, data))
        new = NewFeedback(
            channel=CHANNEL,
            kind=entry["kind"],
            category=category.id,
            description=entry["text"],
            deadline=self.calendar.add_working_days(sent_day, category.deadline_days),
            resident_id=resident_id,
            notify_channel=CHANNEL,
            notify_chat_id=user_id,
            submitted_by=head.id if head and entry.get("behalf") else None,
            on_behalf_of=entry.get("behalf"),
            hamlet=hamlet if place in ("hamlet", "map", "address") else None,
            address=entry.get("address") if place == "address" else None,
            latitude=point[0],
            longitude=point[1],
            anonymous=bool(entry.get("anonymous")),
            complainant_name=entry.get("complainant"),
        )
        item = await self.store.feedback.create(new, media, user_id)
        moments = [sent_at]
        for step in entry.get("steps", ()):
            at = sent_at + timedelta(days=step["day"])
            if at >= self.now:
                break
            item = await self._step(item, step)
            moments.append(at)
        await self.store.feedback.backdate(item.id, moments)
        self.result.statuses[item.status] += 1

    async def _step(self, item, step: dict[str, Any]):
        action = step["do"]
        if action == "rate":
            await self.store.feedback.rate(item.id, step["rating"], step.get("comment"))
            return item
        if action == Action.REOPEN:
            return await self.store.feedback.apply(
                item.id,
                action=action,
                expect_status=item.status,
                to_status=next_status(Action.REOPEN, Status(item.status)),
                actor="resident",
                escalate=True,
            )
        if action not in STAFF_ACTIONS:
            raise ValueError(f"seed data: unknown step {action!r}")
        me, to = self.staff[step["staff"]], self.staff.get(step.get("to", ""))
        return await self.store.feedback.apply(
            item.id,
            action=action,
            expect_status=item.status,
            to_status=next_status(Action(action), Status(item.status)),
            actor="staff",
            staff_id=me.id,
            staff_name=me.name,
            text=to.name if to else step.get("text"),
            internal=action == Action.NOTE,
            assignee_id=to.id if to else None,
            transferred_to=step.get("text") if action == Action.TRANSFER else None,
        )

    async def ratings(self, entries: list[dict[str, Any]]) -> None:
        """Service ratings after visits to the first desk (created now: no backdating API)."""
        services = self.commune.services
        desk = self.commune.desks[0].id if self.commune.desks else "xa"
        for entry in entries:
            if not services or entry["by"] not in self.residents:
                continue
            resident_id = self.residents[entry["by"]][0]
            quick = entry.get("mode") == "quick"
            visit = self.now - timedelta(days=entry["days_ago"])
            await self.store.ratings.add(
                NewRating(
                    resident_id=resident_id,
                    channel=CHANNEL,
                    desk=desk,
                    service=services[entry["service"] % len(services)].id,
                    visit_day=visit.astimezone(self.commune.zone).date(),
                    mode="quick" if quick else "full",
                    scores={} if quick else dict(enumerate(entry["scores"], 1)),
                    overall=entry.get("overall") if quick else None,
                    comment=entry.get("comment"),
                )
            )
            self.result.ratings += 1

    async def library_reads(self) -> None:
        """Residents who take outreach read a few library items over the weeks; some quiz."""
        items = get_library(self.commune.content_facts()).items
        if not items:
            return
        pick = random.Random(7)
        for number, (resident_id, _, _) in enumerate(self.residents.values()):
            if Topic.OUTREACH not in await self.store.residents.subscriptions(resident_id):
                continue
            for item in pick.sample(items, min(len(items), 2 + number % 4)):
                at = self.now - timedelta(days=pick.uniform(0.5, 25))
                await self.store.content.record_read(resident_id, item.id, item.topic, at)
                self.result.reads += 1
                if item.quiz and pick.random() < 0.6:
                    right = pick.random() < 0.75
                    wrong = [o for o in item.quiz.options if o != item.quiz.answer]
                    answer = item.quiz.answer if right or not wrong else pick.choice(wrong)
                    await self.store.content.record_answer(
                        resident_id, item.id, item.topic, answer, answer == item.quiz.answer, at
                    )

    async def survey(self) -> None:
        """About two residents in three have completed the survey round open today, if any."""
        today = self.now.astimezone(self.commune.zone).date()
        current = pulse_bank().current(today, examples=True)
        if current is None:
            return
        pick = random.Random(11)
        questions = pulse_bank().questions
        for number, (resident_id, _, hamlet) in enumerate(self.residents.values()):
            if number % 3 == 2 or not current.reaches(hamlet):
                continue
            for question_id in current.questions:
                question = questions[question_id]
                yes_no = question.scale == "yes_no"
                value = int(pick.random() < 0.7) if yes_no else pick.choice((2, 3, 4, 4, 5))
                await self.store.surveys.record(current.id, resident_id, question_id, hamlet, value)
            await self.store.surveys.complete(current.id, resident_id)
            self.result.survey_answers += 1


async def seed(
    store: Storage,
    commune: Commune,
    add_user: Callable[[str], str],
    now: datetime | None = None,
) -> SeedResult:
    """Fill a fresh database with a few weeks of a commune; return who can be played."""
    seeder = _Seeder(store, commune, add_user, now or utcnow())
    data = load_data()
    await seeder.people(data)
    for number, entry in enumerate(data.get("feedback", ())):
        await seeder.feedback(number, entry)
    await seeder.ratings(data.get("ratings", []))
    await seeder.library_reads()
    await seeder.survey()
    today = seeder.now.astimezone(commune.zone).date()
    seeder.result.overdue = len(
        [i for i in await store.feedback.open_due_by(today) if i.deadline < today]
    )
    log.info("demo data: %d people, feedback %s", len(seeder.result.people), seeder.result.statuses)
    return seeder.result
