"""Burst-free pacing of pushes under a channel's send limits (overall and per chat).

Telegram's free tier allows about 30 messages per second overall and about one per second to
one chat (core.telegram.org/bots/faq); exceeding either answers 429 with `retry_after`.
Measurements against a strict 30/s server (shared/reference/telegram.md) showed that a
limiter which releases 30 sends at once draws 429s, while evenly spaced sends a little under
the cap draw none. So this module does not keep a bucket of tokens to spend in a burst: each
send books the next free slot on an evenly spaced timeline, overall and per chat, and waits
for it. Pauses asked for by the service (429) push those timelines back.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass

PAID_BROADCAST_PER_SECOND = 1000.0  # Telegram's ceiling with allow_paid_broadcast
_SLACK = 1.0  # intervals: how late a sender may be and keep its place on the timeline
_PRUNE_AT = 4096  # forget per-chat timelines once this many are kept and they are past


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """How fast one channel may send; None or 0 means no limit."""

    per_second: float | None = 30.0
    per_chat_per_second: float | None = 1.0
    headroom: float = 0.98  # pace at this fraction of each cap, so jitter never crosses it
    paid_broadcast: bool = False  # Telegram's allow_paid_broadcast: up to 1000/s, billed

    @property
    def interval(self) -> float:
        """Seconds between two sends overall (0 = unpaced)."""
        rate = PAID_BROADCAST_PER_SECOND if self.paid_broadcast else self.per_second
        return 1.0 / (rate * self.headroom) if rate else 0.0

    @property
    def chat_interval(self) -> float:
        """Seconds between two sends to one chat (0 = unpaced)."""
        rate = self.per_chat_per_second
        return 1.0 / (rate * self.headroom) if rate else 0.0


class Pacer:
    """Evenly spaced send slots for one channel: one timeline overall, one per chat.

    `book()` reserves a slot at once (so concurrent callers get successive slots) and
    returns the moment to send; the caller sleeps until then. An idle timeline does not save
    up slots: after a pause the next send goes at once and the following ones are spaced again.
    """

    def __init__(self, limits: ChannelLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._next = 0.0  # earliest moment of the next send overall
        self._chats: dict[str, float] = {}  # chat -> earliest moment of its next send

    def chat_ready_at(self, chat_id: str) -> float:
        """Return the earliest moment this chat may receive again."""
        return self._chats.get(chat_id, 0.0)

    def book(self, chat_id: str) -> float:
        """Reserve the next slot for a send to `chat_id` and return its moment."""
        now = self.clock()
        interval = self.limits.interval
        # A sender that wakes up to one slot late keeps its place on the timeline, so the
        # average rate holds; a timeline further behind (idle) restarts now, saving nothing up.
        start = self._next if self._next >= now - interval * _SLACK else now
        at = max(start, self._chats.get(chat_id, 0.0))
        self._next = at + interval
        if self.limits.chat_interval:
            self._chats[chat_id] = max(at, now) + self.limits.chat_interval
            if len(self._chats) > _PRUNE_AT:
                self._prune(now)
        return at

    def pause_chat(self, chat_id: str, seconds: float) -> None:
        """Send nothing to this chat for `seconds` (a 429 for one chat)."""
        until = self.clock() + seconds
        self._chats[chat_id] = max(self._chats.get(chat_id, 0.0), until)

    def pause_all(self, seconds: float) -> None:
        """Send nothing on this channel for `seconds` (a 429 for the whole bot)."""
        self._next = max(self._next, self.clock() + seconds)

    def _prune(self, now: float) -> None:
        self._chats = {chat: at for chat, at in self._chats.items() if at > now}


class CallLimit:
    """How many sends may be in flight at once: up to `maximum`, fewer when they only queue.

    TCP Vegas's rule, applied to calls as Netflix's concurrency-limits does: the shortest
    recent round trip is what a call costs with nothing queued; the excess of the current one
    says how many calls wait behind each other. Far from the service (50 ms away) all
    `maximum` calls overlap usefully; on a loopback or a busy CPU they only queue, and each
    extra open connection costs httpcore's pool bookkeeping on every request. Every WINDOW
    round trips the limit drops to `minimum` for a few calls (BBR's ProbeRTT), so that the
    shortest round trip is measured afresh rather than remembered from a quieter moment.
    """

    ALPHA, BETA = 1.5, 3.0  # calls queued: below ALPHA grow the limit, above BETA shrink it
    WINDOW = 1000  # round trips between two probes of the shortest round trip

    def __init__(self, maximum: int, minimum: int = 2) -> None:
        self.maximum = maximum
        self.minimum = min(minimum, maximum)
        self.limit = float(min(maximum, 2 * self.minimum))  # grows when calls overlap usefully
        self.active = 0
        self._room = asyncio.Event()
        self._best = self._window_best = math.inf
        self._samples = 0
        self._probing = 0  # round trips left to measure at `minimum` calls in flight

    async def acquire(self) -> None:
        """Wait until one more call may start."""
        while self.active >= int(self.limit):
            self._room.clear()
            await self._room.wait()
        self.active += 1

    def release(self, round_trip: float | None = None) -> None:
        """End a call; pass its round trip (seconds) when it succeeded."""
        self.active -= 1
        if round_trip is not None and round_trip > 0:
            self._learn(round_trip)
        self._room.set()

    def _learn(self, round_trip: float) -> None:
        self._window_best = min(self._window_best, round_trip)
        self._samples += 1
        if self._samples % self.WINDOW == 0:
            self._best, self._window_best = self._window_best, math.inf
            self._probing, self.limit = self.maximum + self.minimum, float(self.minimum)
        if self._probing:
            self._probing -= 1
            return
        queued = self.limit * (1 - min(self._best, self._window_best) / round_trip)
        if queued < self.ALPHA:
            self.limit = min(float(self.maximum), self.limit + 1)
        elif queued > self.BETA:
            self.limit = max(float(self.minimum), self.limit - 1)
