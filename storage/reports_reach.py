"""Aggregates for reports: outreach reach, pulse survey answers, residents, disclosures.

Mixed into ReportsRepo (storage/reports.py). Periods are half-open [start, end) in UTC.
Outbox rows are stamped to the millisecond, so their bounds use the outbox's own format.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from storage.db import to_db_time
from storage.outbox import stamp

if TYPE_CHECKING:
    from storage.db import Database

_TOP = "\U0010ffff"  # sorts after every character: the upper end of a prefix range
PUBLICATION_SOURCE = "pub:"  # outbox sources of publication announcements


def _span(start: datetime, end: datetime) -> tuple[str, str]:
    return to_db_time(start), to_db_time(end)


class ReachReports:
    """Who the bot reached and how residents answered; ReportsRepo supplies `db`."""

    db: Database

    async def delivered(self, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """Count pushes delivered in [start, end) per kind as (messages, distinct residents)."""
        rows = await self.db.fetchall(
            "SELECT kind, COUNT(*), COUNT(DISTINCT resident_id) FROM outbox"
            " WHERE status = 'sent' AND sent_at >= ? AND sent_at < ? GROUP BY kind",
            (stamp(start), stamp(end)),
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def residents_reached(self, start: datetime, end: datetime, kinds: Sequence[str]) -> int:
        """Count distinct residents who received a push of these kinds in [start, end)."""
        marks = ", ".join("?" for _ in kinds)
        return await self.db.fetchval(
            "SELECT COUNT(DISTINCT resident_id) FROM outbox"
            f" WHERE status = 'sent' AND sent_at >= ? AND sent_at < ? AND kind IN ({marks})",
            (stamp(start), stamp(end), *kinds),
        )

    async def unreachable(self, start: datetime, end: datetime) -> int:
        """Count distinct chats that pushes queued in [start, end) could not reach."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM (SELECT DISTINCT channel, chat_id FROM outbox"
            " WHERE status = 'unreachable' AND created_at >= ? AND created_at < ?)",
            (stamp(start), stamp(end)),
        )

    async def disclosure_reach(self, start: datetime, end: datetime) -> int:
        """Count residents who received or opened a publication in [start, end)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM (SELECT resident_id FROM outbox WHERE status = 'sent'"
            " AND sent_at >= ? AND sent_at < ? AND source >= ? AND source < ?"
            " AND resident_id IS NOT NULL UNION SELECT resident_id FROM publication_views"
            " WHERE first_at >= ? AND first_at < ?)",
            (
                stamp(start),
                stamp(end),
                PUBLICATION_SOURCE,
                PUBLICATION_SOURCE + _TOP,
                *_span(start, end),
            ),
        )

    async def reads_by_item(self, start: datetime, end: datetime) -> dict[str, int]:
        """Count residents whose latest read of each item falls in [start, end)."""
        rows = await self.db.fetchall(
            "SELECT item_id, COUNT(*) FROM content_reads"
            " WHERE last_read_at >= ? AND last_read_at < ? GROUP BY item_id",
            _span(start, end),
        )
        return {row[0]: row[1] for row in rows}

    async def readers(self, start: datetime, end: datetime) -> int:
        """Count distinct residents who read an outreach item in [start, end)."""
        return await self.db.fetchval(
            "SELECT COUNT(DISTINCT resident_id) FROM content_reads"
            " WHERE last_read_at >= ? AND last_read_at < ?",
            _span(start, end),
        )

    async def answers_by_item(self, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
        """Count current quiz answers given in [start, end) per item as (right, total)."""
        rows = await self.db.fetchall(
            "SELECT item_id, SUM(correct), COUNT(*) FROM content_answers"
            " WHERE answered_at >= ? AND answered_at < ? GROUP BY item_id",
            _span(start, end),
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    async def survey_tallies(self, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
        """Count answers of rounds completed in [start, end) as (question, value, count)."""
        rows = await self.db.fetchall(
            "SELECT a.question_id, a.value, COUNT(*) FROM survey_done d JOIN survey_answers a"
            " ON a.round_id = d.round_id AND a.resident_id = d.resident_id"
            " WHERE d.completed_at >= ? AND d.completed_at < ? GROUP BY a.question_id, a.value",
            _span(start, end),
        )
        return [tuple(row) for row in rows]

    async def survey_respondents(self, start: datetime, end: datetime) -> dict[str | None, int]:
        """Count residents who completed a round in [start, end), per hamlet."""
        rows = await self.db.fetchall(
            "SELECT r.hamlet, COUNT(*) FROM survey_done d JOIN residents r ON r.id = d.resident_id"
            " WHERE d.completed_at >= ? AND d.completed_at < ? GROUP BY r.hamlet",
            _span(start, end),
        )
        return {row[0]: row[1] for row in rows}

    async def new_residents(self, start: datetime, end: datetime) -> dict[str | None, int]:
        """Count residents who registered in [start, end) and still use the bot, per hamlet."""
        rows = await self.db.fetchall(
            "SELECT hamlet, COUNT(*) FROM residents WHERE created_at >= ? AND created_at < ?"
            " AND status != 'deleted' GROUP BY hamlet",
            _span(start, end),
        )
        return {row[0]: row[1] for row in rows}

    async def registered_at(self, moment: datetime) -> dict[str | None, int]:
        """Count residents registered before `moment` who still use the bot, per hamlet.

        Residents who deleted their data are left out (when they did is not kept).
        """
        rows = await self.db.fetchall(
            "SELECT hamlet, COUNT(*) FROM residents WHERE created_at < ?"
            " AND status != 'deleted' GROUP BY hamlet",
            (to_db_time(moment),),
        )
        return {row[0]: row[1] for row in rows}
