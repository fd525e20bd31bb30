"""The world of tests/world.py with a Zalo OA emulator beside the Telegram one.

Residents follow the commune's Official Account (`world.follower("Lan")`), staff stay on
Telegram (`await world.staff(...)`), one bot serves both. The OA posts signed events to the
bot's HTTP server; the bot answers with consultation messages, read back per follower.
Choices are numbered lists, answered with the number (`await lan.picks("Đồng ý")`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Commune, Settings
from bot.simulator import TelegramEmulator
from bot.simulator.zalo_oa import ZaloOaEmulator
from bot.simulator.zalo_oa_state import OaSent
from tests.world import TOKEN, World
from tests.zalo_world import free_port

WEBHOOK_PATH = "/zalo-oa/webhook"


@dataclass
class OaFollower:
    """A Zalo user who follows the commune's OA and writes to it."""

    world: ZaloOaWorld
    name: str
    id: str
    seen: int = 0
    received: list[OaSent] = field(default_factory=list)

    @property
    def oa(self) -> ZaloOaEmulator:
        return self.world.oa

    async def follows(self) -> list[OaSent]:
        await self.oa.follow(self.id)
        return await self._answers()

    async def unfollows(self) -> list[OaSent]:
        await self.oa.unfollow(self.id)
        return await self._answers()

    async def says(self, text: str) -> list[OaSent]:
        await self.oa.send_text(self.id, text)
        return await self._answers()

    async def picks(self, label: str) -> list[OaSent]:
        """Type the number shown beside `label` in the newest numbered list."""
        for message in reversed(self.oa.messages(self.id)):
            for number, shown in message.choices:
                if shown == label:
                    return await self.says(str(number))
            if message.choices:
                break
        raise AssertionError(f"{self.name} sees no choice {label!r}; last: {self.last_text()!r}")

    async def sends_image(self, data: bytes | str, caption: str = "") -> list[OaSent]:
        await self.oa.send_image(self.id, data, caption)
        return await self._answers()

    async def sends_location(
        self, latitude: float, longitude: float, place: str = ""
    ) -> list[OaSent]:
        await self.oa.send_location(self.id, latitude, longitude, place)
        return await self._answers()

    async def sends_sticker(self) -> list[OaSent]:
        await self.oa.send_sticker(self.id)
        return await self._answers()

    async def sends_audio(self, data: bytes) -> list[OaSent]:
        await self.oa.send_audio(self.id, data)
        return await self._answers()

    async def catch_up(self) -> list[OaSent]:
        """Return what arrived since the last look (pushes from the outbox)."""
        return await self._answers()

    async def _answers(self) -> list[OaSent]:
        await self.world.settle()
        messages = self.oa.messages(self.id)
        new, self.seen = messages[self.seen :], len(messages)
        self.received.extend(new)
        return new

    def last_text(self) -> str:
        last = self.oa.last_message(self.id)
        return last.text if last else ""

    def choices(self) -> list[str]:
        for message in reversed(self.oa.messages(self.id)):
            if message.choices:
                return [label for _, label in message.choices]
        return []


class ZaloOaWorld(World):
    """Both emulators and one bot: Telegram polling for staff, the OA's webhook for residents."""

    def __init__(
        self, emu: TelegramEmulator, oa: ZaloOaEmulator, tmp_path: Path, commune: Commune
    ) -> None:
        super().__init__(emu, tmp_path, commune)
        self.oa = oa
        self.port = free_port()
        self.seed_token = oa.mint_refresh_token()
        oa.webhook_url = f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"
        self._oa_baseline = 0

    @property
    def settings(self) -> Settings:
        state = self.oa.state
        return Settings(
            telegram_token=TOKEN,
            telegram_api_url=self.emu.base_url,
            telegram_file_url=self.emu.file_url,
            zalo_oa_app_id=state.app_id,
            zalo_oa_app_secret=state.app_secret,
            zalo_oa_secret_key=state.secret_key,
            zalo_oa_api_url=self.oa.url,
            zalo_oa_oauth_url=self.oa.url,
            zalo_media_hosts=self.oa.url,  # the emulator serves the files followers send
            zalo_oa_refresh_token=self.seed_token,
            http_host="127.0.0.1",
            http_port=self.port,
            db=self.db_path,
            flood_limit=self.flood_limit,
            allow_sample=True,
            _env_file=None,
        )

    @property
    def zalo_oa(self):
        return next(c for c in self.bot.channels if c.name == "zalo_oa")

    def _accepted(self) -> int:
        return sum(1 for d in self.oa.deliveries if d.status == 200)

    async def start(self) -> None:
        await super().start()
        self._oa_baseline = self._accepted()
        self.zalo_oa.window.clock = self.now  # the bot's window runs on the emulator's clock

    def now(self) -> datetime:
        """Return the emulator's time (moved forward by `oa.clock.advance`)."""
        return datetime.fromtimestamp(self.oa.clock.now(), UTC)

    async def settle(self) -> None:
        """Wait until the bot has handled every update of both apps it accepted since start."""
        await super().settle()
        await self.zalo_oa.wait_handled(self._accepted() - self._oa_baseline, timeout=10)

    def follower(self, name: str) -> OaFollower:
        """A Zalo user (not yet following the OA)."""
        return OaFollower(self, name, self.oa.add_user(name).id)
