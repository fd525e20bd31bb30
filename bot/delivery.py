"""The delivery engine: every push leaves through here, from the durable outbox.

One worker per channel claims small batches of due rows (priority, then id, so an urgent
one-to-one notification overtakes a 10,000-recipient broadcast within one batch), paces them
burst-free a little under the channel's limits (`bot/ratelimit.py`), keeps at most
`in_flight` sends going at once (never one coroutine per recipient), and records each outcome:

- sent: marked sent once the channel confirmed it; marks are committed in groups;
- 429 (RateLimited): the row waits `retry_after` (the chat is paused; the whole channel too
  when a second chat is limited meanwhile, since Telegram does not say which limit it was);
  a rate limit never uses up one of the row's attempts;
- 5xx and network errors (Transient): retried with exponential backoff and jitter, up to
  `max_attempts`, then 'failed' with the reason;
- 403 (Unreachable): 'unreachable', and the resident is marked blocked; never retried;
- Rejected: 'failed' with the reason; never retried;
- Held (a Zalo OA follower outside the 7-day window, by `bot/oa_window.py`'s check before the
  send or Zalo's -230 after it): 'held', neither retried nor failed, until they write again.

Guarantee: **at least once**. A push accepted (its outbox rows committed) is delivered even if
the process is killed at any moment: at start-up rows left 'sending' go back to 'pending'.
A row counts against a window of 2 x `in_flight` rows per channel from the moment its send
starts until its outcome is committed, so one crash can send at most 2 x `in_flight` pushes
per channel twice (32 with the default 16); nothing is lost. stop() is graceful: in-flight
sends finish and are recorded, claimed rows not yet sent go back to 'pending', so a clean
restart sends nothing twice. One more source of duplicates, which no sender can avoid: a
network failure after the service accepted a message (the answer was lost) is retried as a
Transient error. Only one process may deliver from a database.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.channels.base import Channel, Held, RateLimited, Rejected, Transient, Unreachable
from bot.config import Settings
from bot.delivery_worker import Outcome, Worker
from bot.ratelimit import ChannelLimits, Pacer
from storage import Storage
from storage.connections import is_transient
from storage.models import ResidentStatus
from storage.outbox import OutboxItem, now_utc

log = logging.getLogger(__name__)


class Window(Protocol):
    """A channel's rule on when a person may be written to (bot/oa_window.py)."""

    async def billing(self, chat_id: str) -> str | None: ...


Settled = Callable[[set[str]], Awaitable[object]]  # told the sources of rows that settled
COMMIT_EVERY = 0.025  # seconds between two commits of outcomes: one fsync covers many sends


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter for transient failures."""

    base: float = 2.0
    cap: float = 900.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Return the wait before retrying after the `attempt`-th failure (1-based)."""
        return min(self.cap, self.base * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


def limits_from(settings: Settings) -> dict[str, ChannelLimits]:
    """Return each channel's send limits from the settings."""
    return {
        "telegram": ChannelLimits(
            per_second=settings.telegram_rate_per_second,
            per_chat_per_second=settings.telegram_per_chat_per_second,
            paid_broadcast=settings.telegram_paid_broadcast,
        ),
        "zalo": ChannelLimits(
            per_second=settings.zalo_rate_per_second,
            per_chat_per_second=settings.zalo_per_chat_per_second,
        ),
    }


class Delivery:
    """Sends the outbox through the channels; see the module docstring for the guarantee."""

    def __init__(
        self,
        store: Storage,
        channels: Mapping[str, Channel],
        limits: Mapping[str, ChannelLimits],
        *,
        in_flight: int = 16,
        max_attempts: int = 8,
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        on_settled: Settled | None = None,
        windows: Mapping[str, Window] | None = None,
    ) -> None:
        self.store = store
        self.windows = dict(windows or {})  # channel -> its window (the Zalo OA's)
        self.on_settled = on_settled
        self._settled: set[str] = set()
        self._settled_event = asyncio.Event()
        self._unsettled = 0  # batches being written, and calls of on_settled running
        self._commits_over = False
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.clock = clock
        self.counters: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self.limits = {name: limits.get(name, ChannelLimits()) for name in channels}
        self._workers = {
            name: Worker(self, channel, Pacer(self.limits[name], clock), in_flight)
            for name, channel in channels.items()
        }
        self._pending: list[tuple[Outcome, asyncio.Future]] = []
        self._outcomes = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._closing = False

    @classmethod
    def from_settings(
        cls,
        store: Storage,
        channels: Iterable[Channel],
        settings: Settings,
        on_settled: Settled | None = None,
    ) -> Delivery:
        """Build the engine for these channels with the configured limits."""
        return cls(
            store,
            {channel.name: channel for channel in channels},
            limits_from(settings),
            in_flight=settings.delivery_in_flight,
            max_attempts=settings.delivery_max_attempts,
            backoff=Backoff(base=settings.delivery_retry_seconds),
            on_settled=on_settled,
            windows={c.name: c.window for c in channels if getattr(c, "window", None)},
        )

    async def start(self) -> None:
        """Return rows a previous process left in flight to pending, then start the workers."""
        await self.store.outbox.recover_in_flight()
        self._closing = self._commits_over = False
        self._tasks = [
            self._spawn(self._commit_loop(), "delivery-commits"),
            self._spawn(self._watch(), "delivery-watch"),
            self._spawn(self._tell_settled(), "delivery-settled"),
        ]
        for name, worker in self._workers.items():
            worker.start(self._spawn(worker.run(), f"delivery-{name}"))
        log.info("delivery started for %s", ", ".join(self._workers) or "no channel")

    async def stop(self) -> None:
        """Finish in-flight sends, record them, and leave everything else pending."""
        await asyncio.gather(*(worker.stop() for worker in self._workers.values()))
        self._closing = True
        self._outcomes.set()
        for task in self._tasks:
            if task.get_name() == "delivery-watch":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        log.info("delivery stopped: %s", dict(self.counters))

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until no row of a served channel is in flight or due within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        horizon = now_utc() + timedelta(seconds=timeout)
        while True:
            left = await self.store.outbox.outstanding(list(self._workers), horizon)
            if left == 0 and not self._unsettled and not self._settled:
                return
            if loop.time() >= deadline:
                raise TimeoutError(f"{left} pushes still outstanding after {timeout}s")
            await asyncio.sleep(0.1)

    def stats(self) -> dict[str, int]:
        """Return the counters and what each worker holds right now."""
        held = Counter()
        for worker in self._workers.values():
            held.update(worker.holding())
        return dict(self.counters) | dict(held)

    # --- what a send ended in ------------------------------------------------------------

    async def attempt(self, channel: Channel, worker: Worker, item: OutboxItem) -> Outcome:
        """Send one row and say what should become of it."""
        billing = None
        window = self.windows.get(item.channel)
        try:
            if window is not None:  # asked first: a send outside the window is refused anyway
                billing = await window.billing(item.chat_id)
                if billing is None:
                    return Outcome("held", item, "outside the window: waits for them to write")
            await channel.push(item.chat_id, item.reply)
        except RateLimited as exc:
            self.counters["rate_limited"] += 1
            worker.rate_limited(item.chat_id, exc.retry_after)
            not_before = now_utc() + timedelta(seconds=exc.retry_after)
            return Outcome("retry", item, str(exc), not_before, attempt=False)
        except Unreachable as exc:
            log.info("chat %s on %s is unreachable: %s", item.chat_id, item.channel, exc)
            return Outcome("unreachable", item, str(exc))
        except Held as exc:
            return Outcome("held", item, str(exc))
        except Rejected as exc:
            log.warning("%s rejected outbox row %s: %s", item.channel, item.id, exc)
            return Outcome("failed", item, f"rejected: {exc}")
        except Transient as exc:
            return self._retry_or_fail(item, str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug in an adapter must not stop every other push
            log.exception("sending outbox row %s crashed", item.id)
            return self._retry_or_fail(item, f"{type(exc).__name__}: {exc}")
        return Outcome("sent", item, billing=billing)

    def _retry_or_fail(self, item: OutboxItem, error: str) -> Outcome:
        if item.attempts >= self.max_attempts:
            log.warning("gave up outbox row %s after %d tries: %s", item.id, item.attempts, error)
            return Outcome("failed", item, f"gave up after {item.attempts} attempts: {error}")
        wait = self.backoff.delay(item.attempts, self._rng)
        return Outcome("retry", item, error, now_utc() + timedelta(seconds=wait))

    async def record(self, outcome: Outcome) -> None:
        """Commit an outcome together with the others that arrive meanwhile."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, future))
        self._outcomes.set()
        await future

    async def _commit_loop(self) -> None:
        """Commit outcomes in groups: one fsync for all that arrived since the last one."""
        loop = asyncio.get_running_loop()
        last = 0.0
        while True:
            await self._outcomes.wait()
            # At most one commit per COMMIT_EVERY: under load, one commit covers many sends.
            await asyncio.sleep(max(0.0, last + COMMIT_EVERY - loop.time()))
            last = loop.time()
            self._outcomes.clear()
            batch, self._pending = self._pending, []
            if not batch:
                if self._closing:
                    self._commits_over = True
                    self._settled_event.set()
                    return
                continue
            self._unsettled += 1
            try:
                await self._write([outcome for outcome, _ in batch])
            except Exception as exc:
                log.exception("could not record %d push outcomes", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for outcome, future in batch:
                    future.set_result(None)
                    if outcome.kind == "retry":  # it may fall due before the next poll
                        self._workers[outcome.item.channel].wake.set()
                    elif self.on_settled is not None:
                        self._settled.add(outcome.item.source)
                        self._settled_event.set()
            finally:
                self._unsettled -= 1

    async def _write(self, outcomes: list[Outcome]) -> None:
        """Write outcomes in one transaction, retrying while the database is busy."""
        for attempt in range(8):
            try:
                await self._write_once(outcomes)
            except Exception as exc:
                if not is_transient(exc) or attempt == 7:
                    raise
                log.warning("database busy while recording outcomes (%s); retrying", exc)
                await asyncio.sleep(0.1 * 2**attempt)
            else:
                for outcome in outcomes:
                    self.counters[outcome.kind] += 1
                self.counters["commits"] += 1
                return

    async def _write_once(self, outcomes: list[Outcome]) -> None:
        outbox, residents = self.store.outbox, self.store.residents
        async with self.store.db.transaction():
            await outbox.mark_sent([o.item.id for o in outcomes if o.kind == "sent"])
            for billing in ("free", "paid"):
                billed = [o.item.id for o in outcomes if o.kind == "sent" and o.billing == billing]
                await self.store.oa_window.bill(billed, billing)
            for o in outcomes:
                if o.kind == "retry":
                    await outbox.retry(o.item.id, o.not_before, o.error, attempt=o.attempt)
                elif o.kind == "held":
                    await self.store.oa_window.hold(o.item.id, o.error)
                elif o.kind == "failed":
                    await outbox.fail(o.item.id, o.error)
                elif o.kind == "unreachable":
                    await outbox.unreachable(o.item.id, o.error)
                    resident = o.item.resident_id and await residents.get(o.item.resident_id)
                    if resident and resident.status is not ResidentStatus.DELETED:
                        await residents.set_status(resident.id, ResidentStatus.BLOCKED)

    async def _tell_settled(self) -> None:
        """Tell `on_settled` which sources had rows settle, off the commit path, in groups
        (what settles while it runs is told in the next call). Anything left untold at a
        stop is the broadcast reports' job's to find."""
        while True:
            if not self._settled:
                if self._commits_over:
                    return
                await self._settled_event.wait()
                self._settled_event.clear()
                continue
            sources, self._settled = self._settled, set()
            self._unsettled += 1
            try:
                await self.on_settled(sources)
            except Exception:
                log.exception("acting on %d settled sources failed", len(sources))
            finally:
                self._unsettled -= 1

    # --- plumbing -------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Wake every worker when something is enqueued."""
        changed = self.store.outbox.changed
        while True:
            await changed.wait()
            changed.clear()
            for worker in self._workers.values():
                worker.wake.set()

    def _spawn(self, coro, name: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_report_crash)
        return task

    def wall_after(self, seconds: float) -> datetime:
        """Return the wall-clock moment `seconds` from now (for postponed rows)."""
        return now_utc() + timedelta(seconds=seconds)


def _report_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped on an error", task.get_name(), exc_info=task.exception())
