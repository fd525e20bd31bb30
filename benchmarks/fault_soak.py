"""Soak the whole bot under kill -9 during a mixed load of residents and a broadcast.

The bot (tests/bot_child.py: the whole app on one SQLite file) runs in its own process
against the emulator running here. --residents people each onboard (/start, Đồng ý, a
hamlet, Nhận tất cả) and send one complete feedback with a photo, while an official's
broadcast to them and --recipients other subscribers sits in the outbox; --oa of those
subscribers (a tenth by default) follow the commune's Zalo OA on its emulator, so the OA
channel and its stored token pair go through every kill too. Each person acts
on the bot's latest message and, when no answer comes, tries again, as a person would.
The bot is killed with SIGKILL --kills times at random moments and restarted on the same
file; optionally the emulator also fails a share of calls (500, 502, dropped connections)
and rate-limits like Telegram. At the end it checks, and exits 1 on any violation:

- every tracking code a resident received exists, with their description and photo bytes;
- no outbox row lost: every broadcast recipient got it, every row is sent or unreachable;
- broadcast duplicates within the outbox's bound (2 x delivery_in_flight per channel per crash);
- PRAGMA integrity_check is "ok"; every resident finished.

    .venv/bin/python benchmarks/fault_soak.py --kills 20 --residents 30
    .venv/bin/python benchmarks/fault_soak.py --failure-rate 0.05 --rate-limit
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import struct
import sys
import tempfile
import time
import zlib
from asyncio.subprocess import PIPE
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.oa_audience import OaAudience  # noqa: E402
from bot.messages import Reply  # noqa: E402
from bot.simulator import TelegramEmulator  # noqa: E402
from bot.simulator.telegram_limits import RateLimits  # noqa: E402
from storage import Storage  # noqa: E402
from storage.feedback import CODE_ALPHABET  # noqa: E402
from storage.outbox import Push  # noqa: E402

CHILD = ROOT / "tests" / "bot_child.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"
CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")
BROADCAST = "Thông báo: tiêm phòng dại cho chó mèo tại nhà văn hóa xóm, sáng thứ Bảy"
HAMLETS = ("Xóm 1", "Xóm 2", "Xóm 3")
ERROR_NOTICE = "Loa Xã đang gặp sự cố"


def png(seed: int) -> bytes:
    """Make a small valid PNG (2x2 pixels), different for each seed below 65,536."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    pixel = bytes([seed % 256, seed // 256 % 256, 77])
    raw = b"".join(b"\x00" + pixel * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Resident:
    """One person: onboards, then sends one feedback with a photo, acting on what they see."""

    emu: TelegramEmulator
    number: int
    rng: random.Random
    patience: float
    id: int = 0
    hamlet: str = ""
    description: str = ""
    photo: bytes = b""
    actions: int = 0
    retries: int = 0
    done: bool = False
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.emu.add_user(f"Dân {self.number}").id
        self.hamlet = HAMLETS[self.number % len(HAMLETS)]
        self.description = (
            f"Cống thoát nước số {self.number} ở {self.hamlet} bị tắc, nước tràn ra đường"
            f" từ tuần trước (hộ số {self.number * 7 + 3})"
        )
        self.photo = png(self.number)

    def visible(self) -> list:
        """The bot's messages to me, without the broadcast."""
        return [m for m in self.emu.messages(self.id) if BROADCAST not in (m.text or "")]

    def codes(self) -> set[str]:
        return {c for m in self.visible() for c in CODE.findall(m.text or "")}

    def submitted(self) -> bool:
        return any(
            "Đã nhận phản ánh" in (m.text or "") and CODE.search(m.text) for m in self.visible()
        )

    def decide(self):  # one table of what a person does on each screen
        """Return (what, coroutine factory) for the next action, from the latest screens."""
        emu, me = self.emu, self.id
        onboarded = any(
            (m.text or "").startswith("Xong.") or "cần gì? Mời chọn" in (m.text or "")
            for m in self.visible()
        )

        def tap(message, label):
            data = dict(message.buttons).get(label)
            if data:
                return f"tap {label}", lambda: emu.press(me, message.message_id, data)
            # The keyboard is gone: the bot took the tap but its answer was lost. Typing the
            # label could land in the next step (as a description); open the menu again.
            if onboarded:
                return "say /phananh", lambda: emu.send_text(me, "/phananh")
            return "say /start", lambda: emu.send_text(me, "/start")

        for message in reversed(self.visible()):
            text, labels = message.text or "", dict(message.buttons)
            if ERROR_NOTICE in text:
                continue  # "try again": do again what the screen before asked
            if "phản ánh chưa xử lý xong" in text or "phản ánh. Ngày mai" in text:
                return "say /tracuu", lambda: emu.send_text(me, "/tracuu")
            if "xem lại trước khi gửi" in text or "Gửi phản ánh" in labels:
                return tap(message, "Gửi phản ánh")
            if "có tên hay ẩn danh" in text:
                return tap(message, "Gửi có tên")
            if text.startswith("Việc này ở đâu"):
                return tap(message, f"Ở {self.hamlet}")
            if text.startswith(("Đã nhận ảnh", "Đã đủ")):
                return tap(message, "Xong, tiếp tục")
            if any(s in text for s in ("có ảnh về việc", "không tải được ảnh", "gửi ảnh, hoặc")):
                return "photo", lambda: emu.send_photo(me, self.photo)
            if any(s in text for s in ("kể ngắn gọn", "gõ vài dòng", "Mô tả hơi ngắn")):
                return "describe", lambda: emu.send_text(me, self.description)
            if "thuộc lĩnh vực nào" in text or "bấm một lĩnh vực" in text:
                return tap(message, "Môi trường")
            if "muốn gửi loại nào?" in text:
                return tap(message, "Phản ánh, kiến nghị")
            if "Nhận tất cả (nên chọn)" in labels or "Đã ghi:" in text:
                return tap(message, "Nhận tất cả (nên chọn)")
            if "xóm nào" in text:
                return tap(message, self.hamlet)
            if "Đồng ý" in labels or text.startswith("Kính chào"):
                return tap(message, "Đồng ý")
            break
        if onboarded:
            return "say /phananh", lambda: emu.send_text(me, "/phananh")
        return "say /start", lambda: emu.send_text(me, "/start")

    async def live(self, deadline: float) -> None:
        """Act until the feedback is confirmed with a code (or the deadline passes)."""
        while not self.submitted() and time.monotonic() < deadline:
            seen = len(self.visible())
            what, act = self.decide()
            self.log.append(what)
            await act()
            self.actions += 1
            try:
                await self.emu.wait_until(
                    lambda s=seen: len(self.visible()) > s,
                    timeout=self.patience * (1 + self.rng.random()),
                )
            except TimeoutError:
                self.retries += 1  # no answer: the bot is down, or the answer was lost
                continue
            while True:  # let an answer of several messages arrive in full
                count = len(self.visible())
                await asyncio.sleep(0.2)
                if len(self.visible()) == count:
                    break
            await asyncio.sleep(self.rng.uniform(0.0, 0.3))  # a person reads, then acts
        self.done = self.submitted()


async def soak(args: argparse.Namespace, workdir: Path) -> dict:
    """Run the soak and return its figures and violations."""
    rng = random.Random(args.seed)
    db = workdir / "loaxa.db"
    limits = RateLimits() if args.rate_limit else None
    kinds = ("500", "502", "drop")
    started_at = time.monotonic()
    on_oa = args.recipients // 10 if args.oa is None else min(args.oa, args.recipients)
    async with (
        TelegramEmulator(
            token=TOKEN,
            rate_limit=limits,
            failure_rate=args.failure_rate,
            failure_kinds=kinds,
            seed=args.seed,
        ) as emu,
        OaAudience(on_oa, args.seed) as oa,
    ):
        residents = [
            Resident(emu, n, random.Random(args.seed * 1000 + n), args.patience)
            for n in range(args.residents)
        ]
        others = [emu.add_user(f"Người nhận {n}").id for n in range(args.recipients - on_oa)]
        audience = [r.id for r in residents] + others
        store = await Storage.open(db)
        pushes = [
            Push("telegram", str(c), Reply(BROADCAST), "broadcast", "broadcast:1") for c in audience
        ]
        await store.outbox.enqueue(pushes + oa.pushes(BROADCAST, "broadcast:1"))
        await oa.interacted(store)
        await store.close()
        sent = [0]
        emu.on_sent(lambda _m: sent.__setitem__(0, sent[0] + 1))

        def all_sent() -> int:
            return sent[0] + oa.sent()

        def counts() -> dict:
            telegram = {
                c: sum(BROADCAST in (m.text or "") for m in emu.messages(c)) for c in audience
            }
            return telegram | oa.received(BROADCAST)  # int ids and str ids: no clash

        command = [
            sys.executable, str(CHILD), "--api-url", emu.url, "--db", str(db), "--rate",
            str(args.rate), "--in-flight", str(args.in_flight), "--wait",
        ]  # fmt: skip
        child_log = (workdir / "child.log").open("ab")

        def duplicates() -> int:
            return sum(max(0, n - 1) for n in counts().values())

        async def spawn() -> asyncio.subprocess.Process:
            child = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, stdin=PIPE, stdout=PIPE, stderr=child_log,
                env=os.environ | oa.env(),
            )  # fmt: skip
            assert await child.stdout.readline() == b"ready\n"
            return child

        failed_starts = [0]

        async def go(child: asyncio.subprocess.Process) -> asyncio.subprocess.Process:
            """Start the bot; when start-up fails (a failed API call), start it again, as a
            supervisor (systemd Restart=always) would."""
            while True:
                child.stdin.write(b"go\n")
                await child.stdin.drain()
                if await asyncio.wait_for(child.stdout.readline(), 120) == b"started\n":
                    return child
                await child.wait()
                failed_starts[0] += 1
                child = await spawn()

        deadline = time.monotonic() + args.timeout
        people = [asyncio.create_task(r.live(deadline)) for r in residents]

        def everything_done() -> bool:
            return all(r.submitted() for r in residents) and all(counts().values())

        expected = args.residents * 14 + len(audience) + on_oa  # messages of a run without faults
        step = max(1, int(0.8 * expected / (args.kills + 1)))
        upcoming, marks, under_load = asyncio.create_task(spawn()), [0], 0
        for _ in range(args.kills):
            child = await upcoming
            upcoming = asyncio.create_task(spawn())
            child = await go(child)
            target = all_sent() + rng.randrange(max(2, step // 2), step * 3 // 2 + 2)
            with contextlib.suppress(TimeoutError):  # kill anyway: a stuck bot too
                ready = lambda t=target: all_sent() >= t or everything_done()  # noqa: E731
                await oa.wait_with(emu, ready, 120)
            under_load += not everything_done()
            child.kill()  # SIGKILL
            await child.wait()
            marks.append(duplicates())
        child = await go(await upcoming)
        await asyncio.gather(*people)
        with contextlib.suppress(TimeoutError):  # what is missing is reported below
            await oa.wait_with(emu, everything_done, max(10, deadline - time.monotonic()))
        await asyncio.sleep(0.5)  # late duplicates of the last run show up too
        marks.append(duplicates())
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        await asyncio.wait_for(child.wait(), 60)
        child_log.close()
        elapsed = time.monotonic() - started_at
        per_kill = [after - before for before, after in pairwise(marks)]
        broadcast_counts = counts()
        channels = 2 if on_oa else 1  # the engine's window is per channel
        result = await check(
            args, db, residents, broadcast_counts, per_kill, under_load, elapsed, channels
        )
        result["failed_starts"] = failed_starts[0]
        result["on_oa"], result["oa_refreshes"] = on_oa, oa.refreshes
        return result


async def check(
    args, db, residents, broadcast_counts, per_kill, under_load, elapsed, channels=1
) -> dict:
    """Compare what people saw with the database; return figures and violations."""
    violations: list[str] = []
    store = await Storage.open(db)
    try:
        integrity = await store.db.fetchval("PRAGMA integrity_check")
        if integrity != "ok":
            violations.append(f"PRAGMA integrity_check: {integrity}")
        codes_total, extra_photos = 0, 0
        for r in residents:
            if not r.done:
                tail = r.log[-6:]
                last = r.visible()[-1].text if r.visible() else None
                violations.append(f"resident {r.number} stuck; last actions {tail}, saw {last!r}")
            me = await store.residents.get_by_identity("telegram", str(r.id))
            for code in sorted(r.codes()):
                codes_total += 1
                item = await store.feedback.get_by_code(code)
                if item is None:
                    violations.append(f"resident {r.number} got {code}: not in the database")
                    continue
                if item.description != r.description:
                    violations.append(f"{code}: description {item.description!r} differs")
                if me is None or item.resident_id != me.id:
                    violations.append(f"{code}: not linked to resident {r.number}")
                photos = await store.media.for_feedback(item.id)
                if not photos or any(p != r.photo for p in photos):
                    violations.append(f"{code}: photos differ ({len(photos)} stored)")
                extra_photos += max(0, len(photos) - 1)
        feedback_rows = await store.db.fetchval("SELECT COUNT(*) FROM feedback")
        stats = await store.outbox.stats()
        broadcast_rows = await store.outbox.list_by_source("broadcast:1")
    finally:
        await store.close()
    if len(broadcast_rows) != len(broadcast_counts):
        rows, enqueued = len(broadcast_rows), len(broadcast_counts)
        violations.append(f"outbox: {rows} broadcast rows, {enqueued} enqueued")
    open_rows = {s: n for s, n in stats.items() if s not in ("sent", "unreachable") and n}
    if open_rows:
        violations.append(f"outbox rows not sent: {open_rows}")
    lost = sum(1 for n in broadcast_counts.values() if n == 0)
    if lost:
        violations.append(f"{lost} broadcast recipients got nothing")
    dups = sum(max(0, n - 1) for n in broadcast_counts.values())
    bound = 2 * args.in_flight * channels
    if dups > args.kills * bound or max(per_kill, default=0) > bound:
        violations.append(f"duplicates {dups} (max {max(per_kill)} per kill) over {bound}/kill")
    return {
        "kills": args.kills,
        "kills_under_load": under_load,
        "residents": args.residents,
        "finished": sum(r.done for r in residents),
        "recipients": len(broadcast_counts),
        "codes": codes_total,
        "feedback_rows": feedback_rows,
        "extra_photos": extra_photos,
        "actions": sum(r.actions for r in residents),
        "retries": sum(r.retries for r in residents),
        "lost": lost,
        "duplicates": dups,
        "max_per_kill": max(per_kill, default=0),
        "bound_per_kill": bound,
        "integrity": integrity,
        "outbox": stats,
        "seconds": round(elapsed, 1),
        "violations": violations,
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--residents", type=int, default=30)
    parser.add_argument("--recipients", type=int, default=300, help="broadcast-only chats")
    parser.add_argument("--rate", type=float, default=30.0, help="engine messages/s; 0 = none")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--failure-rate", type=float, default=0.0, help="e.g. 0.05")
    parser.add_argument("--rate-limit", action="store_true", help="Telegram-like 429s")
    parser.add_argument("--patience", type=float, default=4.0, help="s before trying again")
    parser.add_argument("--timeout", type=float, default=900.0, help="s for the whole run")
    parser.add_argument("--oa", type=int, help="of --recipients, how many on the Zalo OA")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the database and child.log here")
    return parser.parse_args(argv)


def report(result: dict) -> None:
    print(
        "| kills (under load) | residents finished | codes checked | feedback rows "
        "| broadcast recipients | lost | duplicates (max per kill / bound) | integrity | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    r = result
    print(
        f"| {r['kills']} ({r['kills_under_load']}) | {r['finished']}/{r['residents']} "
        f"| {r['codes']} | {r['feedback_rows']} | {r['recipients']} | {r['lost']} "
        f"| {r['duplicates']} ({r['max_per_kill']} / {r['bound_per_kill']}) "
        f"| {r['integrity']} | {r['seconds']} s |"
    )
    print(
        f"actions {r['actions']}, retries {r['retries']}, extra photos {r['extra_photos']},"
        f" failed starts {r['failed_starts']},"
        f" on the OA {r['on_oa']} (token refreshes {r['oa_refreshes']}),"
        f" outbox {r['outbox']}",
        file=sys.stderr,
    )
    for v in r["violations"]:
        print(f"VIOLATION: {v}", file=sys.stderr)
    print("FAIL" if r["violations"] else "PASS", file=sys.stderr)


if __name__ == "__main__":
    arguments = parse()
    if arguments.workdir:
        arguments.workdir.mkdir(parents=True, exist_ok=True)
        outcome = asyncio.run(soak(arguments, arguments.workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="loaxa-faults-") as tmp:
            outcome = asyncio.run(soak(arguments, Path(tmp)))
    report(outcome)
    sys.exit(1 if outcome["violations"] else 0)
