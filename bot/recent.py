"""Recent events per key in a sliding window: the router's flood control, sign-in attempts."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class RecentEvents:
    """The moments of each key's events within the last `window` seconds.

    Keys gone quiet are forgotten once more than `max_keys` are held, so memory stays bounded
    whoever writes.
    """

    def __init__(self, window: float, max_keys: int = 10_000) -> None:
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[Hashable, deque[float]] = {}

    def of(self, key: Hashable, now: float) -> deque[float]:
        """Return the key's moments still inside the window (append to it to count one)."""
        if len(self._seen) > self.max_keys:
            self._seen = {k: q for k, q in self._seen.items() if q and now - q[-1] < self.window}
        recent = self._seen.setdefault(key, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        return recent


class Attempts:
    """At most `limit` attempts per key in a sliding window; refused ones are not counted."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.clock = clock
        self._recent = RecentEvents(window)

    def allow(self, key: Hashable) -> bool:
        """Count an attempt from `key`; False once it has made too many."""
        now = self.clock()
        recent = self._recent.of(key, now)
        if len(recent) >= self.limit:
            return False
        recent.append(now)
        return True
