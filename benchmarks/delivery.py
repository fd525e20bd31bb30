"""The delivery benchmark of issue 4, against the local Telegram emulator.

Each scenario runs once on loopback and once with the emulator adding 50 ms to every call:

(a) a broadcast to --recipients residents (default 10,000) with the emulator enforcing
    Telegram's free limits (30 messages/s overall, 1/s per chat): the engine's achieved rate
    as a fraction of the cap, messages lost, duplicates, 429s drawn, and (c) the engine
    process's peak RSS;
(b) no cap: the engine's messages/s against two floors on the same emulator in the same run:
    a bare python-telegram-bot `for chat in chats: await bot.send_message(...)` loop, and
    PTB's AIORateLimiter (defaults; one gathered coroutine per recipient).

The engine is the whole bot (`tests/bot_child.py --until drained`: LoaXa with its delivery
engine, the outbox in SQLite with synchronous=FULL) in its own process; the floors run in their own
process too (`benchmarks/ptb_floor.py`); the emulator runs here. The rate is measured from
the first to the last message the emulator accepted.

    .venv/bin/python benchmarks/delivery.py                    # the full run, ~15 minutes
    .venv/bin/python benchmarks/delivery.py --recipients 1000 --compare 300   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.messages import Reply  # noqa: E402
from bot.simulator import RateLimits, TelegramEmulator  # noqa: E402
from storage import Storage  # noqa: E402
from storage.outbox import Push  # noqa: E402

CHILD = ROOT / "tests" / "bot_child.py"
FLOOR = ROOT / "benchmarks" / "ptb_floor.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"
CAP = 30.0
RUNS = itertools.count(1)  # numbers the files of each run
TEXT = "Thông báo: UBND xã tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở."


class Tally:
    """Count the messages the emulator accepts, with the times of the first and the last.

    Benchmark-only: it wraps the emulator's record of sent messages (a private attribute),
    so that counting costs nothing per message, whatever the number of chats.
    """

    def __init__(self, emu: TelegramEmulator) -> None:
        self.count, self.first, self.last = 0, 0.0, 0.0
        state = emu._state
        original = state.record_sent

        def record(sent) -> None:
            original(sent)
            now = time.monotonic()
            self.count += 1
            self.first = self.first or now
            self.last = now

        state.record_sent = record

    def reset(self) -> None:
        self.count, self.first, self.last = 0, 0.0, 0.0

    def rate(self) -> float:
        span = self.last - self.first
        return (self.count - 1) / span if self.count > 1 and span > 0 else 0.0


def outcome(emu: TelegramEmulator, chats: list[int], calls_before: int, tally: Tally) -> dict:
    counts = [len(emu.messages(chat)) for chat in chats]
    calls = emu.call_counts["sendMessage"] - calls_before
    return {
        "recipients": len(chats),
        "delivered": sum(counts),
        "lost": sum(1 for c in counts if c == 0),
        "duplicates": sum(c - 1 for c in counts if c > 1),
        "refused_calls": calls - sum(counts),  # 429s and injected failures
        "rate": round(tally.rate(), 2),
    }


async def run_engine(emu, tally, chats, workdir: Path, *, rate: float, per_chat: float) -> dict:
    """Enqueue a broadcast, run the bot until the outbox is empty, report."""
    db = workdir / f"engine-{next(RUNS)}.db"
    store = await Storage.open(db)
    started = time.monotonic()
    pushes = [Push("telegram", str(c), Reply(TEXT), "broadcast", "broadcast:1") for c in chats]
    await store.outbox.enqueue(pushes)
    enqueue_seconds = time.monotonic() - started
    await store.close()
    tally.reset()
    before = emu.call_counts["sendMessage"]
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), "--until", "drained", "--api-url", emu.url, "--db", str(db),
        "--rate", str(rate), "--per-chat", str(per_chat), "--timeout", "7200",
        cwd=workdir, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await child.communicate()
    report = json.loads(out.decode().strip().splitlines()[-1])
    return outcome(emu, chats, before, tally) | {
        "peak_rss_mb": report["peak_rss_mb"],
        "enqueue_seconds": round(enqueue_seconds, 2),
        "engine": report["stats"],
    }


async def run_floor(emu, tally, chats, workdir: Path, mode: str) -> dict:
    """Send the same broadcast with a python-telegram-bot floor, report."""
    listing = workdir / f"chats-{next(RUNS)}.txt"
    listing.write_text("\n".join(map(str, chats)))
    tally.reset()
    before = emu.call_counts["sendMessage"]
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(FLOOR), "--api-url", emu.url, "--chats", str(listing),
        "--mode", mode, cwd=workdir, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await child.communicate()
    report = json.loads(out.decode().strip().splitlines()[-1])
    return outcome(emu, chats, before, tally) | {"peak_rss_mb": round(report["peak_rss_mb"], 1)}


def people(emu: TelegramEmulator, count: int) -> list[int]:
    return [emu.add_user(f"Dân {n}").id for n in range(count)]


async def scenario(args, latency: float, workdir: Path) -> dict:
    results: dict = {"latency_ms": int(latency * 1000)}
    limits = RateLimits(global_per_second=CAP, per_chat_per_second=1.0, group_per_minute=None)
    async with TelegramEmulator(token=TOKEN, rate_limit=limits, latency=latency) as emu:
        tally = Tally(emu)
        chats = people(emu, args.recipients)
        results["capped"] = await run_engine(emu, tally, chats, workdir, rate=CAP, per_chat=1)
        results["capped"]["fraction_of_cap"] = round(results["capped"]["rate"] / CAP, 4)
        log("capped", latency, results["capped"])
    async with TelegramEmulator(token=TOKEN, latency=latency) as emu:
        tally = Tally(emu)
        runs: dict[str, list[dict]] = {"engine": [], "bare": [], "aiorl": []}
        for round_ in range(args.rounds):  # interleaved, so that a noisy moment hits both
            for name in ("engine", "bare", "aiorl") if round_ == 0 else ("engine", "bare"):
                chats = people(emu, args.compare)
                if name == "engine":
                    found = await run_engine(emu, tally, chats, workdir, rate=0, per_chat=0)
                else:
                    found = await run_floor(emu, tally, chats, workdir, name)
                runs[name].append(found)
                log(f"uncapped {name} #{round_ + 1}", latency, found)
    for name, found in runs.items():
        ordered = sorted(found, key=lambda f: f["rate"])
        results[f"uncapped_{name}"] = ordered[len(ordered) // 2] | {
            "rate": median(f["rate"] for f in found),
            "rates": [f["rate"] for f in ordered],
        }
    engine = results["uncapped_engine"]["rate"]
    results["engine_vs_bare"] = round(engine / results["uncapped_bare"]["rate"], 2)
    results["engine_vs_aiorl"] = round(engine / results["uncapped_aiorl"]["rate"], 2)
    return results


def log(label: str, latency: float, found: dict) -> None:
    brief = {k: v for k, v in found.items() if k != "engine"}
    print(f"[{int(latency * 1000)} ms] {label}: {brief}", file=sys.stderr, flush=True)


def table(runs: list[dict]) -> str:
    lines = [
        "| latency | (a) rate at 30/s cap | fraction of cap | lost | dup | 429s | (c) peak RSS"
        " | (b) engine msg/s | bare loop | AIORateLimiter | engine/bare | engine/AIORL |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        a = r["capped"]
        lines.append(
            f"| {r['latency_ms']} ms | {a['rate']} | {a['fraction_of_cap']} | {a['lost']}"
            f" | {a['duplicates']} | {a['refused_calls']} | {a['peak_rss_mb']} MB"
            f" | {r['uncapped_engine']['rate']} | {r['uncapped_bare']['rate']}"
            f" | {r['uncapped_aiorl']['rate']} | {r['engine_vs_bare']}"
            f" | {r['engine_vs_aiorl']} |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace, workdir: Path) -> list[dict]:
    return [await scenario(args, latency, workdir) for latency in args.latency]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="(a) broadcast size")
    parser.add_argument("--compare", type=int, default=1000, help="(b) messages per contender")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument("--rounds", type=int, default=3, help="(b) engine and bare runs each")
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loaxa-bench-") as tmp:
        runs = asyncio.run(main(arguments, Path(tmp)))
    print(table(runs))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(runs, indent=2, ensure_ascii=False))
