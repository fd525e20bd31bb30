"""A resident's "delete my data" (/xoadulieu): all they wrote or sent goes, in one transaction.

Goes:
- their name, app ids, chat id and consent (the `residents` row stays as "deleted", with its
  hamlet, so counts remain), subscriptions, quiet hours, conversations and a draft's photos;
- on each feedback item they sent: the text (replaced by an empty text; `erased_at` tells
  staff views to show "the sender deleted their data"), the typed address, the map point,
  every photo, the rating comment, their own words in its history, the full name they typed
  with a complaint or a denunciation, and the link to them;
- the comments of their service ratings (and the consent to be called back), the comments
  of their consultation answers, the text of their questions to dialogues;
- every outbox row addressed to them (`Outbox.cancel_for_chat`), and every staff-side row
  that quotes them: notifications, reminders and alerts about their items, supervision
  remarks on them, low-rating alerts, weekly digests and consultation results that quote
  their comments. Rows already sent keep only their counts; rows still waiting are
  cancelled (a digest can be built again with /baocao or `loaxa digest`).
Stays, carrying no personal data, for statistics: each item's code, kind, category,
hamlet, dates, deadline, status, staff's answers and history, rating score; ratings' scores;
survey, quiz and consultation choices (linked only to the anonymous row).

`secure_delete` is on for every connection (storage/connections.py), so the bytes are
overwritten in the file; `Database.checkpoint()` afterwards empties the WAL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import aiosqlite

from storage.db import Database, to_db_time, utcnow
from storage.models import Resident
from storage.outbox import Outbox
from storage.residents import Residents

BLANK = '{"text": ""}'  # an outbox payload that quoted the resident
_TOP = "\U0010ffff"  # sorts after every character: the upper end of a prefix range
_QUOTE = 40  # characters of a comment that identify a digest or results text quoting it
# A shorter comment ("ok", "Tốt") names nobody and would match texts that do not quote it;
# the workbooks that may hold it go anyway (they are blanked by date, not by search).
_MIN_QUOTE = 8
_IN = "IN (SELECT value FROM json_each(?))"


def _ids(rows: Iterable[aiosqlite.Row]) -> list[int]:
    return [row[0] for row in rows]


class Erasure:
    """Deletes what one resident wrote or sent, keeping anonymous counts."""

    def __init__(self, db: Database, residents: Residents, outbox: Outbox) -> None:
        self.db = db
        self.residents = residents
        self.outbox = outbox

    async def erase(self, resident: Resident) -> None:
        """Erase a resident's personal data and everything they wrote, in one transaction."""
        rid = resident.id
        async with self.db.transaction() as conn:
            items = _ids(await conn.execute_fetchall(
                "SELECT id FROM feedback WHERE resident_id = ?", (rid,)
            ))  # fmt: skip
            quoted = await self._quoted_sources(conn, rid, json.dumps(items))
            typed = await conn.execute_fetchall(
                "SELECT comment, created_at FROM ratings"
                " WHERE resident_id = ? AND comment IS NOT NULL"
                " UNION ALL SELECT comment, NULL FROM consultation_answers"
                " WHERE resident_id = ? AND comment IS NOT NULL",
                (rid, rid),
            )
            # The triggers of migration 0014 delete a draft's photos with its conversation.
            await conn.execute(
                "DELETE FROM sessions WHERE channel = ? AND user_id = ?",
                (resident.channel, resident.user_id),
            )
            await self._erase_items(conn, json.dumps(items))
            await conn.execute(
                "UPDATE ratings SET comment = NULL, contact_ok = 0 WHERE resident_id = ?", (rid,)
            )
            await conn.execute(
                "UPDATE consultation_answers SET comment = NULL WHERE resident_id = ?", (rid,)
            )
            await conn.execute(
                "UPDATE dialogue_questions SET text = '', resident_id = NULL WHERE resident_id = ?",
                (rid,),
            )
            await self._blank(conn, quoted)
            await self._blank_quotes(conn, typed)
            if resident.channel and resident.chat_id:
                await self.outbox.cancel_for_chat(resident.channel, resident.chat_id, rid)
            await self.residents.erase(rid)

    @staticmethod
    async def _erase_items(conn: aiosqlite.Connection, items: str) -> None:
        """Empty the resident's items of what they wrote, and of their photos and place."""
        await conn.execute(f"DELETE FROM media WHERE feedback_id {_IN}", (items,))
        await conn.execute(
            "UPDATE feedback SET description = '', address = NULL, latitude = NULL,"
            " longitude = NULL, rating_comment = NULL, resident_id = NULL, complainant_name = NULL,"
            f" notify_channel = NULL, notify_chat_id = NULL, erased_at = ? WHERE id {_IN}",
            (to_db_time(utcnow()), items),
        )
        await conn.execute(
            "UPDATE feedback_events SET text = NULL WHERE actor = 'resident'"
            f" AND action != 'rate' AND feedback_id {_IN}",
            (items,),
        )

    @staticmethod
    async def _quoted_sources(
        conn: aiosqlite.Connection, resident_id: int, items: str
    ) -> list[tuple[str, str]]:
        """The outbox source ranges (low, high) of staff pushes that quote the resident."""
        ranges = []
        for item in json.loads(items):
            for prefix in (f"fb:{item}:", f"sla:remind:{item}:", f"sla:overdue:{item}:"):
                ranges.append((prefix, prefix + _TOP))
        remarks = _ids(await conn.execute_fetchall(
            f"SELECT id FROM supervision_remarks WHERE feedback_id {_IN}", (items,)
        ))  # fmt: skip
        ratings = _ids(await conn.execute_fetchall(
            "SELECT id FROM ratings WHERE resident_id = ?", (resident_id,)
        ))  # fmt: skip
        exact = [f"remark:{r}" for r in remarks] + [f"rating:{r}" for r in ratings]
        return ranges + [(source, source) for source in exact]

    @staticmethod
    async def _blank(conn: aiosqlite.Connection, ranges: list[tuple[str, str]]) -> None:
        """Blank the rows of these source ranges; cancel the ones not sent yet."""
        await conn.executemany(
            "UPDATE outbox SET payload = ?,"
            " last_error = CASE WHEN status IN ('pending', 'sending') THEN 'sender erased'"
            "  ELSE last_error END,"
            " status = CASE WHEN status IN ('pending', 'sending') THEN 'cancelled'"
            "  ELSE status END"
            " WHERE source BETWEEN ? AND ?",
            [(BLANK, low, high) for low, high in ranges],
        )

    async def _blank_quotes(self, conn: aiosqlite.Connection, typed: list) -> None:
        """Blank the digests and consultation results that quote one of these comments
        (rows of (comment, when it was rated; None for a consultation's)).

        A digest's workbook cannot be searched (it is compressed): every workbook built
        since the first rating comment goes too.
        """
        sources = set()
        for text, _ in typed:
            if len(text.strip()) < _MIN_QUOTE:
                continue
            for form in {text, " ".join(text.split())}:
                needle = json.dumps(form[:_QUOTE], ensure_ascii=False)[1:-1]
                rows = await conn.execute_fetchall(
                    "SELECT source FROM outbox WHERE (source BETWEEN ? AND ?"
                    "  OR source GLOB 'consult:*:closed') AND instr(payload, ?) > 0",
                    ("digest:", "digest:" + _TOP, needle),
                )
                sources.update(row[0] for row in rows)
        rated = [when for _, when in typed if when]
        if rated:
            rows = await conn.execute_fetchall(
                "SELECT DISTINCT source FROM outbox WHERE source GLOB 'digest:*:workbook'"
                " AND substr(created_at, 1, 19) >= substr(?, 1, 19)",
                (min(rated),),
            )
            sources.update(row[0] for row in rows)
        await self._blank(conn, [(source, source) for source in sorted(sources)])
