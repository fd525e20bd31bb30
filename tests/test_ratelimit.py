"""Pacing pushes under the channel limits, on a clock the test moves by hand."""

from __future__ import annotations

import asyncio
import random
from itertools import pairwise

import pytest

from bot.delivery import Backoff
from bot.ratelimit import CallLimit, ChannelLimits, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sends_are_spaced_evenly_a_little_under_the_overall_cap():
    clock = Clock()
    pacer = Pacer(ChannelLimits(per_second=30, per_chat_per_second=None), clock)

    moments = [pacer.book(str(chat)) for chat in range(61)]

    gaps = {round(b - a, 6) for a, b in pairwise(moments)}
    assert gaps == {round(1 / (30 * 0.98), 6)}
    assert 60 / (moments[-1] - moments[0]) == pytest.approx(29.4)


def test_an_idle_timeline_saves_up_no_burst():
    clock = Clock()
    pacer = Pacer(ChannelLimits(per_second=10, per_chat_per_second=None), clock)
    pacer.book("a")
    clock.now += 60  # a quiet minute

    first, second = pacer.book("b"), pacer.book("c")

    assert first == clock.now
    assert second - first == pytest.approx(1 / 9.8)


def test_a_sender_a_little_late_keeps_its_place_and_the_average_rate():
    clock = Clock()
    pacer = Pacer(ChannelLimits(per_second=10, per_chat_per_second=None), clock)
    interval = 1 / 9.8
    moments = []
    for chat in range(50):
        moments.append(pacer.book(str(chat)))
        clock.now = max(clock.now, moments[-1]) + interval * 0.5 * (chat % 2)  # late at times

    assert moments[-1] - moments[0] == pytest.approx(49 * interval)


def test_one_chat_gets_at_most_one_message_per_second():
    clock = Clock()
    pacer = Pacer(ChannelLimits(per_second=30, per_chat_per_second=1), clock)

    first = pacer.book("lan")
    assert pacer.chat_ready_at("lan") == pytest.approx(first + 1 / 0.98)
    other = pacer.book("minh")
    second = pacer.book("lan")

    assert other - first == pytest.approx(1 / 29.4)
    assert second - first == pytest.approx(1 / 0.98)


def test_a_429_pauses_the_chat_or_the_whole_channel():
    clock = Clock()
    pacer = Pacer(ChannelLimits(per_second=30, per_chat_per_second=1), clock)

    pacer.pause_chat("lan", 5)
    assert pacer.chat_ready_at("lan") == clock.now + 5
    assert pacer.book("minh") < clock.now + 1

    pacer.pause_all(3)
    assert pacer.book("hoa") == clock.now + 3


def test_no_limit_means_no_waiting_and_paid_broadcast_lifts_the_cap():
    clock = Clock()
    free = Pacer(ChannelLimits(per_second=0, per_chat_per_second=0), clock)
    assert {free.book("lan") for _ in range(100)} == {clock.now}
    assert ChannelLimits(paid_broadcast=True).interval == pytest.approx(1 / 980)


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap():
    rng = random.Random(1)
    backoff = Backoff(base=2, cap=60)

    delays = [backoff.delay(attempt, rng) for attempt in range(1, 9)]

    for attempt, delay in enumerate(delays, 1):
        full = min(60, 2 * 2 ** (attempt - 1))
        assert full / 2 <= delay <= full
    assert len(set(delays)) == len(delays)


def run_calls(limit: CallLimit, round_trip, calls: int) -> list[int]:
    """Keep the limit full of calls whose round trip depends on how many are in flight."""
    seen = []
    for _ in range(calls):
        limit.active = int(limit.limit)
        limit.release(round_trip(limit.active))
        seen.append(int(limit.limit))
    return seen


def test_calls_in_flight_grow_to_the_maximum_when_they_overlap_usefully():
    limit = CallLimit(16)
    far = run_calls(limit, lambda active: 0.050 + 0.0005 * active, 3000)  # 50 ms away
    assert far[100] == 16
    assert sum(n >= 14 for n in far) > 0.95 * len(far)  # brief probes aside


def test_calls_in_flight_shrink_when_they_only_queue():
    limit = CallLimit(16)
    busy = run_calls(limit, lambda active: 0.003 * active, 3000)  # a CPU-bound loopback
    assert max(busy) <= 6  # and it does not creep back up between probes


async def test_acquire_waits_for_room():
    limit = CallLimit(2)
    await limit.acquire()
    await limit.acquire()
    third = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0)
    assert not third.done()
    limit.release()
    await third
    assert limit.active == 2
