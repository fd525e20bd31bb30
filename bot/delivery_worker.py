"""One channel's delivery worker: claim small batches, pace them, keep a few sends in flight.

Memory stays flat whatever the size of a broadcast: the worker holds one claimed batch, a
bounded set of rows parked until their chat may receive again, and `in_flight` send tasks.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.channels.base import Channel
from bot.ratelimit import CallLimit, Pacer
from storage.outbox import OutboxItem, now_utc

if TYPE_CHECKING:
    from storage import Storage

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # look for due rows at least this often (another process may enqueue)
ERROR_PAUSE = 1.0  # after a storage error in the loop


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row: sent, retry, released, held, failed or unreachable."""

    kind: str
    item: OutboxItem
    error: str = ""
    not_before: datetime | None = None
    attempt: bool = True  # False: the try is given back (rate limits, never-sent rows)
    billing: str | None = None  # a sent Zalo OA push: 'free' or 'paid'


class Engine(Protocol):
    """What a worker asks of the delivery engine (bot/delivery.py's Delivery)."""

    store: Storage
    clock: Callable[[], float]
    counters: Counter[str]

    async def attempt(self, channel: Channel, worker: Worker, item: OutboxItem) -> Outcome: ...

    async def record(self, outcome: Outcome) -> None: ...

    def wall_after(self, seconds: float) -> datetime: ...


class Worker:
    """Delivers one channel's outbox rows."""

    def __init__(self, delivery: Engine, channel: Channel, pacer: Pacer, in_flight: int):
        self.delivery = delivery
        self.channel = channel
        self.pacer = pacer
        self.in_flight = in_flight
        self.batch = in_flight  # small claims: an urgent row overtakes within one batch
        # Rows between "send started" and "outcome committed": what a crash can duplicate.
        # Twice the calls in flight, so that sends go on while a commit waits for the disk.
        self.window = 2 * in_flight
        self.park_limit = 4 * in_flight
        self.wake = asyncio.Event()
        self._calls = CallLimit(in_flight)  # fewer when calls only queue (loopback)
        self._unsettled = asyncio.Semaphore(self.window)
        self._buffer: list[tuple[int, int, OutboxItem]] = []  # heap: (priority, id, row)
        self._parked: list[tuple[float, int, OutboxItem]] = []  # (chat ready at, id, row)
        self._sends: set[asyncio.Task] = set()
        self._refill: asyncio.Task | None = None  # the claim under way, if any
        self._exhausted = False  # the last claim found fewer rows than it asked for
        self._news = False  # something was enqueued since the last claim began
        self._limited: dict[str, float] = {}  # chat -> end of its 429 pause (clock time)
        self._stopped = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def clock(self):
        return self.delivery.clock

    def start(self, task: asyncio.Task) -> None:
        self._stopped.clear()
        self._task = task

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish, and release what was not sent."""
        self._stopped.set()
        self.wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def holding(self) -> dict[str, int]:
        return {
            "buffered": len(self._buffer),
            "parked": len(self._parked),
            "in_flight": len(self._sends),
            "call_limit": int(self._calls.limit),
        }

    async def run(self) -> None:
        """Take the next due row, wait for its slot, send it; until stopped."""
        try:
            while not self._stopped.is_set():
                await self._unsettled.acquire()
                await self._calls.acquire()
                try:
                    item = await self._next_item()
                except Exception:
                    log.exception("the %s delivery worker could not claim rows", self.channel.name)
                    self._release_slots()
                    await self._sleep(ERROR_PAUSE)
                    continue
                if item is None:
                    self._release_slots()
                    break
                if not await self._sleep(self.pacer.book(item.chat_id) - self.clock()):
                    self._hold(item)  # stopped while waiting for its slot
                    self._release_slots()
                    break
                task = asyncio.create_task(self._send(item))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
        finally:
            await asyncio.gather(*self._sends, return_exceptions=True)
            if self._refill is not None:
                await asyncio.wait([self._refill])
            await self._release_held()

    async def _send(self, item: OutboxItem) -> None:
        round_trip = None
        try:
            try:
                started = self.clock()
                outcome = await self.delivery.attempt(self.channel, self, item)
                round_trip = self.clock() - started if outcome.kind == "sent" else None
            finally:
                self._calls.release(round_trip)
            await self.delivery.record(outcome)
        except Exception:  # the row stays 'sending' until the next start recovers it
            log.exception("could not record the outcome of outbox row %s", item.id)
        finally:
            self._unsettled.release()

    def _release_slots(self) -> None:
        self._calls.release()
        self._unsettled.release()

    async def _next_item(self) -> OutboxItem | None:
        """Return the next row whose chat may receive now, or None once stopped."""
        while not self._stopped.is_set():
            if self.wake.is_set():  # something was enqueued or put back: claim at once,
                self.wake.clear()  # it may be urgent
                self._exhausted, self._news = False, True
            now = self.clock()
            if self._parked and self._parked[0][0] <= now:
                item = heapq.heappop(self._parked)[2]
            elif self._buffer:
                item = heapq.heappop(self._buffer)[2]
            else:
                item = None
            low = len(self._buffer) <= self.batch // 2  # claim ahead: sends never wait for it
            if (low or self._news) and not self._exhausted and self._refill is None:
                self._news = False
                self._refill = asyncio.create_task(self._claim())
            if item is not None:
                ready = self.pacer.chat_ready_at(item.chat_id)  # a 429 may have moved it
                if ready <= now + self.pacer.limits.interval:
                    return item
                await self._park(item, ready, now)
                continue
            if self._refill is not None:
                await asyncio.wait([self._refill])
                continue
            await self._wait_for_work(now)
            self._exhausted = False  # time passed: postponed rows may be due
        return None

    def _hold(self, item: OutboxItem) -> None:
        heapq.heappush(self._buffer, (item.priority, item.id, item))

    async def _claim(self) -> None:
        """Claim the next batch into the buffer, where it sorts by priority then id."""
        try:
            claimed = await self.delivery.store.outbox.claim(
                self.channel.name, self.batch, now_utc(), self._waiting_chats()
            )
        except Exception:
            log.exception("the %s delivery worker could not claim rows", self.channel.name)
            claimed = []
        finally:
            self._refill = None
        self._exhausted = len(claimed) < self.batch
        if claimed:
            self.delivery.counters["claimed"] += len(claimed)
            for item in claimed:
                self._hold(item)

    def _waiting_chats(self) -> set[str]:
        """Chats with a row parked until their rate limit allows: leave their other rows."""
        return {item.chat_id for _, _, item in self._parked}

    async def _park(self, item: OutboxItem, ready: float, now: float) -> None:
        """Hold a row until its chat may receive again; past the limit, store it as pending."""
        if len(self._parked) < self.park_limit:
            heapq.heappush(self._parked, (ready, item.id, item))
            return
        self.delivery.counters["postponed"] += 1
        not_before = self.delivery.wall_after(ready - now)
        # Not an Outcome of a send: written at once, the row goes back to wait in the table.
        await self.delivery.record(
            Outcome("retry", item, "waiting for the chat's rate limit", not_before, attempt=False)
        )

    async def _wait_for_work(self, now: float) -> None:
        timeout = POLL_SECONDS
        if self._parked:
            timeout = min(timeout, self._parked[0][0] - now)
        due = await self.delivery.store.outbox.next_due(self.channel.name, self._waiting_chats())
        if due is not None:
            timeout = min(timeout, (due - now_utc()).total_seconds())
        if timeout > 0:
            with suppress(TimeoutError):  # time to look again
                await asyncio.wait_for(self.wake.wait(), timeout)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped meanwhile; return False if stopped."""
        if seconds > 0:
            try:
                await asyncio.wait_for(self._stopped.wait(), seconds)
            except TimeoutError:
                return True
        return not self._stopped.is_set()

    def rate_limited(self, chat_id: str, retry_after: float) -> None:
        """Pause the chat; pause the channel when another chat is limited at the same time.

        Telegram's 429 does not say whether one chat's or the bot's overall limit was hit.
        Two different chats limited within one pause means the overall one.
        """
        now = self.clock()
        self._limited = {chat: until for chat, until in self._limited.items() if until > now}
        self.pacer.pause_chat(chat_id, retry_after)
        if any(chat != chat_id for chat in self._limited):
            self.delivery.counters["paused_channel"] += 1
            self.pacer.pause_all(retry_after)
        self._limited[chat_id] = now + retry_after

    async def _release_held(self) -> None:
        """Give claimed rows that were never sent back to the table (a graceful stop)."""
        held = [item for _, _, item in (*self._buffer, *self._parked)]
        self._buffer.clear()
        self._parked.clear()
        if held:
            await self.delivery.store.outbox.release([item.id for item in held])
            log.info("returned %d unsent %s pushes to the outbox", len(held), self.channel.name)
