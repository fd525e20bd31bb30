"""Flood limits and injected failures of the Telegram emulator."""

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .telegram_models import ApiError

FAILURE_KINDS = ("500", "502", "drop", "drop_after")


@dataclass(frozen=True)
class RateLimits:
    """Send limits like Telegram's free tier (core.telegram.org/bots/faq).

    Each limit is a token bucket: `burst` messages may go to one chat at once, then
    `per_chat_per_second`; groups additionally get `group_per_minute` (None = off).
    """

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    burst: int = 3
    group_per_minute: float | None = 20.0


class _Bucket:
    """A token bucket refilled continuously."""

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Refill and return the seconds until one token is available (0 if now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token."""
        self.tokens -= 1


class RateLimiter:
    """Apply RateLimits to send calls; raise a 429 ApiError when one is exceeded."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._global = _Bucket(limits.global_per_second, limits.global_per_second, clock())
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Bucket] = {}

    def acquire(self, chat_id: int, is_group: bool) -> None:
        """Take one send slot for chat_id or raise ApiError 429 with retry_after."""
        now = self.clock()
        buckets = [self._global, self._chat_bucket(chat_id, now)]
        if is_group and self.limits.group_per_minute:
            buckets.append(self._group_bucket(chat_id, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.take()

    def _chat_bucket(self, chat_id: int, now: float) -> _Bucket:
        """Return the per-chat bucket."""
        if chat_id not in self._chats:
            self._chats[chat_id] = _Bucket(
                self.limits.per_chat_per_second, max(1, self.limits.burst), now
            )
        return self._chats[chat_id]

    def _group_bucket(self, chat_id: int, now: float) -> _Bucket:
        """Return the per-group per-minute bucket."""
        if chat_id not in self._groups:
            per_minute = float(self.limits.group_per_minute or 0)
            self._groups[chat_id] = _Bucket(per_minute / 60.0, per_minute, now)
        return self._groups[chat_id]


class FailurePlan:
    """Decide, with a seeded RNG, which calls fail and how."""

    def __init__(
        self, rate: float, kinds: Iterable[str], seed: int | None, include_get_updates: bool
    ):
        self.rate = rate
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(FAILURE_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"failure_kinds must be among {FAILURE_KINDS}, got {self.kinds}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"failure_rate must be within 0..1, got {rate}")
        self.include_get_updates = include_get_updates
        self.rng = random.Random(seed)

    def pick(self, method: str) -> str | None:
        """Return the failure kind for this call, or None to answer normally."""
        if self.rate <= 0 or (method == "getUpdates" and not self.include_get_updates):
            return None
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)
