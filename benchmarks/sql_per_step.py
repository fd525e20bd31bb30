"""SQL statements per resident step of benchmarks/inbound.py's feedback flow (issue 14).

The whole bot (`bot.app.LoaXa`, as benchmarks/bot_process.py runs it) runs in this process
against the Telegram emulator; --submissions residents send one feedback each, every step of
inbound.py's FLOW, one after another, while every SQLite connection traces its statements
(`Database.set_trace_callback`). Printed: statements per step and per submission, each
statement's count per submission (numbers and quoted values folded), and the count per step.

SQLite's trace reports each run of a trigger as two more lines of the statement that fired
it: a write to `sessions` (migration 0014's draft-media triggers) is counted three times.

    .venv/bin/python benchmarks/sql_per_step.py                 # 20 submissions, a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inbound import FLOW, TOKEN, feedback_step, fresh_database  # noqa: E402
from inbound_harness import Replies  # noqa: E402

from bot.app import LoaXa  # noqa: E402
from bot.config import Settings, load_commune  # noqa: E402
from bot.simulator import TelegramEmulator  # noqa: E402

WARM = 3  # residents through the flow before counting: caches and prepared statements


def shape(sql: str) -> str:
    """Return a statement with its values folded, so that runs of one statement count as one."""
    text = re.sub(r"'[^']*'", "?", " ".join(sql.split()))
    return re.sub(r"\b\d+\b", "N", text)[:160]


async def count(submissions: int, workdir: Path) -> dict:
    async with TelegramEmulator(token=TOKEN) as emu:
        replies = Replies(emu)
        official = emu.add_user("Minh", "Cán bộ").id
        users = [emu.add_user(f"Dân {n}").id for n in range(WARM + submissions)]
        settings = Settings(
            telegram_token=TOKEN,
            telegram_api_url=f"{emu.url}/bot",
            telegram_file_url=f"{emu.url}/file/bot",
            db=await fresh_database(workdir, users[0], len(users), official),
            allow_sample=True,  # the bundled sample commune, as in inbound.py
            http_port=0,
            _env_file=None,
        )
        commune, _ = load_commune(None)
        per_step: dict[int, Counter] = defaultdict(Counter)
        current = [0]
        async with LoaXa(settings, commune, run_jobs=False) as app:
            step = feedback_step(emu, replies)
            for uid in users:
                if uid == users[WARM]:
                    await app.store.db.set_trace_callback(
                        lambda sql: per_step[current[0]].update([shape(sql)])
                    )
                for number in range(len(FLOW)):
                    current[0] = number
                    await step(uid, number)
            await asyncio.sleep(1.0)  # the official's notification, sent by the delivery engine
            await app.store.db.set_trace_callback(None)
    statements = sum(per_step.values(), Counter())
    total = sum(statements.values())
    return {
        "submissions": submissions,
        "per_step": round(total / (submissions * len(FLOW)), 2),
        "per_submission": round(total / submissions, 2),
        "by_step": [round(sum(per_step[n].values()) / submissions, 2) for n in range(len(FLOW))],
        "statements": {sql: n / submissions for sql, n in statements.most_common()},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loaxa-sql-") as tmp:
        found = asyncio.run(count(arguments.submissions, Path(tmp)))
    print(f"{found['per_step']} statements per step, {found['per_submission']} per submission")
    for sql, n in found["statements"].items():
        print(f"{n:7.2f}  {sql}")
    print("per step of FLOW:", found["by_step"])
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(found, indent=2, ensure_ascii=False))
