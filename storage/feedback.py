"""Feedback items (phản ánh, kiến nghị), their history, and the queries staff and reports need."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import aiosqlite

from storage.db import Database, from_db_time, to_db_time, utcnow
from storage.feedback_queries import FeedbackQueries

# No 0/O, 1/I/L, no U/V confusion when read aloud or typed from a note.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_PREFIX = "PA-"
CODE_LENGTH = 5

OPEN_SQL = "('new', 'acknowledged', 'in_progress', 'answered', 'reopened')"
# Complaints and denunciations follow the time limits of their laws (Luật Khiếu nại
# 02/2011/QH13, Luật Tố cáo 25/2018/QH14), never the commune's feedback deadline: they are
# never reminded about, escalated or counted as overdue feedback.
FORMAL_KINDS = frozenset({"complaint", "denunciation"})
FORMAL_SQL = "('complaint', 'denunciation')"

_COLUMNS = (
    "id, code, channel, resident_id, submitted_by, on_behalf_of, kind, category, description,"
    " hamlet, address, latitude, longitude, anonymous, status, assignee_id, escalated, deadline,"
    " last_answer, transferred_to, rating, rating_comment, created_at, updated_at, resolved_at,"
    " erased_at, complainant_name"
)


class StaleItem(Exception):
    """The item changed (someone else acted first); reload and decide again."""


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    id: int
    code: str
    channel: str
    resident_id: int | None
    submitted_by: int | None
    on_behalf_of: str | None
    kind: str
    category: str
    description: str
    hamlet: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    anonymous: bool
    status: str
    assignee_id: int | None
    escalated: bool
    deadline: date
    last_answer: str | None
    transferred_to: str | None
    rating: int | None
    rating_comment: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    erased_at: datetime | None = None  # the sender erased their data: text, place, photos gone
    complainant_name: str | None = None  # a complaint's or denunciation's sender, as typed

    @property
    def formal(self) -> bool:
        """A complaint or a denunciation: the law's time limits apply, not the commune's."""
        return self.kind in FORMAL_KINDS


@dataclass(frozen=True, slots=True)
class NewFeedback:
    channel: str
    kind: str
    category: str
    description: str
    deadline: date
    resident_id: int | None = None
    notify_channel: str | None = None
    notify_chat_id: str | None = None
    submitted_by: int | None = None
    on_behalf_of: str | None = None
    hamlet: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    anonymous: bool = False
    complainant_name: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    actor: str
    staff_name: str | None
    action: str
    from_status: str | None
    to_status: str | None
    text: str | None
    internal: bool


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which items an inbox page shows; None means "any"."""

    statuses: frozenset[str] = frozenset()
    overdue_on: date | None = None  # open items whose deadline is before this date
    assignee_id: int | None = None
    category: str | None = None
    hamlet: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def new_code() -> str:
    """Make a short tracking code that is easy to read aloud, e.g. PA-7K3M9."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str | None:
    """Turn what a person typed ("pa 7k3m9", "7K3M9") into a code, or None."""
    bare = "".join(c for c in typed.upper() if c.isalnum())
    bare = bare.removeprefix("PA")
    if len(bare) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in bare):
        return None
    return CODE_PREFIX + bare


def _to_item(row: aiosqlite.Row) -> FeedbackItem:
    values = dict(row)
    values["anonymous"] = bool(values["anonymous"])
    values["escalated"] = bool(values["escalated"])
    values["deadline"] = date.fromisoformat(values["deadline"])
    for key in ("created_at", "updated_at", "resolved_at", "erased_at"):
        values[key] = from_db_time(values[key])
    return FeedbackItem(**values)


class FeedbackRepo(FeedbackQueries):
    """Repository of feedback items and their events."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, new: NewFeedback, media_ids: Sequence[int] = (), user_id: str = ""
    ) -> FeedbackItem:
        """Store a new item with a fresh code, its photos and a first event, in one transaction."""
        now = to_db_time(utcnow())
        async with self.db.transaction() as conn:
            for _ in range(20):
                code = new_code()
                try:
                    cursor = await conn.execute(
                        "INSERT INTO feedback (code, channel, resident_id, notify_channel,"
                        " notify_chat_id, submitted_by, on_behalf_of, kind, category,"
                        " description, hamlet, address, latitude, longitude, anonymous,"
                        " deadline, created_at, updated_at, complainant_name)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (code, new.channel, new.resident_id, new.notify_channel,
                         new.notify_chat_id, new.submitted_by, new.on_behalf_of, new.kind,
                         new.category, new.description, new.hamlet, new.address, new.latitude,
                         new.longitude, int(new.anonymous), new.deadline.isoformat(), now, now,
                         new.complainant_name),
                    )  # fmt: skip
                    break
                except sqlite3.IntegrityError as exc:
                    if "code" not in str(exc):
                        raise
            else:
                raise RuntimeError("could not find a free tracking code")
            item_id = cursor.lastrowid
            await conn.executemany(
                "UPDATE media SET feedback_id = ?, user_id = NULL"
                " WHERE id = ? AND user_id = ? AND feedback_id IS NULL",
                [(item_id, media_id, user_id) for media_id in media_ids],
            )
            await self._event(
                conn, item_id, "resident", None, None, "submit", None, "new", None, False
            )
        item = await self.get(item_id)
        assert item is not None
        return item

    async def get(self, item_id: int) -> FeedbackItem | None:
        """Return an item by id, or None."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM feedback WHERE id = ?", (item_id,))
        return _to_item(row) if row else None

    async def get_by_code(self, code: str) -> FeedbackItem | None:
        """Return an item by its tracking code, or None."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM feedback WHERE code = ?", (code,))
        return _to_item(row) if row else None

    async def notify_target(self, item_id: int) -> tuple[str, str] | None:
        """Return where to tell the sender about their item (channel, chat), if anywhere."""
        row = await self.db.fetchone(
            "SELECT notify_channel, notify_chat_id FROM feedback WHERE id = ?", (item_id,)
        )
        if row is None or not row["notify_chat_id"]:
            return None
        return row["notify_channel"], row["notify_chat_id"]

    async def list_for_resident(self, resident_id: int, limit: int = 10) -> list[FeedbackItem]:
        """Return a resident's own items, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE resident_id = ? ORDER BY id DESC LIMIT ?",
            (resident_id, limit),
        )
        return [_to_item(row) for row in rows]

    async def list_for_submitter(self, staff_id: int, limit: int = 10) -> list[FeedbackItem]:
        """Return the items a hamlet head submitted on others' behalf, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE submitted_by = ? ORDER BY id DESC LIMIT ?",
            (staff_id, limit),
        )
        return [_to_item(row) for row in rows]

    async def count_open_by_sender(self, channel: str, chat_id: str) -> int:
        """Count the open items a chat has sent (for the limit on open items)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM feedback WHERE notify_channel = ? AND notify_chat_id = ?"
            f" AND status IN {OPEN_SQL}",
            (channel, chat_id),
        )

    async def count_sent_since(self, channel: str, chat_id: str, since: datetime) -> int:
        """Count the items a chat has sent since a moment (for the daily limit)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM feedback WHERE notify_channel = ? AND notify_chat_id = ?"
            " AND created_at >= ?",
            (channel, chat_id, to_db_time(since)),
        )

    async def inbox(
        self, flt: InboxFilter, offset: int, limit: int
    ) -> tuple[list[FeedbackItem], int]:
        """Return a page of matching items, most urgent deadline first, and the total."""
        where, params = ["1 = 1"], []
        if flt.statuses:
            where.append(f"status IN ({', '.join('?' for _ in flt.statuses)})")
            params += sorted(flt.statuses)
        if flt.overdue_on is not None:
            where.append(f"deadline < ? AND status IN {OPEN_SQL} AND kind NOT IN {FORMAL_SQL}")
            params.append(flt.overdue_on.isoformat())
        for column in ("assignee_id", "category", "hamlet"):
            value = getattr(flt, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = " AND ".join(where)
        total = await self.db.fetchval(f"SELECT COUNT(*) FROM feedback WHERE {clause}", params)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE {clause}"
            " ORDER BY deadline, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_to_item(row) for row in rows], total

    async def apply(
        self,
        item_id: int,
        *,
        action: str,
        expect_status: str,
        to_status: str,
        actor: str,
        staff_id: int | None = None,
        staff_name: str | None = None,
        text: str | None = None,
        internal: bool = False,
        assignee_id: int | None = None,
        transferred_to: str | None = None,
        escalate: bool = False,
    ) -> FeedbackItem:
        """Move an item from `expect_status` to `to_status` and record who did what.

        Raises StaleItem when the item is no longer in `expect_status` (someone acted first).
        """
        now = to_db_time(utcnow())
        sets = ["status = ?", "updated_at = ?"]
        params: list = [to_status, now]
        if text and not internal and action in ("answer", "resolve", "transfer", "reject"):
            sets.append("last_answer = ?")
            params.append(text)
        if assignee_id is not None:
            sets.append("assignee_id = ?")
            params.append(assignee_id)
        if transferred_to is not None:
            sets.append("transferred_to = ?")
            params.append(transferred_to)
        if escalate:
            sets.append("escalated = 1")
        if to_status == "resolved" and expect_status != "resolved":
            sets.append("resolved_at = ?")
            params.append(now)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE feedback SET {', '.join(sets)} WHERE id = ? AND status = ?",
                [*params, item_id, expect_status],
            )
            if cursor.rowcount != 1:
                raise StaleItem(f"feedback {item_id} is no longer {expect_status}")
            await self._event(
                conn,
                item_id,
                actor,
                staff_id,
                staff_name,
                action,
                expect_status,
                to_status,
                text,
                internal,
            )
        item = await self.get(item_id)
        assert item is not None
        return item

    async def rate(self, item_id: int, rating: int, comment: str | None) -> bool:
        """Store the sender's rating of a resolved item, once; return whether it was stored."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE feedback SET rating = ?, rating_comment = ?, rated_at = ?"
                " WHERE id = ? AND status = 'resolved' AND rating IS NULL",
                (rating, comment, to_db_time(utcnow()), item_id),
            )
            if cursor.rowcount != 1:
                return False
            await self._event(
                conn, item_id, "resident", None, None, "rate", None, None, str(rating), False
            )
            return True

    async def comment_rating(self, item_id: int, comment: str) -> None:
        """Add the sender's comment to the rating they have just given."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE feedback SET rating_comment = ? WHERE id = ? AND rating IS NOT NULL",
                (comment, item_id),
            )

    async def events(self, item_id: int, *, include_internal: bool) -> list[Event]:
        """Return an item's history, oldest first; internal notes only when asked."""
        rows = await self.db.fetchall(
            "SELECT at, actor, staff_name, action, from_status, to_status, text, internal"
            " FROM feedback_events WHERE feedback_id = ? AND (internal = 0 OR ?) ORDER BY id",
            (item_id, int(include_internal)),
        )
        return [
            Event(from_db_time(r["at"]), r["actor"], r["staff_name"], r["action"], r["from_status"],
                  r["to_status"], r["text"], bool(r["internal"]))
            for r in rows
        ]  # fmt: skip

    async def open_due_by(self, day: date) -> list[FeedbackItem]:
        """Return open feedback whose deadline is on or before `day` (never a complaint or a
        denunciation: the commune's deadline is not theirs)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE deadline <= ?"
            f" AND status IN {OPEN_SQL} AND kind NOT IN {FORMAL_SQL} ORDER BY deadline, id",
            (day.isoformat(),),
        )
        return [_to_item(row) for row in rows]

    async def created_between(self, start: datetime, end: datetime) -> list[FeedbackItem]:
        """Return items created in [start, end), oldest first (for exports and reports)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (to_db_time(start), to_db_time(end)),
        )
        return [_to_item(row) for row in rows]

    @staticmethod
    async def _event(
        conn, item_id, actor, staff_id, staff_name, action, before, after, text, internal
    ):
        await conn.execute(
            "INSERT INTO feedback_events (feedback_id, at, actor, staff_id, staff_name, action,"
            " from_status, to_status, text, internal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, to_db_time(utcnow()), actor, staff_id, staff_name, action, before, after,
             text, int(internal)),
        )  # fmt: skip
