"""The inbound benchmark of issue 9: updates handled per second, and how fast they are answered.

Everything runs against the local Telegram emulator on loopback. The bot runs in its own
process (`benchmarks/bot_process.py`); the emulator and the simulated people run here.

(a) Floor: a bare python-telegram-bot echo bot (an Application with its defaults, polling,
    one MessageHandler answering every text with the same text). --users people each send a
    text and wait for the echo, again and again (closed loop): updates handled per second.
(b) Loa Xã: --users onboarded residents each send feedback, every step of /phananh (kind,
    category, description, no photo, their hamlet, with their name, review, "Gửi phản ánh")
    with its SQLite commits (synchronous=FULL, a fresh database per run holding --residents
    residents and one official, who is notified of each item through the outbox), each step
    sent once the previous one is answered: complete steps/s and submissions/s, and steps/s
    as a ratio to (a) in the same run. Target: >= 0.5.
(c) Latency at an offered load of --rate updates/s (default 100), open loop: a paced
    generator sends, every 1/rate s whatever the bot does, the next step of a resident
    whose previous step was answered (a new resident starts /phananh when none is ready).
    Latency runs from emu.send_* to the emulator recording the step's last reply (for a
    button: after answerCallbackQuery; the keyboard's removal goes alongside the reply).
    Target: p99 < 100 ms.
    The echo bot is measured the same way, as the floor.

A step is complete when its last reply is recorded; each round runs the echo bot and Loa Xã
back to back, so that a noisy moment on the shared machine hits both. Also reported: the CPU
time the bot process spent per update (user + system, all its threads), which other load on
the machine changes much less than it changes rates and latencies, and the 1-minute load
average (this benchmark's own two busy processes count in it).

    .venv/bin/python benchmarks/inbound.py                 # 2 rounds of 45 s runs, ~8 min
    .venv/bin/python benchmarks/inbound.py --quick         # 1 round of 10 s runs, ~1 min

(e) Bot API calls per resident step (benchmarks/inbound_calls.py), counted once before the
    rounds: /phananh step by step, and a multi-select list (/theodoi toggles).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inbound_calls import calls_per_step, calls_table  # noqa: E402
from inbound_harness import (  # noqa: E402  (benchmarks/, this script's folder)
    RUNS,
    TOKEN,
    Bot,
    Replies,
    Step,
    Window,
    closed_loop,
    log,
    measure,
    open_loop,
)

from bot.config import load_commune  # noqa: E402
from bot.simulator import TelegramEmulator  # noqa: E402
from storage import Storage  # noqa: E402
from storage.models import Role  # noqa: E402
from storage.synthetic_residents import add_onboarded  # noqa: E402

DESCRIPTION = "Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay, đề nghị xã xử lý."
# One feedback submission: (what the resident does, the text or the button data, replies).
FLOW = (
    ("text", "/phananh", 1),
    ("press", "pa:kind:petition", 1),
    ("press", "pa:cat:moi-truong", 1),
    ("text", DESCRIPTION, 1),
    ("press", "pa:photos:none", 1),
    ("press", "pa:place:hamlet", 1),
    ("press", "pa:anon:no", 1),
    ("press", "pa:send:yes", 2),  # "Đã nhận phản ánh PA-…" and how to track it
)


def echo_step(emu: TelegramEmulator, replies: Replies) -> Step:
    async def step(uid: int, number: int) -> tuple[float, float]:
        target = replies.count(uid) + 1
        sent = time.monotonic()
        await emu.send_text(uid, f"Xin chào, tin số {number}")
        return sent, await replies.until(uid, target)

    return step


def feedback_step(emu: TelegramEmulator, replies: Replies) -> Step:
    async def step(uid: int, number: int) -> tuple[float, float]:
        kind, what, expected = FLOW[number]
        target = replies.count(uid) + expected
        if kind == "text":
            sent = time.monotonic()
            await emu.send_text(uid, what)
        else:
            offering = (m for m in reversed(emu.messages(uid)) if (m.buttons and any(
                data == what for _, data in m.buttons)))  # fmt: skip
            message = next(offering)
            sent = time.monotonic()
            await emu.press(uid, message.message_id, what)
        return sent, await replies.until(uid, target)

    return step


async def fresh_database(workdir: Path, first_user: int, residents: int, official: int) -> Path:
    """A new database: migrated, `residents` onboarded residents, one official."""
    path = workdir / f"loaxa-{next(RUNS)}.db"
    commune, _ = load_commune(None)
    store = await Storage.open(path)
    await add_onboarded(
        store.db, first_user_id=first_user, count=residents, hamlets=commune.hamlets
    )
    await store.staff.upsert("telegram", str(official), "Cán bộ Minh", Role.OFFICIAL)
    await store.close()
    return path


async def feedback_count(path: Path) -> int:
    store = await Storage.open(path)
    try:
        return await store.db.fetchval("SELECT COUNT(*) FROM feedback")
    finally:
        await store.close()


async def echo_round(emu, replies, users: list[int], args, workdir: Path) -> dict:
    step = echo_step(emu, replies)
    found = {}
    async with Bot(emu, workdir, ["--echo"]) as bot:
        found["closed"] = await measure(
            bot, lambda w: closed_loop(step, itertools.cycle(users), 1, args.users, w),
            args, final_step=0,
        )  # fmt: skip
        log("echo closed loop", found["closed"])

        async def paced(window: Window) -> list:
            done, sent = await open_loop(step, itertools.cycle(users), 1, args.rate, window)
            found["offered"] = sent
            return done

        found["open"] = await measure(bot, paced, args, final_step=0)
        log(f"echo at {args.rate}/s", found["open"])
    found["peak_rss_mb"] = bot.report.get("peak_rss_mb")
    return found


async def loaxa_run(emu, step: Step, users, official: int, args, workdir, mode: str) -> dict:
    """One Loa Xã run ("closed" or "open" loop) on a fresh database and a fresh process."""
    db = await fresh_database(workdir, users[0], len(users), official)
    people = iter(users)
    extra: dict = {}

    async def run(window: Window) -> list:
        if mode == "closed":
            return await closed_loop(step, people, len(FLOW), args.users, window)
        done, extra["offered"] = await open_loop(step, people, len(FLOW), args.rate, window)
        return done

    async with Bot(emu, workdir, ["--db", str(db)]) as bot:
        found = await measure(bot, run, args, final_step=len(FLOW) - 1)
    found |= extra | {
        "submissions_in_db": await feedback_count(db),
        "peak_rss_mb": bot.report.get("peak_rss_mb"),
        "log_errors": bot.report.get("log_errors"),
        "notifications": bot.report.get("delivery", {}).get("sent", 0),
    }
    log(f"Loa Xã {mode}", found)
    db.unlink()
    return found


async def loaxa_round(emu, replies, users: list[int], official: int, args, workdir) -> dict:
    step = feedback_step(emu, replies)
    return {
        mode: await loaxa_run(emu, step, users, official, args, workdir, mode)
        for mode in ("closed", "open")
    }


async def flooder(emu: TelegramEmulator, uid: int, rate: float, window: Window) -> int:
    """One person sending a text every 1/rate s until the window ends; return the count."""
    began, sent = time.monotonic(), 0
    while (due := began + sent / rate) < window.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await emu.send_text(uid, f"alo alo {sent}")
        sent += 1
    return sent


async def flood_round(emu, replies: Replies, users: list[int], official: int, args, workdir):
    """(d) Everyone else's latency at --flood-others updates/s, without then with one
    resident sending --flood-rate messages/s, on one bot process: the flooder's messages
    are dropped before anything else is done with them, with one warning per window."""
    db = await fresh_database(workdir, users[0], len(users), official)
    step = feedback_step(emu, replies)
    people, flooder_id = iter(users[1:]), users[0]
    found: dict = {}
    async with Bot(emu, workdir, ["--db", str(db)]) as bot:
        for phase in ("alone", "flooded"):
            flood: asyncio.Task | None = None

            async def run(window: Window, phase: str = phase) -> list:
                nonlocal flood
                if phase == "flooded":
                    flood = asyncio.create_task(flooder(emu, flooder_id, args.flood_rate, window))
                done, _ = await open_loop(step, people, len(FLOW), args.flood_others, window)
                return done

            before = replies.count(flooder_id)
            found[phase] = await measure(bot, run, args, final_step=len(FLOW) - 1)
            if flood is not None:
                found[phase]["flood_sent"] = await flood
                await asyncio.sleep(1.0)  # the last answers to the flooder
                found[phase]["flood_answered"] = replies.count(flooder_id) - before
            log(f"others at {args.flood_others}/s, {phase}", found[phase])
    found["log_errors"] = bot.report.get("log_errors")
    db.unlink()
    return found


async def main(args: argparse.Namespace, workdir: Path) -> dict:
    async with TelegramEmulator(token=TOKEN) as emu:
        replies = Replies(emu)
        official = emu.add_user("Minh", "Cán bộ").id
        users = [emu.add_user(f"Dân {n}").id for n in range(args.residents)]
        assert users == list(range(users[0], users[0] + len(users)))  # as add_onboarded counts
        rounds = []
        flood = None
        db = await fresh_database(workdir, users[0], len(users), official)
        calls = await calls_per_step(emu, workdir, db, users[0], FLOW)
        log("Bot API calls per resident step", calls)
        if args.calls_only:
            args.rounds = 0
        if args.flood:
            flood = await flood_round(emu, replies, users, official, args, workdir)
        for number in range(0 if args.flood_only else args.rounds):
            echo = await echo_round(emu, replies, users, args, workdir)
            loaxa = await loaxa_round(emu, replies, users, official, args, workdir)
            ratio = loaxa["closed"]["steps_per_s"] / echo["closed"]["steps_per_s"]
            rounds.append({"round": number + 1, "echo": echo, "loaxa": loaxa,
                           "steps_vs_echo": round(ratio, 3)})  # fmt: skip
            log(f"round {number + 1}: Loa Xã steps/s / echo updates/s", round(ratio, 3))
    ratios = [r["steps_vs_echo"] for r in rounds]
    return {
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "machine": {"cpus": os.cpu_count()},
        "rounds": rounds,
        "flood": flood,
        "calls": calls,
        "steps_vs_echo": median(ratios) if ratios else None,
        "target_ratio": 0.5,
        "target_p99_ms": 100,
    }


def table(found: dict) -> str:
    lines = [
        "| round | echo updates/s | Loa Xã steps/s | submissions/s | ratio | bot CPU ms/update"
        " echo / Loa Xã | p50 / p99 at 100/s echo | p50 / p99 at 100/s Loa Xã | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in found["rounds"]:
        e, x = r["echo"], r["loaxa"]
        loads = [e["closed"], e["open"], x["closed"], x["open"]]
        lines.append(
            f"| {r['round']} | {e['closed']['steps_per_s']} | {x['closed']['steps_per_s']}"
            f" | {x['closed']['completions_per_s']} | {r['steps_vs_echo']}"
            f" | {e['closed']['bot_cpu_ms_per_step']} / {x['closed']['bot_cpu_ms_per_step']}"
            f" | {e['open']['p50_ms']} / {e['open']['p99_ms']} ms"
            f" | {x['open']['p50_ms']} / {x['open']['p99_ms']} ms"
            f" | {min(m['load_average']['mean'] for m in loads)}"
            f"-{max(m['load_average']['max'] for m in loads)} |"
        )
    return "\n".join(lines)


def flood_table(found: dict, args: argparse.Namespace) -> str:
    alone, flooded = found["alone"], found["flooded"]
    return "\n".join([
        f"| others at {args.flood_others}/s | p50 | p99 | bot CPU share | flooder sent"
        " | flooder answered |",
        "|---|---|---|---|---|---|",
        f"| alone | {alone['p50_ms']} ms | {alone['p99_ms']} ms | {alone['bot_cpu_share']} | | |",
        f"| one resident at {args.flood_rate} msg/s | {flooded['p50_ms']} ms"
        f" | {flooded['p99_ms']} ms | {flooded['bot_cpu_share']} | {flooded['flood_sent']}"
        f" | {flooded['flood_answered']} |",
    ])  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 10 s runs")
    parser.add_argument("--seconds", type=float, default=45.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=32, help="(a), (b) people at once")
    parser.add_argument("--rate", type=float, default=100.0, help="(c) updates/s offered")
    parser.add_argument("--residents", type=int, default=10_000, help="in each database")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--flood", action="store_true", help="(d) also: one person flooding")
    parser.add_argument("--flood-only", action="store_true", help="(d) only")
    parser.add_argument("--flood-rate", type=float, default=100.0, help="(d) flooder's msg/s")
    parser.add_argument("--flood-others", type=float, default=50.0, help="(d) others' steps/s")
    parser.add_argument("--calls-only", action="store_true", help="(e) only: calls per step")
    arguments = parser.parse_args()
    arguments.flood = arguments.flood or arguments.flood_only
    if arguments.quick:
        arguments.seconds, arguments.warmup, arguments.rounds = 10.0, 2.0, 1
    with tempfile.TemporaryDirectory(prefix="loaxa-inbound-") as tmp:
        result = asyncio.run(main(arguments, Path(tmp)))
    print(table(result) if result["rounds"] else "")
    print(calls_table(result["calls"]))
    if result["flood"]:
        print(flood_table(result["flood"], arguments))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
