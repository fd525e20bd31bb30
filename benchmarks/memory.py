"""The memory benchmark of issue 9: the bot's peak RSS with 100,000 residents while broadcasting.

A fresh database holds --residents onboarded residents (consented, a hamlet each, every
topic subscribed; `storage/synthetic_residents.py`) and one official. The whole bot runs in
its own process (`benchmarks/bot_process.py`: LoaXa, SQLite with synchronous=FULL, the
delivery engine) against the local Telegram emulator, which runs here with the simulated
people. The official sends a broadcast to everyone the way an official does (/thongbao, the
text, "Không đính kèm", "Mọi người nhận thông báo", the preview, "Gửi ngay"), and the bot
delivers it through the outbox until every resident has it: the whole broadcast, not a
time window, with no rate limit (neither in the emulator nor in the bot's pacer) so that it
finishes in minutes rather than the hour Telegram's 30 messages/s would take.

This process samples the bot process's /proc/<pid>/status (VmRSS, VmHWM) every 0.1 s and
reports the peak (VmHWM: the kernel's high-water mark, which no sampling can miss) and the
RSS at each phase: idle after start, preview and enqueue, delivery. Target: < 150 MB.

    .venv/bin/python benchmarks/memory.py                    # 100,000 residents, ~5 minutes
    .venv/bin/python benchmarks/memory.py --residents 10000  # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_commune  # noqa: E402
from bot.simulator import SentMessage, TelegramEmulator  # noqa: E402
from storage import Storage  # noqa: E402
from storage.models import Role  # noqa: E402
from storage.synthetic_residents import add_onboarded  # noqa: E402

CHILD = ROOT / "benchmarks" / "bot_process.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"
TEXT = (
    "Thông báo: từ thứ Hai tuần sau, Trung tâm Phục vụ hành chính công xã tiếp nhận hồ sơ"
    " cả sáng thứ Bảy. Bà con cần làm thủ tục xin mang theo căn cước công dân."
)
TARGET_MB = 150


def status_mb(pid: int) -> dict[str, float]:
    """Return VmRSS and VmHWM of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line[:5]] = int(line.split()[1]) / 1024
    return found


class Monitor:
    """Samples a process's memory every `every` seconds, labelling samples with a phase."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.phase = "start"
        self.peak_by_phase: dict[str, float] = {}
        self.hwm = 0.0
        self.samples = 0
        self._task: asyncio.Task | None = None

    def sample(self) -> None:
        try:
            found = status_mb(self.pid)
        except (FileNotFoundError, ProcessLookupError):
            return
        self.samples += 1
        self.hwm = max(self.hwm, found.get("VmHWM", 0.0))
        rss = found.get("VmRSS", 0.0)
        self.peak_by_phase[self.phase] = max(self.peak_by_phase.get(self.phase, 0.0), rss)

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def enter(self, phase: str) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def stop(self) -> None:
        self.sample()
        self._task.cancel()


class Official:
    """The official who broadcasts, driven through the emulator."""

    def __init__(self, emu: TelegramEmulator, uid: int) -> None:
        self.emu, self.uid = emu, uid

    def offering(self, data: str) -> SentMessage | None:
        for message in reversed(self.emu.messages(self.uid)):
            if any(d == data for _, d in message.buttons):
                return message
        return None

    async def says(self, text: str) -> None:
        await self.emu.send_text(self.uid, text)

    async def press(self, data: str, timeout: float = 600.0) -> None:
        await self.emu.wait_until(lambda: self.offering(data) is not None, timeout)
        await self.emu.press(self.uid, self.offering(data).message_id, data)

    async def told(self, start: str, timeout: float = 600.0) -> str:
        def found() -> str | None:
            return next(
                (m.text for m in self.emu.messages(self.uid) if (m.text or "").startswith(start)),
                None,
            )

        await self.emu.wait_until(found, timeout)
        return found()


async def build_database(path: Path, first_user: int, residents: int, official: int) -> float:
    """Create the database; return the seconds it took."""
    started = time.monotonic()
    commune, _ = load_commune(None)
    store = await Storage.open(path)
    await add_onboarded(
        store.db, first_user_id=first_user, count=residents, hamlets=commune.hamlets
    )
    await store.staff.upsert("telegram", str(official), "Cán bộ Minh", Role.OFFICIAL)
    await store.close()
    return time.monotonic() - started


async def main(args: argparse.Namespace, workdir: Path) -> dict:
    async with TelegramEmulator(token=TOKEN) as emu:
        official_id = emu.add_user("Minh", "Cán bộ").id
        users = [emu.add_user(f"Dân {n}").id for n in range(args.residents)]
        first = users[0]
        assert users == list(range(first, first + len(users)))  # as add_onboarded numbers them
        counts = bytearray(len(users))  # messages each resident received (duplicates show)
        delivered = {"n": 0, "first": 0.0, "last": 0.0}

        def tally(sent: SentMessage) -> None:
            index = sent.chat_id - first
            if 0 <= index < len(counts):
                counts[index] = min(255, counts[index] + 1)
                now = time.monotonic()
                delivered["n"] += 1
                delivered["first"] = delivered["first"] or now
                delivered["last"] = now

        emu.on_sent(tally)
        db = workdir / "memory.db"
        build_seconds = await build_database(db, first, len(users), official_id)
        print(f"database built in {build_seconds:.1f} s", file=sys.stderr, flush=True)
        log_path = workdir / "bot.log"
        with log_path.open("w") as log:
            child = await asyncio.create_subprocess_exec(
                sys.executable, str(CHILD), "--api-url", emu.url, "--db", str(db),
                "--rate", "0", "--per-chat", "0", "--no-quiet-hours",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
            )  # fmt: skip
        monitor = Monitor(child.pid)
        monitor.start()
        loads = [os.getloadavg()[0]]
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line.strip() == b"started", line
        await asyncio.sleep(2)
        monitor.enter("compose")  # idle so far: "start" holds the bot's resting RSS
        official = Official(emu, official_id)
        await official.says("/thongbao")
        await official.told("Gõ nội dung thông báo")
        await official.says(TEXT)
        await official.press("tb:noattach")
        monitor.enter("preview")
        await official.press("tb:aud:all")
        await official.emu.wait_until(lambda: official.offering("tb:send") is not None, 600)
        monitor.enter("enqueue")
        started = time.monotonic()
        await official.press("tb:send")
        queued = await official.told("Đã gửi thông báo")
        enqueued_in = time.monotonic() - started
        print(f"{queued} ({enqueued_in:.1f} s)", file=sys.stderr, flush=True)
        monitor.enter("delivery")
        deadline = time.monotonic() + args.timeout
        while delivered["n"] < len(users) and time.monotonic() < deadline:
            await asyncio.sleep(5)
            loads.append(os.getloadavg()[0])
            print(f"  {delivered['n']} delivered, RSS {status_mb(child.pid)}", file=sys.stderr,
                  flush=True)  # fmt: skip
        await asyncio.sleep(1)
        monitor.enter("done")
        monitor.stop()
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        out, _ = await asyncio.wait_for(child.communicate(), 120)
        report = json.loads(out.decode().strip().splitlines()[-1])
    span = delivered["last"] - delivered["first"]
    errors = [ln for ln in log_path.read_text().splitlines() if "ERROR" in ln or "Traceback" in ln]
    return {
        "residents": len(users),
        "delivered": delivered["n"],
        "lost": sum(1 for c in counts if c == 0),
        "duplicates": sum(c - 1 for c in counts if c > 1),
        "delivery_seconds": round(span, 1),
        "delivery_rate": round((delivered["n"] - 1) / span, 1) if span > 0 else 0.0,
        "enqueue_seconds": round(enqueued_in, 1),
        "peak_rss_mb": round(max(monitor.hwm, report["peak_rss_mb"]), 1),
        "rss_by_phase_mb": {k: round(v, 1) for k, v in monitor.peak_by_phase.items()},
        "target_mb": TARGET_MB,
        "load_average": {"mean": round(sum(loads) / len(loads), 2), "max": round(max(loads), 2)},
        "database_build_seconds": round(build_seconds, 1),
        "engine": report.get("delivery", {}),
        "log_errors": len(errors),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for delivery")
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loaxa-memory-") as tmp:
        result = asyncio.run(main(arguments, Path(tmp)))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
