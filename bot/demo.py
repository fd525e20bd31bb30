"""`loaxa demo`: the real bot against the built-in emulator, chatted with from the terminal."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.app import LoaXa
from bot.config import Commune, Settings
from bot.i18n import translator
from bot.simulator import TelegramEmulator
from storage.models import Role

DEMO_TOKEN = "100000:demo-token-for-the-built-in-emulator"


@dataclass
class Persona:
    name: str
    role: Role
    user_id: int = 0
    seen: int = 0


SCRIPT = (
    (0, "/start"),
    (0, "1"),
    (0, "xom 3"),
    (0, "1"),
    (0, "/help"),
    (1, "/thongke"),
)


class TerminalChat:
    """Types as one persona at a time and prints what the bot answers."""

    def __init__(self, app: LoaXa, emu: TelegramEmulator, personas: list[Persona]) -> None:
        self.app, self.emu, self.personas = app, emu, personas
        self.current = personas[0]
        self.t = translator(app.commune.language)
        self._baseline = emu.updates_sent

    async def say(self, text: str) -> None:
        """Send a line as the current persona; a bare number presses that button."""
        who = self.current
        print(f"\n[{who.name}] > {text}")
        buttons = self._last_buttons(who)
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            message_id, data = buttons[int(text) - 1]
            await self.emu.press(who.user_id, message_id, data)
        else:
            await self.emu.send_text(who.user_id, text)
        await self.app.channels[0].wait_handled(self.emu.updates_sent - self._baseline)
        self._print_new(who)

    def _last_buttons(self, who: Persona) -> list[tuple[int, str]]:
        for message in reversed(self.emu.messages(who.user_id)):
            if message.buttons:
                return [(message.message_id, data) for _, data in message.buttons if data]
        return []

    def _print_new(self, who: Persona) -> None:
        messages = self.emu.messages(who.user_id)
        for message in messages[who.seen :]:
            print("  🤖 " + message.text.replace("\n", "\n     "))
            for number, (label, _) in enumerate(message.buttons, 1):
                print(f"     [{number}] {label}")
        who.seen = len(messages)

    def switch(self, arg: str) -> None:
        if arg.isdigit() and 1 <= int(arg) <= len(self.personas):
            self.current = self.personas[int(arg) - 1]
            print(self.t("demo.now_as", name=self.current.name))
        else:
            self.list_personas()

    def list_personas(self) -> None:
        for number, persona in enumerate(self.personas, 1):
            print(f"  {number}. {persona.name} ({self.t(f'role.{persona.role}')})")
        print(self.t("demo.switch_hint"))

    async def interact(self) -> None:
        print(self.t("demo.intro"))
        self.list_personas()
        while True:
            try:
                line = await asyncio.to_thread(input, f"{self.current.name}> ")
            except EOFError:
                return
            line = line.strip()
            if line in (":q", ":quit", ":thoat"):
                return
            if line.startswith(":"):
                self.switch(line[1:].strip().removeprefix("doi").strip())
            elif line:
                await self.say(line)


async def run_demo(commune: Commune, *, script: bool = False, db_path: str | None = None) -> int:
    """Start the emulator and the bot, then chat (or play the scripted tour)."""
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="loaxa-demo-") as tmp:
        database = Path(db_path) if db_path else Path(tmp) / "demo.db"
        async with TelegramEmulator(token=DEMO_TOKEN) as emu:
            settings = Settings(
                telegram_token=DEMO_TOKEN,
                telegram_api_url=emu.base_url,
                telegram_file_url=emu.file_url,
                db=database,
                allow_sample=True,  # the bundled sample commune: a test or a trial
                http_port=0,  # the demo's own bot: its /healthz on any free port
                backup_dir=Path(tmp) / "backups",  # never beside a --db file the user named
                _env_file=None,
            )
            t = translator(commune.language)
            personas = [
                Persona(t("demo.resident_name"), Role.RESIDENT),
                Persona(t("demo.official_name"), Role.OFFICIAL),
                Persona(t("demo.leader_name"), Role.LEADER),
            ]
            async with LoaXa(settings, commune, poll_timeout=1) as app:
                for persona in personas:
                    persona.user_id = emu.add_user(persona.name).id
                    if persona.role is not Role.RESIDENT:
                        await app.store.staff.upsert(
                            "telegram", str(persona.user_id), persona.name, persona.role
                        )
                await app.refresh_command_menus()
                chat = TerminalChat(app, emu, personas)
                if script or not sys.stdin.isatty():
                    for index, line in SCRIPT:
                        chat.current = personas[index]
                        await chat.say(line)
                else:
                    await chat.interact()
    return 0
