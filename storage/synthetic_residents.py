"""Onboarded residents in bulk, for benchmarks: what /start -> consent -> hamlet -> "all" leaves.

Each resident is active, has consented, lives in a hamlet and receives every topic, exactly
as the onboarding flow stores someone who chose "Nhận tất cả". Their channel user ids (and
private chat ids) are consecutive integers from `first_user_id`, the way the Telegram
emulator numbers its users, so the emulated people are these residents. One INSERT ...
SELECT over a recursive counter for the residents, one for the subscriptions, in one
transaction: 100,000 residents in a few seconds. Nothing here runs in the bot itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from storage.db import Database, to_db_time, utcnow
from storage.models import Topic

_COUNTER = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)"


def hamlet_of(index: int, hamlets: Sequence[str]) -> str:
    """Return the hamlet of the `index`-th resident (0-based) of `add_onboarded`."""
    return hamlets[index % len(hamlets)]


async def add_onboarded(
    db: Database,
    *,
    first_user_id: int,
    count: int,
    hamlets: Sequence[str],
    topics: Iterable[Topic] = tuple(Topic),
    channel: str = "telegram",
    language: str = "vi",
) -> int:
    """Insert `count` onboarded residents (user ids first_user_id, +1, ...); return count."""
    if count <= 0:
        return 0
    now = to_db_time(utcnow())
    whens = " ".join(f"WHEN {k} THEN ?" for k in range(len(hamlets)))
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM residents")
        (first_id,) = await cursor.fetchone()
        await conn.execute(
            f"{_COUNTER} INSERT INTO residents (channel, user_id, chat_id, display_name, hamlet,"
            " language, status, consent_at, created_at, updated_at)"
            " SELECT ?, CAST(? + i AS TEXT), CAST(? + i AS TEXT), 'Dân ' || (i + 1),"
            f" CASE i % {len(hamlets)} {whens} END, ?, 'active', ?, ?, ? FROM n",
            (count, channel, first_user_id, first_user_id, *hamlets, language, now, now, now),
        )
        for topic in topics:
            await conn.execute(
                "INSERT INTO subscriptions (resident_id, topic) SELECT id, ? FROM residents"
                " WHERE id >= ?",
                (Topic(topic).value, first_id),
            )
    return count
