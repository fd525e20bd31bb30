"""Consultations on public works, dialogues with residents, and supervision remarks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import aiosqlite

from storage.db import Database, to_db_time, utcnow


@dataclass(frozen=True, slots=True)
class Consultation:
    id: int
    title: str
    description: str
    hamlets: tuple[str, ...]
    options: tuple[str, ...]
    closes_on: date
    status: str
    conclusion: str | None


def _consultation(row: aiosqlite.Row) -> Consultation:
    return Consultation(
        row["id"], row["title"], row["description"], tuple(json.loads(row["hamlets"])),
        tuple(json.loads(row["options"])), date.fromisoformat(row["closes_on"]), row["status"],
        row["conclusion"],
    )  # fmt: skip


_CONSULTATION = "id, title, description, hamlets, options, closes_on, status, conclusion"


class ParticipationRepo:
    """Repository of consultations, dialogues and supervision remarks."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_consultation(
        self,
        title: str,
        description: str,
        hamlets: list[str],
        options: list[str],
        closes_on: date,
        staff_id: int | None,
        file: tuple[str, str, int] | None = None,
    ) -> Consultation:
        """Store a new consultation, open until `closes_on` (inclusive).

        `file` is (kind, file name, media id): the bytes of an uploaded photo or document are
        copied from the media table, where the official's upload waited during the draft.
        """
        kind, name, media_id = file or (None, None, None)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO consultations (title, description, hamlets, options, closes_on,"
                " created_by, created_at, file_kind, file_name, file_data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT data FROM media WHERE id = ?))",
                (
                    title,
                    description,
                    json.dumps(hamlets, ensure_ascii=False),
                    json.dumps(options, ensure_ascii=False),
                    closes_on.isoformat(),
                    staff_id,
                    to_db_time(utcnow()),
                    kind,
                    name,
                    media_id,
                ),
            )
        return await self.consultation(cursor.lastrowid)

    async def file(self, consultation_id: int) -> tuple[str, str, bytes] | None:
        """Return a consultation's attached (kind, file name, bytes), or None."""
        row = await self.db.fetchone(
            "SELECT file_kind, file_name, file_data FROM consultations"
            " WHERE id = ? AND file_data IS NOT NULL",
            (consultation_id,),
        )
        return (row[0], row[1], row[2]) if row else None

    async def consultation(self, consultation_id: int) -> Consultation | None:
        """Return a consultation by id, or None."""
        row = await self.db.fetchone(
            f"SELECT {_CONSULTATION} FROM consultations WHERE id = ?", (consultation_id,)
        )
        return _consultation(row) if row else None

    async def consultations(self, *statuses: str) -> list[Consultation]:
        """Return consultations in any of `statuses`, newest first."""
        marks = ", ".join("?" for _ in statuses)
        rows = await self.db.fetchall(
            f"SELECT {_CONSULTATION} FROM consultations WHERE status IN ({marks}) ORDER BY id DESC",
            statuses,
        )
        return [_consultation(row) for row in rows]

    async def answer(
        self, consultation_id: int, resident_id: int, hamlet: str | None, choice: int,
        comment: str | None,
    ) -> bool:  # fmt: skip
        """Store or replace a resident's answer while the consultation is open.

        A changed answer without a new comment keeps the comment given before.
        """
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO consultation_answers (consultation_id, resident_id, hamlet, choice,"
                " comment, answered_at) SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM"
                " consultations WHERE id = ? AND status = 'open') ON CONFLICT (consultation_id,"
                " resident_id) DO UPDATE SET choice = excluded.choice, comment ="
                " COALESCE(excluded.comment, consultation_answers.comment),"
                " hamlet = excluded.hamlet, answered_at = excluded.answered_at",
                (consultation_id, resident_id, hamlet, choice, comment, to_db_time(utcnow()),
                 consultation_id),
            )  # fmt: skip
            return cursor.rowcount == 1

    async def my_answer(self, consultation_id: int, resident_id: int) -> int | None:
        """Return the option a resident chose, or None."""
        return await self.db.fetchval(
            "SELECT choice FROM consultation_answers WHERE consultation_id = ? AND resident_id = ?",
            (consultation_id, resident_id),
        )

    async def tally(self, consultation_id: int) -> dict[str | None, dict[int, int]]:
        """Count answers per hamlet and option."""
        rows = await self.db.fetchall(
            "SELECT hamlet, choice, COUNT(*) FROM consultation_answers WHERE consultation_id = ?"
            " GROUP BY hamlet, choice",
            (consultation_id,),
        )
        result: dict[str | None, dict[int, int]] = {}
        for hamlet, choice, count in rows:
            result.setdefault(hamlet, {})[choice] = count
        return result

    async def comments(self, consultation_id: int) -> list[tuple[int, str]]:
        """Return (option, comment) pairs, oldest first, without who wrote them."""
        rows = await self.db.fetchall(
            "SELECT choice, comment FROM consultation_answers WHERE consultation_id = ?"
            " AND comment IS NOT NULL ORDER BY answered_at",
            (consultation_id,),
        )
        return [(row[0], row[1]) for row in rows]

    async def participants(self, consultation_id: int) -> list[int]:
        """Return the ids of residents who answered."""
        rows = await self.db.fetchall(
            "SELECT resident_id FROM consultation_answers WHERE consultation_id = ?",
            (consultation_id,),
        )
        return [row[0] for row in rows]

    async def close_consultation(self, consultation_id: int) -> bool:
        """Close an open consultation; return False if it was not open."""
        return await self._set_status(consultation_id, "open", "closed", "closed_at")

    async def conclude(self, consultation_id: int, conclusion: str) -> bool:
        """Record the commune's conclusion on a closed consultation."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE consultations SET status = 'concluded', conclusion = ?, concluded_at = ?"
                " WHERE id = ? AND status = 'closed'",
                (conclusion, to_db_time(utcnow()), consultation_id),
            )
            return cursor.rowcount == 1

    async def due_to_close(self, today: date) -> list[Consultation]:
        """Return open consultations whose closing date has passed."""
        rows = await self.db.fetchall(
            f"SELECT {_CONSULTATION} FROM consultations WHERE status = 'open' AND closes_on < ?",
            (today.isoformat(),),
        )
        return [_consultation(row) for row in rows]

    async def _set_status(self, item_id: int, old: str, new: str, stamp: str) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE consultations SET status = ?, {stamp} = ? WHERE id = ? AND status = ?",
                (new, to_db_time(utcnow()), item_id, old),
            )
            return cursor.rowcount == 1
