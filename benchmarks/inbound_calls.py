"""Bot API calls per resident step, for benchmarks/inbound.py: how many calls Loa Xã makes
to answer one thing a resident does, by method.

One resident, on a fresh database and a fresh bot process, does each step of /phananh and
then of /theodoi (three topic toggles, then "Xong"), one at a time. A step's calls are
those the bot makes after the step is sent until no call has come for QUIET seconds
(getUpdates, the long poll, is not counted; nor are the official's notification pushes,
which go to another chat). Counts, not times: the quiet wait only says the step is over.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from inbound_harness import Bot

from bot.simulator import TelegramEmulator

QUIET = 0.5  # seconds without a call: the step is answered
STEP_TIMEOUT = 20.0

# (what the resident does, the text or the button data): /phananh as in inbound.py's FLOW,
# then a multi-select list, the kind of step that a tidy chat edits in place.
SUBSCRIPTIONS = (
    ("text", "/theodoi"),
    ("press", "td:topic:outreach"),
    ("press", "td:topic:surveys"),
    ("press", "td:topic:outreach"),
    ("press", "td:done"),
)


def _counted(uid: int, method: str, params: dict) -> bool:
    """A call answering this resident (answerCallbackQuery names no chat)."""
    return method != "getUpdates" and str(params.get("chat_id", uid)) == str(uid)


async def _settled(emu: TelegramEmulator, start: int) -> None:
    """Wait until the bot has made a call since `start` and then none for QUIET seconds."""
    deadline = time.monotonic() + STEP_TIMEOUT
    seen, since = start, time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = sum(1 for method, _ in emu.calls if method != "getUpdates")
        if now != seen:
            seen, since = now, time.monotonic()
        elif now > start and time.monotonic() - since >= QUIET:
            return
    raise TimeoutError("a step was not answered")


async def _do(emu: TelegramEmulator, uid: int, kind: str, what: str) -> Counter:
    calls = len(emu.calls)
    start = sum(1 for method, _ in emu.calls if method != "getUpdates")
    if kind == "text":
        await emu.send_text(uid, what)
    else:
        offering = (m for m in reversed(emu.messages(uid)) if any(d == what for _, d in m.buttons))
        await emu.press(uid, next(offering).message_id, what)
    await _settled(emu, start)
    return Counter(m for m, p in emu.calls[calls:] if _counted(uid, m, p))


async def calls_per_step(emu: TelegramEmulator, workdir: Path, db: Path, uid: int, flow) -> dict:
    """Run /phananh (`flow`, inbound.py's) and /theodoi as one resident; count the calls."""
    found: dict = {}
    async with Bot(emu, workdir, ["--db", str(db)]):
        for name, steps in (("phananh", [(k, w) for k, w, _ in flow]), ("theodoi", SUBSCRIPTIONS)):
            counts = [await _do(emu, uid, kind, what) for kind, what in steps]
            presses = [c for (kind, _), c in zip(steps, counts, strict=True) if kind == "press"]
            total = sum(counts, Counter())
            found[name] = {
                "steps": len(steps),
                "calls": sum(total.values()),
                "calls_per_step": round(sum(total.values()) / len(steps), 2),
                "calls_per_press": round(sum(sum(c.values()) for c in presses) / len(presses), 2),
                "by_method": dict(sorted(total.items())),
            }
    return found


def calls_table(found: dict) -> str:
    lines = [
        "| flow | steps | Bot API calls | per step | per button press | by method |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in found.items():
        methods = ", ".join(f"{m} {n}" for m, n in f["by_method"].items())
        lines.append(
            f"| /{name} | {f['steps']} | {f['calls']} | {f['calls_per_step']}"
            f" | {f['calls_per_press']} | {methods} |"
        )
    return "\n".join(lines)
