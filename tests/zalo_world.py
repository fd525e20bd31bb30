"""The world of tests/world.py with a Zalo emulator beside the Telegram one.

Residents chat on Zalo (`world.zalo_resident("Lan")`), staff stay on Telegram
(`await world.staff(...)`), one bot serves both. Zalo runs in webhook mode unless the world
is built with `webhook=False`. Zalo has no buttons: people answer a numbered list with the
number (`await lan.picks("Đồng ý")` types the number shown beside it) or with words.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Commune, Settings
from bot.simulator import TelegramEmulator
from bot.simulator.zalo import ZaloEmulator
from bot.simulator.zalo_state import ZaloSent
from tests.world import TOKEN, World

ZALO_TOKEN = "1234567890:zalo-TEST-token-for-the-local-emulator"
SECRET = "zalo-webhook-secret-for-tests_0123456789"
WEBHOOK_PATH = "/hook/zalo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ZaloPerson:
    """A resident chatting with the bot through the Zalo emulator."""

    world: ZaloWorld
    name: str
    id: str
    seen: int = 0
    received: list[ZaloSent] = field(default_factory=list)

    @property
    def chat_id(self) -> str:
        return self.id

    async def says(self, text: str) -> list[ZaloSent]:
        """Type a text (or a /command) and return the bot's answers."""
        await self.world.zemu.send_text(self.id, text)
        return await self._answers()

    async def picks(self, label: str) -> list[ZaloSent]:
        """Type the number shown beside `label` in the newest numbered list."""
        return await self.says(str(self.number_of(label)))

    async def sends_image(self, data: bytes | str, caption: str | None = None) -> list[ZaloSent]:
        await self.world.zemu.send_image(self.id, data, caption=caption)
        return await self._answers()

    async def sends_sticker(self) -> list[ZaloSent]:
        await self.world.zemu.send_sticker(self.id)
        return await self._answers()

    async def _answers(self) -> list[ZaloSent]:
        await self.world.settle()
        messages = self.world.zemu.messages(self.id)
        new, self.seen = messages[self.seen :], len(messages)
        self.received.extend(new)
        return new

    async def catch_up(self) -> list[ZaloSent]:
        """Return what arrived since the last look (pushes from the outbox)."""
        return await self._answers()

    def last_text(self) -> str:
        last = self.world.zemu.last_message(self.id)
        return last.text if last else ""

    def choices(self) -> list[str]:
        """The labels of the newest numbered list, in order."""
        for message in reversed(self.world.zemu.messages(self.id)):
            if message.choices:
                return [label for _, label in message.choices]
        return []

    def number_of(self, label: str) -> int:
        for message in reversed(self.world.zemu.messages(self.id)):
            for number, shown in message.choices:
                if shown == label:
                    return number
            if message.choices:
                break
        raise AssertionError(f"{self.name} sees no choice {label!r}; last: {self.last_text()!r}")


class ZaloWorld(World):
    """Both emulators and one bot: Telegram polling for staff, Zalo for residents."""

    def __init__(
        self,
        emu: TelegramEmulator,
        zemu: ZaloEmulator,
        tmp_path: Path,
        commune: Commune,
        *,
        webhook: bool = True,
    ) -> None:
        super().__init__(emu, tmp_path, commune)
        self.zemu = zemu
        self.port = free_port()
        self.webhook = webhook
        self._zalo_baseline = 0
        self.media_hosts = ""  # LOAXA_ZALO_MEDIA_HOSTS; empty: the emulator's origin

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @property
    def settings(self) -> Settings:
        hook = {"zalo_webhook_url": self.webhook_url, "zalo_webhook_secret": SECRET}
        return Settings(
            telegram_token=TOKEN,
            telegram_api_url=self.emu.base_url,
            telegram_file_url=self.emu.file_url,
            zalo_token=ZALO_TOKEN,
            zalo_api_url=self.zemu.base_url,
            zalo_media_hosts=self.media_hosts or self.zemu.url,  # the emulator serves photos
            http_host="127.0.0.1",
            http_port=self.port,
            db=self.db_path,
            flood_limit=self.flood_limit,
            allow_sample=True,  # the bundled sample commune: a test or a trial
            _env_file=None,
            **(hook if self.webhook else {}),
        )

    @property
    def zalo(self):
        return next(c for c in self.bot.channels if c.name == "zalo")

    async def start(self) -> None:
        await super().start()
        self._zalo_baseline = self.zemu.updates_sent

    async def settle(self) -> None:
        """Wait until the bot has handled every update of both apps sent since it started."""
        await super().settle()
        await self.zalo.wait_handled(self.zemu.updates_sent - self._zalo_baseline, timeout=10)

    def zalo_resident(self, name: str) -> ZaloPerson:
        return ZaloPerson(self, name, self.zemu.add_user(name).id)


def numbered_lines(text: str) -> list[str]:
    """The "N. label" lines of a text, as shown."""
    return [line for line in text.splitlines() if re.match(r"^\d{1,3}\. ", line)]
