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
    button: after answerCallbackQuery and the keyboard's removal). Target: p99 < 100 ms.
    The echo bot is measured the same way, as the floor.

A step is complete when its last reply is recorded; each round runs the echo bot and Loa Xã
back to back, so that a noisy moment on the shared machine hits both. Also reported: the CPU
time the bot process spent per update (user + system, all its threads), which other load on
the machine changes much less than it changes rates and latencies, and the 1-minute load
average (this benchmark's own two busy processes count in it).

    .venv/bin/python benchmarks/inbound.py                 # 2 rounds of 45 s runs, ~8 min
    .venv/bin/python benchmarks/inbound.py --quick         # 1 round of 10 s runs, ~1 min
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_commune  # noqa: E402
from bot.simulator import SentMessage, TelegramEmulator  # noqa: E402
from storage import Storage  # noqa: E402
from storage.models import Role  # noqa: E402
from storage.synthetic_residents import add_onboarded  # noqa: E402

CHILD = ROOT / "benchmarks" / "bot_process.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"
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
TICK = os.sysconf("SC_CLK_TCK")


class Replies:
    """The bot's messages per chat with the time each was recorded, and waiters on them."""

    def __init__(self, emu: TelegramEmulator) -> None:
        self.times: dict[int, list[float]] = defaultdict(list)
        self._waiting: dict[int, tuple[int, asyncio.Future]] = {}
        emu.on_sent(self._record)

    def _record(self, sent: SentMessage) -> None:
        times = self.times[sent.chat_id]
        times.append(time.monotonic())
        waiting = self._waiting.get(sent.chat_id)
        if waiting is not None and len(times) >= waiting[0]:
            del self._waiting[sent.chat_id]
            if not waiting[1].done():
                waiting[1].set_result(None)

    def count(self, chat: int) -> int:
        return len(self.times[chat])

    async def until(self, chat: int, target: int, timeout: float = 60.0) -> float:
        """Wait for the chat's `target`-th message; return when it was recorded."""
        times = self.times[chat]
        if len(times) < target:
            future = asyncio.get_running_loop().create_future()
            self._waiting[chat] = (target, future)
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"chat {chat}: {len(times)} of {target} replies after {timeout}s"
                ) from None
        return times[target - 1]


Step = Callable[[int, int], Awaitable[tuple[float, float]]]  # (uid, step) -> (sent, answered)


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


class Window:
    """The measured part of a run: from `start` for `seconds`, after a warm-up."""

    def __init__(self, warmup: float, seconds: float) -> None:
        self.start = time.monotonic() + warmup
        self.end = self.start + seconds
        self.seconds = seconds

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


async def closed_loop(
    step: Step, people: Iterator[int], flow_length: int, users: int, window: Window
) -> list[tuple[float, float, int]]:
    """`users` people each do steps back to back until the window ends; return the steps."""
    done: list[tuple[float, float, int]] = []

    async def person() -> None:
        while time.monotonic() < window.end:
            uid = next(people)
            for number in range(flow_length):
                if time.monotonic() >= window.end:
                    return
                sent, answered = await step(uid, number)
                done.append((sent, answered, number))

    await asyncio.gather(*(person() for _ in range(users)))
    return done


async def open_loop(
    step: Step, people: Iterator[int], flow_length: int, rate: float, window: Window
) -> tuple[list[tuple[float, float, int]], int]:
    """Send a step every 1/rate s, whatever the answers; return the steps and the count sent."""
    done: list[tuple[float, float, int]] = []
    ready: deque[tuple[int, int]] = deque()
    tasks: set[asyncio.Task] = set()
    began = time.monotonic()

    async def one(uid: int, number: int) -> None:
        sent, answered = await step(uid, number)
        done.append((sent, answered, number))
        if number + 1 < flow_length:
            ready.append((uid, number + 1))

    for n in itertools.count():
        due = began + n / rate
        if due >= window.end:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        uid, number = ready.popleft() if ready else (next(people), 0)
        task = asyncio.create_task(one(uid, number))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return done, n


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Load:
    """Samples the 1-minute load average every second while running."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            await asyncio.sleep(1.0)

    def __enter__(self) -> Load:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()

    def summary(self) -> dict:
        s = self.samples or [os.getloadavg()[0]]
        return {"mean": round(sum(s) / len(s), 2), "max": round(max(s), 2)}


class Bot:
    """The bot process under test: started, told to stop, its report read."""

    def __init__(self, emu: TelegramEmulator, workdir: Path, args: list[str]) -> None:
        self.emu, self.workdir, self.args = emu, workdir, args
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / f"bot-{next(RUNS)}.log"
        self.report: dict = {}

    async def __aenter__(self) -> Bot:
        with self.log.open("w") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(CHILD), "--api-url", self.emu.url, *self.args,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
                cwd=self.workdir,
            )  # fmt: skip
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if line.strip() != b"started":
            raise RuntimeError(f"the bot did not start: {line!r}; see {self.log.read_text()}")
        await asyncio.sleep(0.5)  # the first long poll is in, the command menus are set
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    async def __aexit__(self, *exc: object) -> None:
        self.process.stdin.write(b"stop\n")
        await self.process.stdin.drain()
        out, _ = await asyncio.wait_for(self.process.communicate(), 60)
        lines = out.decode().strip().splitlines()
        self.report = json.loads(lines[-1]) if lines else {}
        text = self.log.read_text()
        self.report["log_errors"] = sum(
            1 for line in text.splitlines() if "Traceback" in line or "ERROR" in line
        )
        if self.report["log_errors"]:
            print(f"bot log ({self.log.name}) has errors:\n{text[-3000:]}", file=sys.stderr)


RUNS = itertools.count(1)


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


def summarise(done: list, window: Window, final_step: int) -> dict:
    inside = [(s, a, n) for s, a, n in done if window.holds(a)]
    latencies = [(a - s) * 1000 for s, a, n in done if window.holds(s)]
    finals = [(a - s) * 1000 for s, a, n in done if window.holds(s) and n == final_step]
    return {
        "steps": len(inside),
        "steps_per_s": round(len(inside) / window.seconds, 1),
        "completions_per_s": round(
            sum(1 for *_, n in inside if n == final_step) / window.seconds, 2
        ),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "final_step_p99_ms": round(percentile(finals, 0.99), 1),
    }


async def measure(
    bot: Bot, run: Callable[[Window], Awaitable[list]], args, final_step: int
) -> dict:
    # This process is the measuring instrument: the emulator keeps every call and message,
    # and a full collection of that heap stalls it (and so every latency) for 100+ ms.
    gc.collect()
    gc.freeze()
    window = Window(args.warmup, args.seconds)
    with Load() as load:
        cpu_task = asyncio.create_task(_cpu_over(bot.pid, window))
        done = await run(window)
        cpu = await cpu_task
    found = summarise(done, window, final_step)
    found["bot_cpu_ms_per_step"] = round(cpu * 1000 / max(found["steps"], 1), 2)
    found["bot_cpu_share"] = round(cpu / window.seconds, 2)  # of one core
    found["load_average"] = load.summary()
    return found


async def _cpu_over(pid: int, window: Window) -> float:
    await asyncio.sleep(max(0.0, window.start - time.monotonic()))
    before = cpu_seconds(pid)
    await asyncio.sleep(max(0.0, window.end - time.monotonic()))
    return cpu_seconds(pid) - before


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


def log(label: str, found: dict) -> None:
    print(f"{label}: {found}", file=sys.stderr, flush=True)


async def main(args: argparse.Namespace, workdir: Path) -> dict:
    async with TelegramEmulator(token=TOKEN) as emu:
        replies = Replies(emu)
        official = emu.add_user("Minh", "Cán bộ").id
        users = [emu.add_user(f"Dân {n}").id for n in range(args.residents)]
        assert users == list(range(users[0], users[0] + len(users)))  # as add_onboarded counts
        rounds = []
        flood = None
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
    arguments = parser.parse_args()
    arguments.flood = arguments.flood or arguments.flood_only
    if arguments.quick:
        arguments.seconds, arguments.warmup, arguments.rounds = 10.0, 2.0, 1
    with tempfile.TemporaryDirectory(prefix="loaxa-inbound-") as tmp:
        result = asyncio.run(main(arguments, Path(tmp)))
    print(table(result) if result["rounds"] else "")
    if result["flood"]:
        print(flood_table(result["flood"], arguments))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
