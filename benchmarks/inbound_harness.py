"""What benchmarks/inbound.py measures with: the bot in its own process, simulated people
on the Telegram emulator, paced or closed-loop load, latencies, the bot's CPU time and the
machine's load average."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import sys
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from bot.simulator import SentMessage, TelegramEmulator

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "benchmarks" / "bot_process.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"

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


def log(label: str, found: dict) -> None:
    print(f"{label}: {found}", file=sys.stderr, flush=True)
