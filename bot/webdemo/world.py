"""The demo world: the Telegram emulator, the real bot on a seeded database, and personas.

A persona is an emulator user the page speaks as. What the bot sent to their chat is read
back from the emulator; what the persona did (texts, photos, locations, button presses) is
kept here, so the page can show both sides of the conversation in order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from bot.app import LoaXa
from bot.config import Commune, QuietHours, Settings
from bot.i18n import translator
from bot.simulator import SentMessage, TelegramEmulator
from bot.simulator.telegram_models import ApiError
from bot.webdemo.oa_phone import OA_CHANNEL, OaPhone
from bot.webdemo.seed import CHANNEL, DEMO_LOCATION, SeededPerson, SeedResult, seed
from handlers.onboarding import SUBSCRIPTION_PLANS
from storage import Storage
from storage.models import ResidentStatus, Role

log = logging.getLogger(__name__)

DEMO_TOKEN = "100000:demo-token-for-the-built-in-emulator"
NAME_LIMIT = 40
HANDLED_TIMEOUT = 15.0
NO_QUIET_HOURS = QuietHours(start=time(0, 0), end=time(0, 0))  # an empty window


class DemoError(ValueError):
    """A request the demo cannot do; `code` names it for the page (and the catalog)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Persona:
    """Someone the page speaks as, and what they did in their chat."""

    id: str
    name: str
    role: Role
    hamlet: str | None = None
    registered: bool = True
    done: list[dict[str, Any]] = field(default_factory=list)
    channel: str = CHANNEL  # or OA_CHANNEL: a follower of the commune's Zalo OA

    @property
    def on_oa(self) -> bool:
        return self.channel == OA_CHANNEL

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "hamlet": self.hamlet,
            "registered": self.registered,
            "channel": self.channel,
        }


@dataclass(frozen=True, slots=True)
class StoredFile:
    name: str
    mime: str


def _image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


class DemoWorld:
    """The emulator and one running LoaXa over a fresh, seeded demo database."""

    def __init__(self, commune: Commune, db_path: Path, *, seeded: bool = True) -> None:
        # No quiet hours in the demo: a campaign or digest fired at night shows at once.
        self.commune = commune.model_copy(update={"quiet_hours": NO_QUIET_HOURS})
        self.db_path = db_path
        self.seeded = seeded
        self.emu = TelegramEmulator(token=DEMO_TOKEN, bot_name="Loa Xã", bot_username="loaxa_bot")
        self.oa = OaPhone()  # the commune's Zalo OA, for follower personas
        self.app: LoaXa | None = None
        self.personas: dict[str, Persona] = {}
        self.seed_result = SeedResult()
        self._files: dict[str, StoredFile] = {}
        self._baseline = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the emulator, seed the database, then start the bot on it."""
        await self.emu.start()
        try:
            await self.oa.start()
            if self.seeded:
                await self._seed()
            settings = Settings(
                telegram_token=DEMO_TOKEN,
                telegram_api_url=self.emu.base_url,
                telegram_file_url=self.emu.file_url,
                db=self.db_path,
                # The emulator only: never a real service, whatever the environment says.
                telegram_webhook_url=None,
                zalo_token=None,
                zalo_webhook_url=None,
                # Pushes are paced as on Telegram, only faster per chat, so a demo never waits.
                telegram_per_chat_per_second=20.0,
                flood_limit=200,
                allow_sample=True,  # the bundled sample commune: a test or a trial
                _env_file=None,
                **self.oa.settings(),  # the OA's webhook: on the bot's HTTP server, a free port
            )
            self.app = LoaXa(settings, self.commune, poll_timeout=1, run_jobs=False, demo=True)
            await self.app.start()
            self._baseline = self.emu.updates_sent
            if self.seed_result.oa_follower:
                await self.add_follower(self.seed_result.oa_follower)
        except BaseException:
            await self.stop()
            raise

    async def _seed(self) -> None:
        store = await Storage.open(self.db_path)
        try:
            self.seed_result = await seed(store, self.commune, self._add_user)
        finally:
            await store.close()
        for person in self.seed_result.people:
            self.personas[person.user_id] = _persona_of(person)

    def _add_user(self, name: str) -> str:
        return str(self.emu.add_user(name, language_code=self.commune.language).id)

    async def stop(self) -> None:
        """Stop the bot, then the emulator."""
        if self.app is not None:
            await self.app.stop()
            self.app = None
        await self.oa.stop()
        await self.emu.stop()

    async def __aenter__(self) -> DemoWorld:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def telegram(self):
        """The bot's Telegram channel (the one the emulator plays)."""
        assert self.app is not None
        return next(c for c in self.app.channels if c.name == CHANNEL)

    @property
    def store(self) -> Storage:
        assert self.app is not None and self.app.store is not None
        return self.app.store

    # --- personas -------------------------------------------------------------------------

    def persona(self, persona_id: str) -> Persona:
        """Return a persona or raise DemoError("unknown_persona")."""
        persona = self.personas.get(str(persona_id))
        if persona is None:
            raise DemoError("unknown_persona")
        return persona

    async def add_persona(self, name: str, role: str, hamlet: str | None = None) -> Persona:
        """Create a persona: staff are put on the staff list; a resident with a hamlet is
        registered as if onboarded, one without starts as a newcomer."""
        name = " ".join((name or "").split())
        if not 1 <= len(name) <= NAME_LIMIT:
            raise DemoError("bad_name")
        try:
            role_ = Role(role)
        except ValueError:
            raise DemoError("bad_role") from None
        if hamlet and hamlet not in self.commune.hamlets:
            raise DemoError("bad_hamlet")
        user_id = self._add_user(name)
        persona = Persona(user_id, name, role_, hamlet or None, registered=True)
        if role_ is not Role.RESIDENT:
            await self.store.staff.upsert(CHANNEL, user_id, name, role_, hamlet=persona.hamlet)
            await self.app.refresh_command_menus()
        elif hamlet:
            resident = await self.store.residents.register(
                CHANNEL, user_id, user_id, name, self.commune.language
            )
            await self.store.residents.set_hamlet(resident.id, hamlet)
            await self.store.residents.set_subscriptions(resident.id, SUBSCRIPTION_PLANS["all"])
        else:
            persona.registered = False
        self.personas[user_id] = persona
        return persona

    async def refresh(self, persona_id: str) -> Persona:
        """Return a persona with their state read again from the bot's storage: a resident
        who signed up in the chat is registered, in the hamlet they chose; one who deleted
        their data is a newcomer again."""
        persona = self.persona(persona_id)
        if persona.role is Role.RESIDENT and self.app is not None:
            resident = await self.store.residents.get_by_identity(persona.channel, persona.id)
            signed_up = (
                resident is not None
                and resident.status is not ResidentStatus.DELETED
                and resident.hamlet is not None
            )
            persona.registered = signed_up
            persona.hamlet = resident.hamlet if signed_up else None
        return persona

    async def add_follower(self, name: str) -> Persona:
        """Create a Zalo user who follows the commune's OA (the bot greets them)."""
        user_id = self.oa.add_follower(name)
        persona = Persona(user_id, name, Role.RESIDENT, registered=False, channel=OA_CHANNEL)
        self.personas[user_id] = persona
        at, t = await self.oa.follow(user_id), translator(self.commune.language)
        persona.done.append({"kind": "press", "order": at - 0.5, "text": t("webdemo.oa_follow")})
        await self._settle()
        return persona

    # --- what personas do -----------------------------------------------------------------

    async def send_text(self, persona_id: str, text: str) -> None:
        """Send a text (or a /command) as the persona and wait until the bot handled it."""
        persona = self.persona(persona_id)
        text = (text or "").strip()
        if not text:
            raise DemoError("empty_text")
        if persona.on_oa:
            at = await self.oa.send_text(persona.id, text[:2000])
            return await self._did_on_oa(persona, at, text=text[:2000])
        update = await self.emu.send_text(int(persona.id), text[:4096])
        self._remember(persona, update, text=text[:4096])
        await self._settle()

    async def send_photo(self, persona_id: str, data: bytes, caption: str | None = None) -> None:
        """Send a photo as the persona."""
        persona = self.persona(persona_id)
        if not data:
            raise DemoError("no_photo")
        if persona.on_oa:
            at, name = await self.oa.send_photo(persona.id, data, caption or "")
            photo = {"url": f"/api/files/oa-in:{name}"}
            return await self._did_on_oa(persona, at, text=caption or "", photo=photo)
        try:
            update = await self.emu.send_photo(int(persona.id), data, caption=caption or None)
        except ApiError as exc:  # the emulator refuses photos over Telegram's 10 MB
            raise DemoError("photo_too_big" if exc.code == 413 else "bad_request") from None
        photo = update["message"]["photo"][-1]
        self._files[photo["file_id"]] = StoredFile("photo", _image_mime(data))
        self._remember(persona, update, text=caption or "", photo=_photo_view(photo))
        await self._settle()

    async def send_location(
        self, persona_id: str, latitude: float | None = None, longitude: float | None = None
    ) -> None:
        """Share a location as the persona (the fixed demo point by default)."""
        persona = self.persona(persona_id)
        lat = DEMO_LOCATION[0] if latitude is None else float(latitude)
        lon = DEMO_LOCATION[1] if longitude is None else float(longitude)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DemoError("bad_request")
        if persona.on_oa:
            at = await self.oa.send_location(persona.id, lat, lon)
            where = {"latitude": lat, "longitude": lon}
            return await self._did_on_oa(persona, at, location=where)
        update = await self.emu.send_location(int(persona.id), lat, lon)
        self._remember(persona, update, location={"latitude": lat, "longitude": lon})
        await self._settle()

    async def press(self, persona_id: str, message_id: int, data: str) -> None:
        """Tap a button of a bot message in the persona's chat."""
        persona = self.persona(persona_id)
        chat = self.emu.messages(int(persona.id))
        target = next((m for m in chat if m.message_id == message_id), None)
        label = next((text for text, d in target.buttons if d == data), None) if target else None
        if label is None:
            raise DemoError("unknown_button")
        last = chat[-1].message_id if chat else 0
        presses = sum(1 for d in persona.done if d["kind"] == "press")
        persona.done.append(
            {"kind": "press", "order": last + 0.5 + presses / 10_000, "text": label}
        )
        await self.emu.press(int(persona.id), message_id, data)
        await self._settle()

    async def _did_on_oa(self, persona: Persona, at_ms: int, **content: Any) -> None:
        """Keep what an OA follower did (ordered by the OA's clock), then let the bot answer."""
        entry = {"kind": "message", "order": at_ms - 0.5, "date": at_ms // 1000, **content}
        persona.done.append(entry)
        await self._settle()

    def _remember(self, persona: Persona, update: dict[str, Any], **content: Any) -> None:
        message = update["message"]
        persona.done.append(
            {"kind": "message", "order": message["message_id"], "date": message["date"], **content}
        )

    async def _settle(self) -> None:
        """Wait until the bot has handled every update so far (pushes follow on their own)."""
        assert self.app is not None
        try:
            await self.telegram.wait_handled(
                self.emu.updates_sent - self._baseline, timeout=HANDLED_TIMEOUT
            )
            oa = next(c for c in self.app.channels if c.name == OA_CHANNEL)
            await oa.wait_handled(self.oa.accepted(), timeout=HANDLED_TIMEOUT)
        except TimeoutError:
            log.warning("the bot has not handled every demo update within %s s", HANDLED_TIMEOUT)

    # --- what the page shows --------------------------------------------------------------

    def chat(self, persona_id: str) -> list[dict[str, Any]]:
        """Return the persona's chat, oldest first: the bot's messages and their own."""
        persona = self.persona(persona_id)
        if persona.on_oa:
            entries = self.oa.bot_views(persona.id)
        else:
            entries = [self._bot_view(m) for m in self.emu.messages(int(persona.id))]
        for done in persona.done:
            entries.append({"from": "press" if done["kind"] == "press" else "me", **done})
        entries.sort(key=lambda e: e["order"])
        return entries

    def version(self, persona_id: str) -> str:
        """Return a fingerprint of the persona's chat, which changes when anything in it does."""
        body = json.dumps(self.chat(persona_id), sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(body.encode()).hexdigest()[:16]

    async def wait_for_change(self, persona_id: str, since: str, timeout: float) -> None:
        """Wait until the persona's chat differs from the fingerprint `since`, or time out."""
        wait = self.oa.wait_until if self.persona(persona_id).on_oa else self.emu.wait_until
        with suppress(TimeoutError):
            await wait(lambda: self.version(persona_id) != since, timeout)

    def commands(self, persona_id: str) -> list[dict[str, str]]:
        """Return the command menu Telegram shows this persona."""
        persona = self.persona(persona_id)
        return [] if persona.on_oa else self.emu.visible_commands(int(persona.id))

    def _bot_view(self, message: SentMessage) -> dict[str, Any]:
        view: dict[str, Any] = {
            "from": "bot",
            "order": message.message_id,
            "message_id": message.message_id,
            "date": message.date,
            "text": message.text if message.text is not None else (message.caption or ""),
            "entities": message.entities if message.text is not None else message.caption_entities,
        }
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        if rows:
            view["buttons"] = [
                [
                    {"text": b.get("text", ""), "data": b.get("callback_data"), "url": b.get("url")}
                    for b in row
                ]
                for row in rows
            ]
        if message.photo:
            biggest = message.photo[-1]
            if biggest["file_id"] not in self._files:
                data = self.emu.file_bytes(biggest["file_id"]) or b""
                self._files[biggest["file_id"]] = StoredFile("photo", _image_mime(data))
            view["photo"] = _photo_view(biggest)
        if message.document:
            doc = message.document
            name = doc.get("file_name") or "document"
            mime = doc.get("mime_type") or "application/octet-stream"
            self._files.setdefault(doc["file_id"], StoredFile(name, mime))
            view["document"] = {
                "url": f"/api/files/{doc['file_id']}",
                "name": name,
                "size": doc.get("file_size"),
            }
        if message.location:
            view["location"] = {
                "latitude": message.location.get("latitude"),
                "longitude": message.location.get("longitude"),
            }
        return view

    def file(self, file_id: str) -> tuple[bytes, StoredFile] | None:
        """Return a file the bot or a persona sent, with its name and type, if known."""
        if file_id.startswith("oa-"):  # an OA upload, or a photo an OA follower sent
            found = self.oa.file(file_id)
            return None if found is None else (found[0], StoredFile(found[1], found[2]))
        data = self.emu.file_bytes(file_id)
        if data is None:
            return None
        return data, self._files.get(file_id) or StoredFile("file", "application/octet-stream")


def _photo_view(photo: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"/api/files/{photo['file_id']}",
        "width": photo.get("width") or None,
        "height": photo.get("height") or None,
    }


def _persona_of(person: SeededPerson) -> Persona:
    return Persona(person.user_id, person.name, person.role, person.hamlet, person.registered)
