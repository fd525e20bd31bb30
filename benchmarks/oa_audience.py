"""Zalo OA followers among a soak's recipients: the OA emulator, its followers, the child's env.

The crash and fault soaks put some of a broadcast's recipients on the commune's Official
Account. The bot child (tests/bot_child.py) then runs the OA channel beside Telegram, with
the settings `env()` gives: its first start trades the seed refresh token for a pair and
stores it; every restart after a kill -9 must find that pair again (a lost one would lock
the commune out, and the soak would stop delivering to OA followers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.messages import Reply
from bot.simulator.zalo_oa import ZaloOaEmulator
from storage.outbox import Push


class OaAudience:
    """An OA emulator with `count` followers who all interacted just now (inside the window)."""

    def __init__(self, count: int, seed: int = 1) -> None:
        self.count = count
        self.oa = ZaloOaEmulator(seed=seed)
        self.followers: list[str] = []
        self._seed_token = ""

    async def __aenter__(self) -> OaAudience:
        await self.oa.start()
        for n in range(self.count):
            user = self.oa.add_user(f"Người theo dõi {n}")
            await self.oa.follow(user.id)  # no webhook set: only the emulator's state moves
            self.followers.append(user.id)
        self._seed_token = self.oa.mint_refresh_token()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.oa.stop()

    def env(self) -> dict[str, str]:
        """Return the settings that turn the bot's OA channel on against this emulator."""
        if not self.count:
            return {}
        return {
            **self.oa.bot_env(),
            "LOAXA_ZALO_OA_REFRESH_TOKEN": self._seed_token,
        }

    def pushes(self, text: str, source: str) -> list[Push]:
        return [Push("zalo_oa", f, Reply(text), "broadcast", source) for f in self.followers]

    async def interacted(self, store) -> None:
        """Tell the bot's database the followers wrote just now, as its webhook would have:
        a push outside Zalo's window is held for the resident's next message, not sent."""
        now = datetime.now(UTC)
        for follower in self.followers:
            await store.oa_window.touch(follower, now)

    def sent(self) -> int:
        """How many consultation messages the OA has sent in all."""
        return sum(len(self.oa.messages(f)) for f in self.followers)

    def received(self, text: str) -> dict[str, int]:
        """How many times each follower got a message containing `text`."""
        return {f: sum(text in m.text for m in self.oa.messages(f)) for f in self.followers}

    async def wait_with(self, other, ready: Callable[[], object], timeout: float) -> None:
        """Wait until `ready()`, woken by this OA emulator or by `other` (the Telegram one)."""
        waits = [
            asyncio.create_task(emulator.wait_until(ready, timeout=timeout))
            for emulator in (other, self.oa)
        ]
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        done.pop().result()

    @property
    def refreshes(self) -> int:
        """How many times the bot traded a refresh token (once per run at most expected)."""
        return self.oa.state.tokens.refreshes
