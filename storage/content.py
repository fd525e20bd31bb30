"""What residents read in the outreach library and how they answered its quizzes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import NamedTuple

from storage.db import Database, to_db_time, utcnow


class ReadTally(NamedTuple):
    """Reads of one topic: item reads (one per resident and item) and distinct readers."""

    reads: int
    readers: int


class QuizTally(NamedTuple):
    """Current quiz answers: how many are right and how many wrong."""

    right: int
    wrong: int


class ContentRepo:
    """Repository of library reads and quiz answers."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_read(
        self, resident_id: int, item_id: str, topic: str, at: datetime | None = None
    ) -> None:
        """Count that a resident opened an item."""
        now = to_db_time(at or utcnow())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO content_reads (resident_id, item_id, topic, read_count,"
                " first_read_at, last_read_at) VALUES (?, ?, ?, 1, ?, ?)"
                " ON CONFLICT (resident_id, item_id) DO UPDATE SET"
                " read_count = read_count + 1, topic = excluded.topic,"
                " last_read_at = excluded.last_read_at",
                (resident_id, item_id, topic, now, now),
            )

    async def record_answer(
        self,
        resident_id: int,
        item_id: str,
        topic: str,
        answer: str,
        correct: bool,
        at: datetime | None = None,
    ) -> None:
        """Store a resident's answer to an item's quiz, replacing an earlier one."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO content_answers (resident_id, item_id, topic, answer, correct,"
                " answered_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (resident_id, item_id) DO UPDATE SET topic = excluded.topic,"
                " answer = excluded.answer, correct = excluded.correct,"
                " answered_at = excluded.answered_at",
                (resident_id, item_id, topic, answer, int(correct), to_db_time(at or utcnow())),
            )

    async def answers(self, resident_id: int) -> dict[str, bool]:
        """Map each item a resident answered to whether the answer is right."""
        rows = await self.db.fetchall(
            "SELECT item_id, correct FROM content_answers WHERE resident_id = ?", (resident_id,)
        )
        return {row["item_id"]: bool(row["correct"]) for row in rows}

    async def items_read(self, resident_id: int) -> set[str]:
        """Return the ids of the items a resident has opened."""
        rows = await self.db.fetchall(
            "SELECT item_id FROM content_reads WHERE resident_id = ?", (resident_id,)
        )
        return {row["item_id"] for row in rows}

    async def topics_known(
        self, resident_id: int, quizzes: Mapping[str, Collection[str]]
    ) -> set[str]:
        """Return the topics whose every quiz the resident answered right.

        `quizzes` maps each topic to the ids of its items with a quiz (the library knows
        them; the database does not). A topic without quizzes is never "known".
        """
        right = {item for item, correct in (await self.answers(resident_id)).items() if correct}
        return {topic for topic, items in quizzes.items() if items and set(items) <= right}

    async def reads_by_topic(self, since: datetime | None = None) -> dict[str, ReadTally]:
        """Count item reads and distinct readers per topic (optionally since a moment)."""
        rows = await self.db.fetchall(
            "SELECT topic, COUNT(*) AS reads, COUNT(DISTINCT resident_id) AS readers"
            " FROM content_reads WHERE last_read_at >= ? GROUP BY topic",
            (_since(since),),
        )
        return {row["topic"]: ReadTally(row["reads"], row["readers"]) for row in rows}

    async def answers_by_topic(self, since: datetime | None = None) -> dict[str, QuizTally]:
        """Count right and wrong current answers per topic (optionally since a moment)."""
        return await self._tally("topic", since)

    async def answers_by_item(self, since: datetime | None = None) -> dict[str, QuizTally]:
        """Count right and wrong current answers per item (optionally since a moment)."""
        return await self._tally("item_id", since)

    async def _tally(self, column: str, since: datetime | None) -> dict[str, QuizTally]:
        assert column in ("topic", "item_id")  # a column name, never a value from outside
        rows = await self.db.fetchall(
            f"SELECT {column} AS name, SUM(correct) AS n_right, SUM(1 - correct) AS n_wrong"
            f" FROM content_answers WHERE answered_at >= ? GROUP BY {column}",
            (_since(since),),
        )
        return {row["name"]: QuizTally(row["n_right"], row["n_wrong"]) for row in rows}


def _since(moment: datetime | None) -> str:
    return to_db_time(moment) if moment is not None else ""
