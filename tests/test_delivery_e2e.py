"""Pushes end to end: the real bot's delivery engine, the outbox on a real SQLite file, and
the Telegram emulator enforcing flood limits, failing calls and playing people who block us.

Every test asserts what people received (the emulator's messages) and what is stored.
"""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from collections import Counter
from pathlib import Path

import pytest

from bot.messages import Reply
from bot.simulator import RateLimits, TelegramEmulator
from storage import Storage
from storage.models import ResidentStatus
from storage.outbox import Push
from tests.world import TOKEN, World

CHILD = Path(__file__).with_name("bot_child.py")
FAST_RETRIES = {"delivery_retry_seconds": 0.02}


@pytest.fixture
async def make_world(tmp_path, commune, monkeypatch):
    """Build a World over an emulator with the given options and LOAXA_* settings."""
    monkeypatch.chdir(tmp_path)
    made: list[World] = []

    async def make(settings: dict | None = None, **emulator_options) -> World:
        for name, value in {**FAST_RETRIES, **(settings or {})}.items():
            monkeypatch.setenv(f"LOAXA_{name.upper()}", str(value))
        emu = TelegramEmulator(token=TOKEN, **emulator_options)
        await emu.start()
        world = World(emu, tmp_path, commune)
        made.append(world)
        await world.start()
        return world

    yield make
    for world in made:
        await world.stop()
        await world.emu.stop()


def people(world: World, count: int) -> list[str]:
    """Create `count` people in the emulator and return their chat ids."""
    return [str(world.emu.add_user(f"Dân {n}").id) for n in range(count)]


def pushes(chats: list[str], source: str, priority: int = 9, kind: str = "broadcast") -> list:
    return [
        Push("telegram", chat, Reply(f"{source} → {chat}"), kind, source, priority=priority)
        for chat in chats
    ]


def received(world: World, chats: list[str]) -> Counter[str]:
    """Count the messages each chat received."""
    return Counter({chat: len(world.emu.messages(int(chat))) for chat in chats})


def calls_to(world: World, chat: str) -> int:
    return sum(
        1
        for method, p in world.emu.calls
        if method == "sendMessage" and str(p.get("chat_id")) == chat
    )


async def test_a_broadcast_paced_under_the_cap_reaches_everyone_once_without_a_429(make_world):
    world = await make_world(rate_limit=RateLimits(global_per_second=30, per_chat_per_second=1))
    chats = people(world, 40)

    assert await world.store.outbox.enqueue(pushes(chats, "broadcast:1")) == 40
    await world.drain()

    assert received(world, chats) == Counter(dict.fromkeys(chats, 1))
    assert world.emu.messages(int(chats[7]))[0].text == f"broadcast:1 → {chats[7]}"
    assert world.emu.call_counts["sendMessage"] == 40  # not one call answered 429
    assert (await world.store.outbox.progress("broadcast:1"))["sent"] == 40


async def test_a_chat_paced_out_keeps_its_backlog_in_the_table_not_in_churn(make_world):
    """Thirty notifications to one official at 10/s: each row is claimed once, none is put
    back, and everyone else's pushes are not held behind that chat."""
    world = await make_world(
        settings={"delivery_in_flight": 2, "telegram_per_chat_per_second": 10},
        rate_limit=RateLimits(global_per_second=30, per_chat_per_second=10),
    )
    official, *others = people(world, 11)
    await world.store.outbox.enqueue(
        [Push("telegram", official, Reply(f"PA-{n}"), "notify", f"fb:{n}:staff", priority=1)
         for n in range(30)]
    )  # fmt: skip
    await world.store.outbox.enqueue(pushes(others, "broadcast:1"))

    await world.drain()

    expected = Counter({official: 30, **dict.fromkeys(others, 1)})
    assert received(world, [official, *others]) == expected
    assert world.bot.delivery.counters["claimed"] == 40
    assert world.bot.delivery.counters["postponed"] == 0
    order = [str(p.get("chat_id")) for method, p in world.emu.calls if method == "sendMessage"]
    assert max(order.index(chat) for chat in others) < len(order) - 10  # not left till last


async def test_429s_are_waited_out_and_nothing_is_lost(make_world):
    world = await make_world(
        settings={"telegram_rate_per_second": 0, "telegram_per_chat_per_second": 0},
        rate_limit=RateLimits(global_per_second=30, per_chat_per_second=1, burst=1),
    )
    chats = people(world, 45)
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1"))
    await world.store.outbox.enqueue(pushes(chats[:3], "fb:1:answer", priority=0, kind="notify"))

    await world.drain()

    expected = Counter(dict.fromkeys(chats, 1)) + Counter(dict.fromkeys(chats[:3], 1))
    assert received(world, chats) == expected
    assert world.emu.call_counts["sendMessage"] > 48  # the emulator did answer 429s
    assert world.bot.delivery.counters["rate_limited"] > 0
    rows = await world.store.outbox.list_by_source("broadcast:1")
    assert {row.status for row in rows} == {"sent"}
    assert {row.attempts for row in rows} == {1}  # a 429 never uses up an attempt


async def test_server_errors_and_dropped_connections_are_retried_until_delivered(make_world):
    world = await make_world(
        settings={"telegram_rate_per_second": 0, "delivery_max_attempts": 30},
        failure_kinds=("500", "502", "drop"),
        seed=7,
    )
    chats = people(world, 40)
    world.emu.failure_rate = 0.3
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1"))

    await world.drain()

    assert received(world, chats) == Counter(dict.fromkeys(chats, 1))
    rows = await world.store.outbox.list_by_source("broadcast:1")
    assert {row.status for row in rows} == {"sent"}
    assert max(row.attempts for row in rows) > 1
    assert sum(row.attempts for row in rows) == world.emu.call_counts["sendMessage"]


async def test_an_answer_lost_after_delivery_is_retried_and_may_arrive_twice(make_world):
    world = await make_world(
        settings={"telegram_rate_per_second": 0, "delivery_max_attempts": 30},
        failure_kinds=("drop_after",),
        seed=3,
    )
    chats = people(world, 30)
    world.emu.failure_rate = 0.2
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1"))

    await world.drain()

    counts = received(world, chats)
    rows = await world.store.outbox.list_by_source("broadcast:1")
    assert min(counts.values()) >= 1 and {row.status for row in rows} == {"sent"}
    lost_answers = sum(row.attempts - 1 for row in rows)
    assert sum(counts.values()) - len(chats) == lost_answers  # at least once, never lost


async def test_transient_errors_give_up_after_the_maximum_attempts(make_world):
    world = await make_world(
        settings={"delivery_max_attempts": 3, "telegram_per_chat_per_second": 0}
    )
    [chat] = people(world, 1)
    world.emu.failure_rate = 1.0
    await world.store.outbox.enqueue(pushes([chat], "broadcast:1"))

    await world.drain()

    [row] = await world.store.outbox.list_by_source("broadcast:1")
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts")
    assert calls_to(world, chat) == 3


async def test_a_blocked_or_deleted_account_is_marked_unreachable_and_not_retried(make_world):
    world = await make_world()
    lan, minh, hoa = people(world, 3)
    residents = {}
    for chat in (lan, minh, hoa):
        residents[chat] = await world.store.residents.register("telegram", chat, chat, chat, "vi")
    world.emu.block(int(minh))
    world.emu.deactivate(int(hoa))
    await world.store.outbox.enqueue(
        [
            Push(
                "telegram",
                chat,
                Reply("Lịch tiếp dân"),
                "broadcast",
                "broadcast:1",
                resident_id=residents[chat].id,
            )
            for chat in (lan, minh, hoa)
        ]
    )

    await world.drain()

    assert received(world, [lan, minh, hoa]) == Counter({lan: 1, minh: 0, hoa: 0})
    rows = {row.chat_id: row for row in await world.store.outbox.list_by_source("broadcast:1")}
    assert rows[minh].status == "unreachable" and "blocked" in rows[minh].last_error
    assert rows[hoa].status == "unreachable" and "deactivated" in rows[hoa].last_error
    assert (calls_to(world, minh), calls_to(world, hoa)) == (1, 1)
    statuses = {c: (await world.store.residents.get(r.id)).status for c, r in residents.items()}
    assert statuses == {
        lan: ResidentStatus.ACTIVE,
        minh: ResidentStatus.BLOCKED,
        hoa: ResidentStatus.BLOCKED,
    }


async def test_the_same_push_enqueued_twice_is_sent_once(make_world):
    world = await make_world(settings={"telegram_rate_per_second": 0})
    chats = people(world, 10)

    assert await world.store.outbox.enqueue(pushes(chats, "broadcast:5")) == 10
    assert await world.store.outbox.enqueue(pushes(chats, "broadcast:5")) == 0
    await world.drain()
    assert await world.store.outbox.enqueue(pushes(chats, "broadcast:5")) == 0
    await world.drain()

    assert received(world, chats) == Counter(dict.fromkeys(chats, 1))


async def test_an_urgent_notification_overtakes_a_10000_recipient_broadcast(make_world):
    world = await make_world(settings={"telegram_rate_per_second": 0})
    chats = people(world, 10_000)
    [official] = people(world, 1)
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1", priority=9))
    await world.emu.wait_until(lambda: world.emu.call_counts["sendMessage"] >= 100, timeout=20)

    before = len(world.emu.calls)
    await world.store.outbox.enqueue(pushes([official], "fb:1:new", priority=0, kind="notify"))
    await world.emu.wait_until(lambda: world.emu.messages(int(official)), timeout=20)

    overtaken_after = (
        sum(1 for method, _ in world.emu.calls[before:] if method == "sendMessage") - 1
    )
    in_flight, batch = 16, 16  # the defaults: sends under way, and rows claimed before it
    assert overtaken_after <= in_flight + batch  # not behind the other 9,900
    await world.stop()
    store = await Storage.open(world.db_path)
    try:
        stats = await store.outbox.stats()
    finally:
        await store.close()
    delivered = world.emu.call_counts["sendMessage"]
    assert stats["sent"] == delivered < 5_000  # a graceful stop: every send recorded
    assert stats["pending"] == 10_001 - delivered


async def test_a_restart_in_the_middle_of_a_broadcast_finishes_it_without_loss(make_world):
    world = await make_world(settings={"telegram_rate_per_second": 100})
    chats = people(world, 120)
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1"))
    await world.emu.wait_until(lambda: world.emu.call_counts["sendMessage"] >= 30, timeout=20)

    await world.restart()
    sent_before_restart = world.emu.call_counts["sendMessage"]
    await world.drain()

    assert 30 <= sent_before_restart < 120
    assert received(world, chats) == Counter(dict.fromkeys(chats, 1))
    assert (await world.store.outbox.progress("broadcast:1"))["sent"] == 120


async def test_kill_9_in_the_middle_of_a_broadcast_loses_nothing(emu, tmp_path):
    """The engine in another process, killed -9 three times, then run to the end."""
    db = tmp_path / "loaxa.db"
    chats = [str(emu.add_user(f"Dân {n}").id) for n in range(150)]
    store = await Storage.open(db)
    await store.outbox.enqueue(pushes(chats, "broadcast:1"))
    await store.close()
    in_flight = 16
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        str(CHILD),
        "--until",
        "drained",
        "--api-url",
        emu.url,
        "--db",
        str(db),
        "--in-flight",
        str(in_flight),
        "--timeout",
        "40",
    ]

    def delivered() -> int:
        return emu.call_counts["sendMessage"]

    async def spawn() -> asyncio.subprocess.Process:
        """Start a child that imports everything, then waits for "go" (hides start-up time)."""
        child = await asyncio.create_subprocess_exec(
            *command, "--wait", cwd=tmp_path, env=env, stdin=PIPE, stdout=PIPE
        )
        assert await child.stdout.readline() == b"ready\n"
        return child

    async def go(child: asyncio.subprocess.Process) -> None:
        child.stdin.write(b"go\n")
        await child.stdin.drain()

    kills, upcoming = 0, asyncio.create_task(spawn())
    for threshold in (30, 70, 110):
        child = await upcoming
        upcoming = asyncio.create_task(spawn())
        await go(child)
        await emu.wait_until(lambda t=threshold: delivered() >= t, timeout=30)
        child.kill()  # SIGKILL: no clean-up of any kind
        await child.wait()
        kills += 1
    child = await upcoming
    await go(child)
    out = await asyncio.wait_for(child.stdout.read(), timeout=45)
    await child.wait()

    assert child.returncode == 0 and b"drained" in out
    counts = Counter({chat: len(emu.messages(int(chat))) for chat in chats})
    assert min(counts.values()) == 1  # no row lost
    duplicates = sum(counts.values()) - len(chats)
    assert duplicates <= kills * 2 * in_flight  # the window: sends started, not yet recorded
    store = await Storage.open(db)
    try:
        assert (await store.outbox.progress("broadcast:1"))["sent"] == len(chats)
    finally:
        await store.close()


async def test_paid_broadcast_is_asked_for_on_pushes_only_when_configured(make_world):
    world = await make_world(settings={"telegram_paid_broadcast": "true"})
    chats = people(world, 3)
    lan = world.resident("Lan")
    await lan.says("/start")
    await world.store.outbox.enqueue(pushes(chats, "broadcast:1"))

    await world.drain()

    assert world.bot.delivery.limits["telegram"].paid_broadcast
    flags = {
        str(p["chat_id"]): p.get("allow_paid_broadcast")
        for method, p in world.emu.calls
        if method == "sendMessage"
    }
    assert {flags[chat] for chat in chats} == {True}
    assert flags[str(lan.id)] is None  # an interactive reply is never billed
