"""PAPI pulse survey answers: one per resident, round and question, stored as they come."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, to_db_time, utcnow


class RoundClosed(Exception):
    """The resident already completed this round; answers can no longer change."""


@dataclass(frozen=True, slots=True)
class Respondent:
    resident_id: int
    channel: str
    chat_id: str
    hamlet: str | None
    language: str


class SurveysRepo:
    """Repository of survey answers and completions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, round_id: str, resident_id: int, question_id: str, hamlet: str | None, value: int
    ) -> None:
        """Store (or change) one answer; raise RoundClosed once the round is completed."""
        async with self.db.transaction() as conn:
            if await self.is_done(round_id, resident_id):
                raise RoundClosed(round_id)
            await conn.execute(
                "INSERT INTO survey_answers (round_id, resident_id, question_id, hamlet, value,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (round_id, resident_id,"
                " question_id) DO UPDATE SET value = excluded.value,"
                " answered_at = excluded.answered_at",
                (round_id, resident_id, question_id, hamlet, value, to_db_time(utcnow())),
            )

    async def answered(self, round_id: str, resident_id: int) -> dict[str, int]:
        """Return a resident's answers so far in a round."""
        rows = await self.db.fetchall(
            "SELECT question_id, value FROM survey_answers WHERE round_id = ? AND resident_id = ?",
            (round_id, resident_id),
        )
        return {row["question_id"]: row["value"] for row in rows}

    async def complete(self, round_id: str, resident_id: int) -> None:
        """Mark the round completed by the resident (idempotent)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO survey_done (round_id, resident_id, completed_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (round_id, resident_id, to_db_time(utcnow())),
            )

    async def is_done(self, round_id: str, resident_id: int) -> bool:
        """Tell whether the resident completed the round."""
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM survey_done WHERE round_id = ? AND resident_id = ?",
                (round_id, resident_id),
            )
        )

    async def respondents(self, round_id: str) -> list[Respondent]:
        """Return the reachable residents who completed a round (for the results)."""
        rows = await self.db.fetchall(
            "SELECT r.id, r.channel, r.chat_id, r.hamlet, r.language FROM survey_done d"
            " JOIN residents r ON r.id = d.resident_id WHERE d.round_id = ?"
            " AND r.status = 'active' AND r.chat_id IS NOT NULL ORDER BY r.id",
            (round_id,),
        )
        return [Respondent(*tuple(row)) for row in rows]

    async def tallies(self, round_id: str) -> list[tuple[str, str | None, int, int]]:
        """Count completed respondents' answers as (question, hamlet, value, count) rows."""
        rows = await self.db.fetchall(
            "SELECT a.question_id, a.hamlet, a.value, COUNT(*) FROM survey_answers a"
            " JOIN survey_done d ON d.round_id = a.round_id AND d.resident_id = a.resident_id"
            " WHERE a.round_id = ? GROUP BY a.question_id, a.hamlet, a.value",
            (round_id,),
        )
        return [tuple(row) for row in rows]

    async def completions_by_hamlet(self, round_id: str) -> dict[str | None, int]:
        """Count residents who completed a round, per hamlet at answer time."""
        rows = await self.db.fetchall(
            "SELECT hamlet, COUNT(DISTINCT a.resident_id) FROM survey_answers a"
            " JOIN survey_done d ON d.round_id = a.round_id AND d.resident_id = a.resident_id"
            " WHERE a.round_id = ? GROUP BY hamlet",
            (round_id,),
        )
        return {row[0]: row[1] for row in rows}
