"""A small world for end-to-end tests: the emulator, the real bot, and people who chat.

Tests read like conversations: `await lan.says("/start")`, `await lan.taps("Đồng ý")`.
Each action waits until the bot has fully handled the update, then returns what the
person received in the meantime, exactly as the emulator recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.app import LoaXa
from bot.config import Commune, Settings
from bot.simulator import TelegramEmulator
from storage import Storage
from storage.models import Role

TOKEN = "123456:TEST-token-for-the-local-emulator"


@dataclass
class Person:
    """Someone chatting with the bot through the emulator."""

    world: World
    name: str
    id: int
    seen: int = 0
    received: list = field(default_factory=list)
    edited: list = field(default_factory=list)  # messages the last action edited in place
    _edits_seen: int = 0

    @property
    def chat_id(self) -> int:
        return self.id

    async def says(self, text: str) -> list:
        """Send a text (or a /command) and return the bot's answers."""
        await self.world.emu.send_text(self.id, text)
        return await self._answers()

    async def taps(self, label: str) -> list:
        """Press the newest button with this label, as a person would."""
        for message in reversed(self.world.emu.messages(self.id)):
            for text, data in message.buttons:
                if text == label and data:
                    await self.world.emu.press(self.id, message.message_id, data)
                    return await self._answers()
        raise AssertionError(f"{self.name} sees no button {label!r}; last: {self.last_text()!r}")

    async def presses(self, data: str, message_id: int | None = None) -> list:
        """Press a button with arbitrary (possibly forged) data."""
        messages = self.world.emu.messages(self.id)
        target = (
            message_id if message_id is not None else (messages[-1].message_id if messages else 1)
        )
        await self.world.emu.press(self.id, target, data)
        return await self._answers()

    async def sends_photo(self, data: bytes, caption: str | None = None) -> list:
        await self.world.emu.send_photo(self.id, data, caption=caption)
        return await self._answers()

    async def sends_document(self, data: bytes, name: str, mime: str | None = None) -> list:
        await self.world.emu.send_document(self.id, data, name, mime)
        return await self._answers()

    async def sends_sticker(self) -> list:
        await self.world.emu.send_sticker(self.id)
        return await self._answers()

    async def edits(self, message_id: int, text: str) -> list:
        await self.world.emu.edit_text(self.id, message_id, text)
        return await self._answers()

    async def _answers(self) -> list:
        await self.world.settle()
        messages = self.world.emu.messages(self.id)
        new, self.seen = messages[self.seen :], len(messages)
        self.received.extend(new)
        edits = self.world.emu.edits
        self.edited = []  # each message once, and not the new ones (edited as they came)
        for message in edits[self._edits_seen :]:
            if message.chat_id == self.id and all(message is not m for m in new + self.edited):
                self.edited.append(message)
        self._edits_seen = len(edits)
        return new

    def last_text(self) -> str:
        messages = self.world.emu.messages(self.id)
        return messages[-1].text if messages else ""

    def buttons(self) -> list[str]:
        """Labels of the buttons on the newest message that has any."""
        for message in reversed(self.world.emu.messages(self.id)):
            if message.buttons:
                return [text for text, _ in message.buttons]
        return []


class World:
    """The emulator plus one running bot over a real SQLite file."""

    def __init__(self, emu: TelegramEmulator, tmp_path: Path, commune: Commune) -> None:
        self.emu = emu
        self.db_path = tmp_path / "loaxa.db"
        self.commune = commune
        self.bot: LoaXa | None = None
        self.flood_limit = 1000  # tests type faster than people; test_flood sets it back
        self._sent_since_start = 0

    @property
    def settings(self) -> Settings:
        return Settings(
            telegram_token=TOKEN,
            telegram_api_url=self.emu.base_url,
            telegram_file_url=self.emu.file_url,
            db=self.db_path,
            flood_limit=self.flood_limit,
            allow_sample=True,  # the bundled sample commune: a test or a trial
            http_port=0,  # /healthz and /metrics on a free port: many bots run at once
            _env_file=None,
        )

    @property
    def store(self) -> Storage:
        assert self.bot is not None and self.bot.store is not None
        return self.bot.store

    @property
    def channel(self):
        return self.bot.channels[0]

    async def start(self) -> None:
        self.bot = LoaXa(self.settings, self.commune, poll_timeout=1, run_jobs=False)
        await self.bot.start()
        self._sent_since_start = self.emu.updates_sent if hasattr(self.emu, "updates_sent") else 0
        self._baseline = self._sent_since_start

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None

    async def restart(self) -> None:
        """Stop the bot as a deploy would and start it again on the same database."""
        await self.stop()
        await self.start()

    async def settle(self) -> None:
        """Wait until the bot has handled every update sent since it started."""
        pending = self.emu.updates_sent - self._baseline
        await self.channel.wait_handled(pending, timeout=10)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the outbox has nothing due left to send (delegates to the delivery)."""
        assert self.bot is not None and self.bot.delivery is not None
        await self.bot.delivery.drain(timeout)

    def resident(self, name: str) -> Person:
        user = self.emu.add_user(name)
        return Person(self, name, user.id)

    async def staff(self, name: str, role: Role) -> Person:
        person = self.resident(name)
        await self.store.staff.upsert("telegram", str(person.id), name, role)
        return person
