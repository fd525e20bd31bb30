"""`GET /metrics`: what the running bot is doing, in Prometheus' text format.

Each bot has its own CollectorRegistry (never the process-wide one), so several bots in one
process, as in the tests, keep their own numbers. Counted as they happen: updates handled per
channel and how long each took. Read when scraped: the delivery engine's outcomes and 429s,
the router's and the scheduler's failures, the jobs run, the outbox backlog, and the age of
the newest backup. README.md ("Watching it") names the alerts to set on them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from bot import backups
from bot.messages import Inbound, Reply
from storage import Storage
from storage.db import utcnow
from storage.health import Health

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
DELIVERY_OUTCOMES = ("sent", "retry", "failed", "unreachable")
# The classic text format, which every Prometheus version reads (the names here need no more).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Live:
    """What the bot's parts have counted so far, read at every scrape."""

    deliveries: Mapping[str, int] = field(default_factory=dict)  # Delivery.counters
    update_errors: int = 0  # Router.errors
    jobs: Mapping[tuple[str, str], int] = field(default_factory=dict)  # Scheduler.runs


class _LiveCollector:
    def __init__(self, read: Callable[[], Live]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        live = self._read()
        deliveries = CounterMetricFamily(
            "loaxa_deliveries", "Pushes by what became of them", labels=["outcome"]
        )
        for outcome in DELIVERY_OUTCOMES:
            deliveries.add_metric([outcome], live.deliveries.get(outcome, 0))
        yield deliveries
        yield CounterMetricFamily(
            "loaxa_rate_limited",
            "Sends a channel refused with 429 Too Many Requests",
            value=live.deliveries.get("rate_limited", 0),
        )
        failed_jobs = sum(n for (_, result), n in live.jobs.items() if result == "failed")
        errors = CounterMetricFamily(
            "loaxa_errors", "Failures logged with a traceback", labels=["where"]
        )
        errors.add_metric(["update"], live.update_errors)
        errors.add_metric(["job"], failed_jobs)
        yield errors
        jobs = CounterMetricFamily("loaxa_jobs", "Scheduled jobs run", labels=["job", "result"])
        for (name, result), count in sorted(live.jobs.items()):
            jobs.add_metric([name, result], count)
        yield jobs


class Metrics:
    """One bot's registry, the timing of updates, and the /metrics handler."""

    def __init__(self, read: Callable[[], Live]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "loaxa_updates", "Updates handled", ["channel"], registry=self.registry
        )
        self.latency = Histogram(
            "loaxa_update_seconds",
            "Time to handle one update, from the channel to the replies",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "loaxa_outbox_depth", "Pushes pending or being sent", registry=self.registry
        )
        self.outbox_oldest = Gauge(
            "loaxa_outbox_oldest_due_seconds",
            "Age of the oldest push that is due and not sent (0 when none)",
            registry=self.registry,
        )
        self.outbox_failed = Gauge(
            "loaxa_outbox_failed_last_day",
            "Pushes given up in the last 24 hours",
            registry=self.registry,
        )
        self.backup_age = Gauge(
            "loaxa_backup_age_seconds",
            "Age of the newest backup (+Inf when there is none)",
            registry=self.registry,
        )
        self.registry.register(_LiveCollector(read))

    def timed(self, handle: Handle) -> Handle:
        """Wrap the router's entry point so that every update is counted and timed."""

        per_channel: dict[str, tuple] = {}  # labels() costs more than observe() and inc()

        async def handle_timed(msg: Inbound) -> list[Reply]:
            started = time.perf_counter()
            try:
                return await handle(msg)
            finally:
                latency, updates = per_channel.get(msg.channel) or per_channel.setdefault(
                    msg.channel,
                    (self.latency.labels(msg.channel), self.updates.labels(msg.channel)),
                )
                latency.observe(time.perf_counter() - started)
                updates.inc()

        return handle_timed

    async def refresh(self, store: Storage, backup_folder: Path, now: datetime) -> None:
        """Read the outbox and the backup folder into the gauges."""
        summary = await Health(store.db).outbox(now)
        self.outbox_depth.set(summary.depth)
        oldest = summary.oldest_due
        self.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.outbox_failed.set(summary.failed_last_day)
        age = backups.age(backup_folder, now)
        self.backup_age.set(float("inf") if age is None else age.total_seconds())

    def handler(
        self, store: Callable[[], Storage | None], backup_folder: Path
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """Return the aiohttp handler of GET /metrics."""

        async def serve(_: web.Request) -> web.Response:
            current = store()
            if current is not None:
                await self.refresh(current, backup_folder, utcnow())
            body = generate_latest(self.registry)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

        return serve
