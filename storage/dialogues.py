"""Dialogues with residents (questions before, answers after) and supervision remarks."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, to_db_time, utcnow


@dataclass(frozen=True, slots=True)
class Dialogue:
    id: int
    topic: str
    place: str
    held_at: str
    status: str


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    dialogue_id: int
    resident_id: int | None
    hamlet: str | None
    text: str
    answer: str | None


@dataclass(frozen=True, slots=True)
class Remark:
    id: int
    feedback_id: int
    staff_name: str
    text: str
    acknowledged_by: str | None


class DialoguesRepo:
    """Repository of dialogues, their questions, and supervision remarks on feedback."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def announce(
        self, topic: str, place: str, held_at: str, staff_id: int | None
    ) -> Dialogue:
        """Store a dialogue session that residents may send questions to."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO dialogues (topic, place, held_at, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (topic, place, held_at, staff_id, to_db_time(utcnow())),
            )
        return await self.dialogue(cursor.lastrowid)

    async def dialogue(self, dialogue_id: int) -> Dialogue | None:
        """Return a dialogue by id, or None."""
        row = await self.db.fetchone(
            "SELECT id, topic, place, held_at, status FROM dialogues WHERE id = ?", (dialogue_id,)
        )
        return Dialogue(*tuple(row)) if row else None

    async def dialogues(self, status: str = "announced") -> list[Dialogue]:
        """Return dialogues in a status, newest first."""
        rows = await self.db.fetchall(
            "SELECT id, topic, place, held_at, status FROM dialogues WHERE status = ?"
            " ORDER BY id DESC",
            (status,),
        )
        return [Dialogue(*tuple(row)) for row in rows]

    async def ask(
        self, dialogue_id: int, resident_id: int | None, hamlet: str | None, text: str
    ) -> int | None:
        """Store a question while the dialogue takes questions; return its id, or None."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO dialogue_questions (dialogue_id, resident_id, hamlet, text,"
                " created_at) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM dialogues"
                " WHERE id = ? AND status = 'announced')",
                (dialogue_id, resident_id, hamlet, text, to_db_time(utcnow()), dialogue_id),
            )
            return cursor.lastrowid if cursor.rowcount == 1 else None

    async def questions(self, dialogue_id: int) -> list[Question]:
        """Return a dialogue's questions, grouped by hamlet, oldest first within each."""
        rows = await self.db.fetchall(
            "SELECT id, dialogue_id, resident_id, hamlet, text, answer FROM dialogue_questions"
            " WHERE dialogue_id = ? ORDER BY COALESCE(hamlet, '~'), id",
            (dialogue_id,),
        )
        return [Question(*tuple(row)) for row in rows]

    async def answer(self, question_id: int, answer: str, staff_id: int) -> bool:
        """Record the answer given at the session to one question."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE dialogue_questions SET answer = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND dialogue_id IN (SELECT id FROM dialogues"
                " WHERE status = 'announced')",
                (answer, staff_id, to_db_time(utcnow()), question_id),
            )
            return cursor.rowcount == 1

    async def publish(self, dialogue_id: int) -> bool:
        """Mark a dialogue's answers published; return False if already published."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE dialogues SET status = 'published' WHERE id = ? AND status = 'announced'",
                (dialogue_id,),
            )
            return cursor.rowcount == 1

    async def add_remark(self, feedback_id: int, staff_id: int, staff_name: str, text: str) -> int:
        """Store a supervision board member's remark on a feedback item."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO supervision_remarks (feedback_id, staff_id, staff_name, text,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (feedback_id, staff_id, staff_name, text, to_db_time(utcnow())),
            )
            return cursor.lastrowid

    async def remarks(self, feedback_id: int) -> list[Remark]:
        """Return the remarks on an item, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, feedback_id, staff_name, text, acknowledged_by FROM supervision_remarks"
            " WHERE feedback_id = ? ORDER BY id",
            (feedback_id,),
        )
        return [Remark(*tuple(row)) for row in rows]

    async def acknowledge(self, feedback_id: int, official_name: str) -> int:
        """Mark every open remark on an item as seen by an official; return how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE supervision_remarks SET acknowledged_by = ?, acknowledged_at = ?"
                " WHERE feedback_id = ? AND acknowledged_by IS NULL",
                (official_name, to_db_time(utcnow()), feedback_id),
            )
            return cursor.rowcount
