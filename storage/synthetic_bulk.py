"""A large synthetic commune for benchmarks: residents, feedback and ratings in bulk.

Each table is filled by one INSERT ... SELECT over a recursive counter, all in one
transaction. Values derive from the row number (no random generator), so two runs build
the same database. Times spread evenly over [start, end); recent feedback is partly open,
older feedback mostly resolved (some late, some transferred or rejected, a few left open).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.db import Database

_COUNTER = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
_STAMP = "strftime('%Y-%m-%dT%H:%M:%S+00:00', {}, 'unixepoch')"
DAY = 86_400


def _pick(expression: str, count: int) -> str:
    """SQL choosing the k-th of `count` bound parameters, k = expression % count."""
    whens = " ".join(f"WHEN {k} THEN ?" for k in range(count))
    return f"CASE ({expression}) % {count} {whens} END"


class BulkCommune:
    """Fills an empty database with a commune of the requested size."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def build(
        self,
        *,
        residents: int,
        feedback: int,
        ratings: int,
        start: datetime,
        end: datetime,
        hamlets: Sequence[str],
        categories: Sequence[str],
        services: Sequence[str],
        staff_ids: Sequence[int],
    ) -> None:
        """Insert everything in one transaction."""
        first, last = int(start.timestamp()), int(end.timestamp())
        async with self.db.transaction() as conn:
            await conn.execute(*self._residents(residents, first, last, hamlets))
            await conn.execute(*self._feedback(feedback, first, last, hamlets, categories,
                                               staff_ids))  # fmt: skip
            await conn.execute(
                "INSERT INTO feedback_events (feedback_id, at, actor, action, from_status,"
                " to_status) SELECT id, updated_at, 'staff', CASE status WHEN 'transferred'"
                " THEN 'transfer' ELSE 'reject' END, 'in_progress', status FROM feedback"
                " WHERE status IN ('transferred', 'rejected')"
            )
            await conn.execute(*self._ratings(ratings, first, last, services))

    @staticmethod
    def _residents(count: int, first: int, last: int, hamlets: Sequence[str]) -> tuple:
        at = _STAMP.format(f"{first} + (i * {last - first - 1}) / {count}")
        sql = (
            f"{_COUNTER} INSERT INTO residents (channel, user_id, chat_id, display_name, hamlet,"
            f" language, status, consent_at, created_at, updated_at)"
            f" SELECT 'telegram', 'bulk' || i, 'bulk' || i, 'Resident ' || i,"
            f" {_pick('i * 7', len(hamlets))}, 'vi',"
            f" CASE WHEN i % 100 = 0 THEN 'deleted' WHEN i % 20 = 0 THEN 'stopped'"
            f" ELSE 'active' END, {at}, {at}, {at} FROM n"
        )
        return sql, (count, *hamlets)

    @staticmethod
    def _feedback(
        count: int,
        first: int,
        last: int,
        hamlets: Sequence[str],
        categories: Sequence[str],
        staff_ids: Sequence[int],
    ) -> tuple:
        # Per row: c = created (epoch), r = resolved or closed (epoch), h = a spread 0-999.
        rows = (
            f"SELECT i, {first} + (i * {last - first - 1}) / {count} AS c, (i * 31) % 1000 AS h"
            " FROM n"
        )
        state = (
            f"SELECT i, c, h, CASE WHEN {last} - c < 30 * {DAY} THEN"
            " CASE i % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'resolved'"
            " ELSE 'answered' END"
            " WHEN h < 900 THEN 'resolved' WHEN h < 950 THEN 'transferred'"
            " WHEN h < 995 THEN 'rejected' ELSE 'in_progress' END AS status,"
            f" MIN(c + ((i * 13) % 20 + 1) * {DAY} - i % 7200, {last} - 60) AS r FROM ({rows})"
        )
        stamp = _STAMP.format
        sql = (
            f"{_COUNTER} INSERT INTO feedback (code, channel, resident_id, kind, category,"
            " description, hamlet, anonymous, status, assignee_id, deadline, rating, rated_at,"
            " created_at, updated_at, resolved_at)"
            " SELECT 'SY' || i, 'telegram', NULL, 'petition',"
            f" {_pick('i * 7919', len(categories))},"
            f" 'Synthetic feedback', {_pick('i * 104729', len(hamlets))}, i % 10 = 0, status,"
            f" CASE WHEN status IN ('new', 'resolved') THEN NULL"
            f" ELSE {_pick('i', len(staff_ids))} END,"
            f" date(c + (5 + i % 10) * {DAY}, 'unixepoch'),"
            " CASE WHEN status = 'resolved' AND h % 10 < 3 THEN 1 + (i * 7) % 5 END,"
            f" CASE WHEN status = 'resolved' AND h % 10 < 3 THEN {stamp('r + 3600')} END,"
            f" {stamp('c')},"
            f" CASE WHEN status IN ('resolved', 'transferred', 'rejected') THEN {stamp('r')}"
            f" ELSE {stamp('c')} END,"
            f" CASE WHEN status = 'resolved' THEN {stamp('r')} END FROM ({state})"
        )
        return sql, (count, *categories, *hamlets, *staff_ids)

    @staticmethod
    def _ratings(count: int, first: int, last: int, services: Sequence[str]) -> tuple:
        at = f"{first} + (i * {last - first - 1}) / {count}"
        score = "(CASE (i * {p}) % 10 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4" \
                " WHEN 4 THEN 4 WHEN 5 THEN 4 ELSE 5 END)"  # fmt: skip
        full = [f"CASE WHEN i % 5 = 0 THEN NULL ELSE {score.format(p=p)} END"
                for p in (3, 7, 11, 13, 17)]  # fmt: skip
        sql = (
            f"{_COUNTER} INSERT INTO ratings (channel, desk, service, visit_day, mode, c1, c2,"
            " c3, c4, c5, overall, comment, created_at)"
            f" SELECT 'telegram', 'mot-cua', {_pick('i * 3', len(services))},"
            f" date({at}, 'unixepoch'), CASE WHEN i % 5 = 0 THEN 'quick' ELSE 'full' END,"
            f" {', '.join(full)}, CASE WHEN i % 5 = 0 THEN {score.format(p=19)} END,"
            " CASE WHEN i % 97 = 0 THEN 'Synthetic comment ' || i END,"
            f" {_STAMP.format(at)} FROM n"
        )
        return sql, (count, *services)
