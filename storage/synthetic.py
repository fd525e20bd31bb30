"""Synthetic data at chosen moments: a known dataset for tests, a large commune for benchmarks.

The repositories stamp the present; reports need history at known times, and a benchmark
needs a million rows in seconds. Nothing here runs in the bot itself.

`large_commune` inserts with INSERT ... SELECT over a recursive counter, in one transaction,
deterministically (values derive from the row number, not from a random generator).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Database, to_db_time
from storage.outbox import stamp


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    code: str
    category: str
    hamlet: str | None
    status: str
    deadline: date
    created_at: datetime
    resolved_at: datetime | None = None  # resolved items
    closed_at: datetime | None = None  # transferred or rejected items: when
    anonymous: bool = False
    resident_id: int | None = None
    assignee_id: int | None = None
    rating: int | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    description: str = "Synthetic feedback item"
    kind: str = "petition"


@dataclass(frozen=True, slots=True)
class RatingRow:
    service: str
    created_at: datetime
    scores: Sequence[int | None] = (None, None, None, None, None)  # components 1-5
    overall: int | None = None
    comment: str | None = None
    desk: str = "mot-cua"
    resident_id: int | None = None


_ACTIONS = {"transferred": "transfer", "rejected": "reject"}  # the event that closed an item


def _t(moment: datetime | None) -> str | None:
    return to_db_time(moment) if moment is not None else None


class Synthetic:
    """Writes rows with the times given (tests) or in bulk (benchmarks)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def resident(
        self, name: str, hamlet: str | None, created_at: datetime, status: str = "active"
    ) -> int:
        """Store a resident registered at `created_at`; return the id."""
        user = f"syn-{name}"
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO residents (channel, user_id, chat_id, display_name, hamlet, status,"
                " consent_at, created_at, updated_at) VALUES ('telegram', ?, ?, ?, ?, ?, ?, ?, ?)",
                (user, user, name, hamlet, status, *[to_db_time(created_at)] * 3),
            )
            return cursor.lastrowid

    async def feedback(self, rows: Iterable[FeedbackRow]) -> list[int]:
        """Store items, and the event that closed each transferred or rejected one."""
        ids = []
        async with self.db.transaction() as conn:
            for r in rows:
                updated = r.resolved_at or r.closed_at or r.created_at
                cursor = await conn.execute(
                    "INSERT INTO feedback (code, channel, resident_id, kind, category, description,"
                    " hamlet, anonymous, status, assignee_id, deadline, rating, rating_comment,"
                    " rated_at, created_at, updated_at, resolved_at)"
                    " VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.code, r.resident_id, r.kind, r.category, r.description, r.hamlet,
                        int(r.anonymous), r.status, r.assignee_id, r.deadline.isoformat(),
                        r.rating, r.rating_comment, _t(r.rated_at), _t(r.created_at),
                        _t(updated), _t(r.resolved_at),
                    ),
                )  # fmt: skip
                ids.append(cursor.lastrowid)
                if r.closed_at is not None:
                    await conn.execute(
                        "INSERT INTO feedback_events (feedback_id, at, actor, action, from_status,"
                        " to_status) VALUES (?, ?, 'staff', ?, 'in_progress', ?)",
                        (cursor.lastrowid, _t(r.closed_at), _ACTIONS[r.status], r.status),
                    )
        return ids

    async def ratings(self, rows: Iterable[RatingRow]) -> None:
        """Store service ratings made at the given moments."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO ratings (resident_id, channel, desk, service, visit_day, mode,"
                " c1, c2, c3, c4, c5, overall, comment, created_at)"
                " VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.resident_id, r.desk, r.service, r.created_at.date().isoformat(),
                     "quick" if r.overall is not None else "full", *r.scores, r.overall,
                     r.comment, _t(r.created_at))
                    for r in rows
                ],
            )  # fmt: skip

    async def survey(
        self,
        round_id: str,
        resident_id: int,
        hamlet: str | None,
        answers: dict[str, int],
        completed_at: datetime,
    ) -> None:
        """Store a resident's completed round."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO survey_answers (round_id, resident_id, question_id, hamlet, value,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (round_id, resident_id, q, hamlet, v, _t(completed_at))
                    for q, v in answers.items()
                ],
            )
            await conn.execute(
                "INSERT INTO survey_done (round_id, resident_id, completed_at) VALUES (?, ?, ?)",
                (round_id, resident_id, _t(completed_at)),
            )

    async def push(
        self,
        resident_id: int | None,
        chat_id: str,
        kind: str,
        source: str,
        status: str,
        created_at: datetime,
        sent_at: datetime | None = None,
    ) -> None:
        """Store an outbox row in a final state (sent, unreachable...)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO outbox (channel, chat_id, resident_id, kind, source, payload, status,"
                " attempts, created_at, sent_at) VALUES ('telegram', ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (chat_id, resident_id, kind, source, '{"text": ""}', status, stamp(created_at),
                 stamp(sent_at) if sent_at else None),
            )  # fmt: skip

    async def retime(self, table: str, column: str, row_id: int, moment: datetime) -> None:
        """Move one timestamp of one row (publications and their views, in tests)."""
        assert (table, column) in _RETIMABLE  # names, never values from outside
        async with self.db.transaction() as conn:
            await conn.execute(
                f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (to_db_time(moment), row_id)
            )


_RETIMABLE = frozenset(
    {("publications", "published_at"), ("publications", "withdrawn_at"),
     ("publication_views", "first_at")}
)  # fmt: skip
