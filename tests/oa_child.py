"""Run the bot with only the Zalo OA channel in a process of its own, until killed or told.

tests/test_zalo_oa_tokens.py kills it with SIGKILL right after a token refresh:

    LOAXA_ZALO_OA_APP_ID=... LOAXA_ZALO_OA_APP_SECRET=... LOAXA_ZALO_OA_SECRET_KEY=...
    LOAXA_ZALO_OA_API_URL=URL LOAXA_ZALO_OA_OAUTH_URL=URL LOAXA_ZALO_OA_REFRESH_TOKEN=...
        python tests/oa_child.py --db FILE

It prints "started" once the bot runs (the OA's tokens loaded, refreshed if need be, and
checked), then serves until a line "stop" (or end of file) arrives on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import LoaXa
from bot.config import Settings, load_commune
from bot.service import run_loop


async def main(args: argparse.Namespace) -> None:
    settings = Settings(db=Path(args.db), http_port=0, allow_sample=True, _env_file=None)
    commune, _ = load_commune(None)
    async with LoaXa(settings, commune, run_jobs=False):
        print("started", flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() not in ("stop", ""):
            pass
    print("stopped", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    run_loop(main(parser.parse_args()))
