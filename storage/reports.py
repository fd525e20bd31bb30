"""Aggregates for the weekly digest and the period report: feedback figures over a period.

Read-only queries across aggregates, kept apart so that the repositories the flows use
stay small. Periods are half-open [start, end) in UTC; "local day" comparisons take the
commune's UTC offset as a SQLite date modifier (Vietnam has no daylight saving time).

Overdue at a moment T: an item received before T, whose deadline is before T's local day,
and that was still open at T: open now, or closed (resolved, transferred, rejected) at or
after T. The closing moment is `resolved_at` for a resolved item and the time of the
event that transferred or rejected it otherwise. An item resolved before T and reopened
after it counts as open at T (its earlier resolution time is not kept). Complaints and
denunciations are never overdue: their laws set their time limits, not the commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.db import Database, to_db_time
from storage.feedback import FORMAL_SQL, OPEN_SQL
from storage.ratings import COMPONENTS, Satisfaction
from storage.reports_reach import ReachReports

_CLOSED_SQL = "('resolved', 'transferred', 'rejected')"
_CLOSED_AT = (
    "CASE WHEN f.status = 'resolved' THEN f.resolved_at ELSE (SELECT MIN(e.at)"
    " FROM feedback_events e WHERE e.feedback_id = f.id AND e.to_status = f.status"
    " AND e.from_status IS NOT e.to_status) END"
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Items resolved in a period: how many, how many by their deadline, how long it took."""

    count: int
    on_time: int
    by_category: dict[str, tuple[int, int]]  # category -> (resolved, on time)
    median_days: float | None  # from receipt to resolution, to the hour
    # (local day received, local day resolved) -> items: callers count the working days
    # between them with the commune's calendar, the unit deadlines are set in.
    spans: dict[tuple[date, date], int]


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """An item past its deadline, as leaders see it: no sender, only who handles it."""

    code: str
    category: str
    hamlet: str | None
    deadline: date
    assignee: str | None


def _median(histogram: dict[int, int], total: int) -> float:
    """The median of values given as {value: how many} (the mean of the middle two if even)."""
    wanted = [(total - 1) // 2, total // 2]  # 0-based ranks of the middle value(s)
    found, seen = [], 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


def _satisfaction(count: int, total: int | None, top: int | None) -> Satisfaction:
    return Satisfaction(count, total / count, top / count) if count else Satisfaction(0, None, None)


def local_modifier(offset: timedelta) -> str:
    """Turn a UTC offset into a SQLite date modifier, e.g. '+25200 seconds'."""
    return f"{int(offset.total_seconds()):+d} seconds"


class ReportsRepo(ReachReports):
    """Read-only aggregates over feedback, ratings, outreach and residents."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def received(self, start: datetime, end: datetime) -> list[tuple[str, str | None, int]]:
        """Count items received in [start, end) as (category, hamlet, count) rows."""
        rows = await self.db.fetchall(
            "SELECT category, hamlet, COUNT(*) FROM feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY category, hamlet",
            (to_db_time(start), to_db_time(end)),
        )
        return [tuple(row) for row in rows]

    async def resolved(self, start: datetime, end: datetime, offset: timedelta) -> Resolved:
        """Count items resolved in [start, end), those resolved by their deadline, and the
        median time it took, in one pass over the resolution index.

        Durations are counted to the nearest hour (a histogram, not a sort of every item),
        which is finer than the tenth of a day reports show. Complaints and denunciations
        are left out: their laws set their time limits, not the commune's deadlines.
        """
        rows = await self.db.fetchall(
            "SELECT category, date(resolved_at, ?1) <= deadline,"
            " CAST(ROUND((julianday(resolved_at) - julianday(created_at)) * 24) AS INTEGER),"
            " date(created_at, ?1), date(resolved_at, ?1),"
            " COUNT(*) FROM feedback WHERE resolved_at >= ?2 AND resolved_at < ?3"
            f" AND +status = 'resolved' AND +kind NOT IN {FORMAL_SQL} GROUP BY 1, 2, 3, 4, 5",
            (local_modifier(offset), to_db_time(start), to_db_time(end)),
        )
        by_category: dict[str, tuple[int, int]] = {}
        hours: dict[int, int] = {}
        spans: dict[tuple[date, date], int] = {}
        for category, on_time, hour, received, resolved, count in rows:
            done, late_free = by_category.get(category, (0, 0))
            by_category[category] = (done + count, late_free + (count if on_time else 0))
            hours[hour] = hours.get(hour, 0) + count
            span = (date.fromisoformat(received), date.fromisoformat(resolved))
            spans[span] = spans.get(span, 0) + count
        total = sum(hours.values())
        return Resolved(
            total,
            sum(k for _, k in by_category.values()),
            by_category,
            _median(hours, total) / 24 if total else None,
            spans,
        )

    async def satisfaction(
        self, start: datetime, end: datetime
    ) -> tuple[dict[int, Satisfaction], Satisfaction]:
        """Satisfaction per SIPAS component and with quick ratings, in one pass over a period.

        The same figures as RatingsRepo.by_component and .overall (component 5 also counts
        the ratings residents gave to the handling of their feedback), read together: a
        year of ratings is one scan of the covering index instead of two.
        """
        span = (to_db_time(start), to_db_time(end))
        columns = [*(f"c{c}" for c in COMPONENTS), "overall"]
        parts = ", ".join(f"COUNT({c}), SUM({c}), SUM({c} >= 4)" for c in columns)
        row = await self.db.fetchone(
            f"SELECT {parts} FROM ratings WHERE created_at >= ? AND created_at < ?", span
        )
        handled = await self.db.fetchone(
            "SELECT COUNT(rating), SUM(rating), SUM(rating >= 4) FROM feedback"
            " WHERE rated_at >= ? AND rated_at < ?",
            span,
        )
        found = [tuple(row[3 * k : 3 * k + 3]) for k in range(len(columns))]
        count, total, top = found[4]
        found[4] = (
            count + handled[0],
            (total or 0) + (handled[1] or 0),
            (top or 0) + (handled[2] or 0),
        )
        shown = [_satisfaction(*values) for values in found]
        return dict(zip(COMPONENTS, shown[:5], strict=True)), shown[5]

    async def overdue_at(self, moment: datetime, day: date) -> dict[str, int]:
        """Count items overdue at `moment` (deadline before `day`, its local date), by category."""
        rows = await self.db.fetchall(
            f"SELECT category, COUNT(*) FROM ({self._overdue_sql('f.category')}) GROUP BY category",
            self._overdue_params(moment, day),
        )
        return {row[0]: row[1] for row in rows}

    async def oldest_overdue(
        self, moment: datetime, day: date, limit: int = 5
    ) -> list[OverdueItem]:
        """Return the items overdue longest at `moment`, with who handles them."""
        columns = "f.id, f.code, f.category, f.hamlet, f.deadline, f.assignee_id"
        rows = await self.db.fetchall(
            f"SELECT o.code, o.category, o.hamlet, o.deadline, s.name FROM"
            f" ({self._overdue_sql(columns)}) o LEFT JOIN staff s ON s.id = o.assignee_id"
            " ORDER BY o.deadline, o.id LIMIT ?",
            (*self._overdue_params(moment, day), limit),
        )
        return [OverdueItem(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4]) for r in rows]

    @staticmethod
    def _overdue_sql(columns: str) -> str:
        # Open now (few rows, index on status and deadline), plus closed since the moment
        # (few rows, index on updated_at): never a scan of the whole table. The unary "+"
        # keeps SQLite from walking the status index over every closed item instead.
        return (
            f"SELECT {columns} FROM feedback f WHERE f.status IN {OPEN_SQL}"
            f" AND f.deadline < ? AND f.created_at < ? AND f.kind NOT IN {FORMAL_SQL}"
            f" UNION ALL SELECT {columns} FROM feedback f WHERE f.updated_at >= ?"
            f" AND +f.status IN {_CLOSED_SQL} AND +f.deadline < ? AND +f.created_at < ?"
            f" AND {_CLOSED_AT} >= ? AND f.kind NOT IN {FORMAL_SQL}"
        )

    @staticmethod
    def _overdue_params(moment: datetime, day: date) -> tuple:
        at, deadline = to_db_time(moment), day.isoformat()
        return (deadline, at, at, deadline, at, at)

    async def weekly_flow(self, start: datetime, weeks: int) -> list[tuple[int, int]]:
        """Count items received and resolved in each of `weeks` weeks from `start`."""
        end = start + timedelta(weeks=weeks)
        span = (to_db_time(start), to_db_time(end))
        bucket = "CAST((julianday({col}) - julianday(?)) / 7 AS INTEGER)"
        received = await self.db.fetchall(
            f"SELECT {bucket.format(col='created_at')} AS w, COUNT(*) FROM feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY w",
            (span[0], *span),
        )
        resolved = await self.db.fetchall(
            f"SELECT {bucket.format(col='resolved_at')} AS w, COUNT(*) FROM feedback"
            " WHERE resolved_at >= ? AND resolved_at < ? AND +status = 'resolved' GROUP BY w",
            (span[0], *span),
        )
        got_in, got_out = dict(map(tuple, received)), dict(map(tuple, resolved))
        return [(got_in.get(w, 0), got_out.get(w, 0)) for w in range(weeks)]
