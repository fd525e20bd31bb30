"""Which library items campaigns have sent to whom: each item reaches a resident once."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime

from storage.db import Database, to_db_time


class ContentDeliveries:
    """Repository of campaign deliveries of library items."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def delivered(self, item_ids: Collection[str]) -> dict[int, set[str]]:
        """Map each resident to the items among `item_ids` a campaign already sent them."""
        if not item_ids:
            return {}
        rows = await self.db.fetchall(
            "SELECT resident_id, item_id FROM content_deliveries"
            " WHERE item_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(item_ids)),),
        )
        found: dict[int, set[str]] = {}
        for row in rows:
            found.setdefault(row["resident_id"], set()).add(row["item_id"])
        return found

    async def served(self, firing: str) -> set[int]:
        """Return the residents a campaign firing has already given an item."""
        rows = await self.db.fetchall(
            "SELECT resident_id FROM content_deliveries WHERE firing = ?", (firing,)
        )
        return {row["resident_id"] for row in rows}

    async def claim(
        self,
        pairs: Iterable[tuple[int, str]],
        campaign: str,
        firing: str,
        now: datetime,
    ) -> set[tuple[int, str]]:
        """Record (resident, item) deliveries; return the pairs that were not recorded before.

        Call it inside the transaction that enqueues the items' outbox rows, and enqueue only
        the pairs returned: an item is then recorded exactly when its push is accepted.
        """
        data = json.dumps([[resident, item] for resident, item in pairs])
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "INSERT INTO content_deliveries (resident_id, item_id, campaign, firing,"
                " enqueued_at) SELECT value ->> 0, value ->> 1, ?, ?, ? FROM json_each(?)"
                " WHERE true ON CONFLICT (resident_id, item_id) DO NOTHING"
                " RETURNING resident_id, item_id",
                (campaign, firing, to_db_time(now), data),
            )
        return {(row["resident_id"], row["item_id"]) for row in rows}

    async def forget(self, resident_id: int, item_ids: Collection[str]) -> int:
        """Forget deliveries whose pushes were cancelled, so the items can be sent again."""
        if not item_ids:
            return 0
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM content_deliveries WHERE resident_id = ?"
                " AND item_id IN (SELECT value FROM json_each(?))",
                (resident_id, json.dumps(sorted(item_ids))),
            )
            return cursor.rowcount

    async def count_by_campaign(self) -> dict[str, int]:
        """Count the items each campaign has enqueued, all time."""
        rows = await self.db.fetchall(
            "SELECT campaign, COUNT(*) AS n FROM content_deliveries GROUP BY campaign"
        )
        return {row["campaign"]: row["n"] for row in rows}
