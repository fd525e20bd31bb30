"""The Zalo OA's window: who may be written to now, and what waited for them meanwhile.

A consultation message may go only to a follower who interacted with the OA in the last
LOAXA_ZALO_OA_WINDOW_DAYS (7) days; the first LOAXA_ZALO_OA_FREE_HOURS (48) are free, the
rest billable (shared/reference/zalo-oa.md §3; the sources conflict, hence settings). An
interaction is any event from the follower (a message, a follow), at Zalo's timestamp.

The delivery engine asks `billing()` before each OA push: None (outside the window) holds
the row instead of sending it; a push Zalo refuses with -230 is held too. When the follower
next writes, the OA channel calls `deliver_held()` before answering: the oldest HELD_FIRST
rows go first, and the channel says how many still wait.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.base import SendError
from bot.config import Settings
from bot.messages import Reply
from storage import Storage
from storage.outbox import now_utc

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
HELD_FIRST = 5  # held messages delivered when a follower writes; the rest at their next one

Send = Callable[[str, Reply], Awaitable[object]]


class OaWindow:
    """Knows each follower's last interaction and what may be sent to them now."""

    def __init__(
        self,
        store: Storage,
        *,
        window_days: float = 7.0,
        free_hours: float = 48.0,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.window = timedelta(days=window_days)
        self.free = timedelta(hours=free_hours)
        self.clock = clock  # tests move it with the OA emulator's clock

    @classmethod
    def from_settings(cls, store: Storage, settings: Settings) -> OaWindow:
        """Build the window from LOAXA_ZALO_OA_WINDOW_DAYS and LOAXA_ZALO_OA_FREE_HOURS."""
        return cls(
            store, window_days=settings.zalo_oa_window_days, free_hours=settings.zalo_oa_free_hours
        )

    async def interacted(self, chat_id: str, at: datetime | None = None) -> None:
        """Record that a follower wrote or followed (at Zalo's time when known, never later
        than now: a clock ahead must not stretch the window)."""
        now = self.clock()
        await self.store.oa_window.touch(chat_id, min(at, now) if at else now)

    async def billing(self, chat_id: str) -> str | None:
        """Say how a push to a follower would go now: 'free', 'paid', or None (held)."""
        last = await self.store.oa_window.last(chat_id)
        if last is None:
            return None
        quiet = self.clock() - last
        if quiet > self.window:
            return None
        return "free" if quiet <= self.free else "paid"

    async def deliver_held(self, chat_id: str, send: Send) -> int:
        """Send a follower's oldest held rows (at most HELD_FIRST); return how many still wait.

        A row that fails now goes back to the delivery engine (pending), which retries or
        settles it as it does any push.
        """
        outbox, held = self.store.outbox, self.store.oa_window
        billing = await self.billing(chat_id) or "paid"
        for item in await held.take_held(CHANNEL, chat_id, HELD_FIRST):
            try:
                await send(chat_id, item.reply)
            except SendError as exc:
                log.info("a held zalo OA push %s goes back to the outbox: %s", item.id, exc)
                await outbox.retry(item.id, now_utc(), str(exc))
                outbox.changed.set()
                continue
            async with self.store.db.transaction():
                await outbox.mark_sent([item.id])
                await held.bill([item.id], billing)
        return await held.count_held(CHANNEL, chat_id)
