"""Soak the outbox's crash guarantee: kill -9 the bot again and again in one broadcast.

The bot (tests/bot_child.py: the whole app with its delivery engine) runs in its own
process against the emulator running here; it is killed with SIGKILL --kills times at
random points of a --recipients broadcast, restarted each time on the same SQLite file, and
finally run to the end. --oa of the recipients (a tenth by default) follow the commune's Zalo
OA on its emulator instead, so the OA channel and its stored token pair live through every
kill too. Checked: every recipient got the message (lost = 0), and the duplicates caused by
each kill stay within the engine's window (2 x in-flight per channel).

    .venv/bin/python benchmarks/crash_soak.py --kills 25 --recipients 3000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
from asyncio.subprocess import PIPE
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.oa_audience import OaAudience  # noqa: E402
from bot.messages import Reply  # noqa: E402
from bot.simulator import TelegramEmulator  # noqa: E402
from storage import Storage  # noqa: E402
from storage.outbox import Push  # noqa: E402

CHILD = ROOT / "tests" / "bot_child.py"
TOKEN = "123456:TEST-token-for-the-local-emulator"
TEXT = "Thông báo lịch tiêm chủng"


async def soak(args: argparse.Namespace, workdir: Path) -> int:
    rng = random.Random(args.seed)
    db = workdir / "loaxa.db"
    on_oa = args.recipients // 10 if args.oa is None else args.oa
    async with TelegramEmulator(token=TOKEN) as emu, OaAudience(on_oa, args.seed) as oa:
        chats = [emu.add_user(f"Dân {n}").id for n in range(args.recipients - on_oa)]
        store = await Storage.open(db)
        text = Reply(TEXT)
        pushes = [Push("telegram", str(c), text, "broadcast", "broadcast:1") for c in chats]
        pushes += oa.pushes(TEXT, "broadcast:1")
        rng.shuffle(pushes)  # OA followers among the others, not after them
        await store.outbox.enqueue(pushes)
        await oa.interacted(store)
        await store.close()
        command = [
            sys.executable, str(CHILD), "--until", "drained", "--api-url", emu.url,
            "--db", str(db), "--rate", str(args.rate), "--in-flight", str(args.in_flight),
            "--timeout", "3600", "--wait",
        ]  # fmt: skip

        def delivered() -> int:
            return emu.call_counts["sendMessage"] + oa.sent()

        def counts() -> list[int]:
            return [len(emu.messages(c)) for c in chats] + list(oa.received(TEXT).values())

        def duplicates() -> int:
            return sum(max(0, c - 1) for c in counts())

        async def spawn() -> asyncio.subprocess.Process:
            child = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, stdin=PIPE, stdout=PIPE, env=os.environ | oa.env()
            )
            assert await child.stdout.readline() == b"ready\n"
            return child

        async def go(child: asyncio.subprocess.Process) -> None:
            child.stdin.write(b"go\n")
            await child.stdin.drain()

        step = args.recipients // (args.kills + 1)
        upcoming, marks = asyncio.create_task(spawn()), []
        for kill in range(1, args.kills + 1):
            child = await upcoming
            upcoming = asyncio.create_task(spawn())
            await go(child)
            target = kill * step + rng.randrange(max(1, step // 2))
            await oa.wait_with(emu, lambda t=target: delivered() >= t, timeout=600)
            child.kill()  # SIGKILL
            await child.wait()
            await asyncio.sleep(0.2)  # requests that reached an emulator before the kill land
            marks.append(duplicates())  # what each kill causes shows up in the next run
        child = await upcoming
        await go(child)
        await asyncio.wait_for(child.stdout.read(), timeout=3600)
        await child.wait()
        marks.append(duplicates())
        per_kill = [after - before for before, after in pairwise(marks)]

        received = counts()
        store = await Storage.open(db)
        stats = await store.outbox.stats()
        await store.close()
    lost = sum(1 for c in received if c == 0)
    total = sum(max(0, c - 1) for c in received)
    window = 2 * args.in_flight * (2 if on_oa else 1)  # the engine's window is per channel
    print(
        "| recipients (on the OA) | kills | lost | duplicates (total) | max per kill"
        " | bound per kill |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.recipients} ({on_oa}) | {args.kills} | {lost} | {total} | {max(per_kill)}"
        f" | {window} |"
    )
    print(f"outbox rows: {stats}; OA token refreshes: {oa.refreshes}", file=sys.stderr)
    ok = lost == 0 and stats["sent"] == args.recipients and total <= args.kills * window
    print("PASS" if ok else "FAIL", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--rate", type=float, default=0.0, help="engine messages/s; 0 = none")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--oa", type=int, help="recipients on the Zalo OA; default a tenth")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loaxa-soak-") as tmp:
        sys.exit(asyncio.run(soak(arguments, Path(tmp))))
