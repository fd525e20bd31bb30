"""A local Telegram Bot API emulator for end-to-end tests and demos.

It is a real loopback HTTP server, so python-telegram-bot runs against it unchanged:
``ApplicationBuilder().token(T).base_url(emu.base_url).base_file_url(emu.file_url)``.
People are driven from Python (``await emu.send_text(user.id, "/start")``) and what the bot
did is read back (``await emu.next_message(user.id)``).
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from bot.simulator.server import LoopbackServer

from . import telegram_inbound as inbound
from .telegram_http import ApiServer
from .telegram_limits import FailurePlan, RateLimits
from .telegram_models import EmuUser, SentMessage
from .telegram_state import EmulatorState

logger = logging.getLogger(__name__)


class TelegramEmulator(LoopbackServer):
    """A loopback Telegram Bot API server with a Python API to play the people in it."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        rate_limit: RateLimits | bool | None = None,
        latency: float = 0.0,
        failure_rate: float = 0.0,
        failure_kinds: Iterable[str] = ("500",),
        seed: int | None = None,
        fail_get_updates: bool = False,
        bot_username: str = "emulator_bot",
        bot_name: str = "Emulator Bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        head = token.split(":", 1)[0]
        bot = EmuUser(
            id=int(head) if head.isdigit() else 1,
            first_name=bot_name,
            username=bot_username,
            is_bot=True,
        )
        limits = RateLimits() if rate_limit is True else (rate_limit or None)
        self._state = EmulatorState(bot, limits)
        failures = FailurePlan(failure_rate, failure_kinds, seed, fail_get_updates)
        self._server = ApiServer(self._state, token, latency, failures)
        super().__init__(host, port)
        self._cursors: dict[int, int] = {}

    def __repr__(self) -> str:
        where = self.url if self._runner else "not started"
        return (
            f"<TelegramEmulator @{self._state.bot.username} {where} "
            f"users={len(self._state.users)} pending_updates={len(self.pending_updates)}>"
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on host:port (port 0 picks a free port)."""
        await self.serve(
            self._server.make_app(), handler_cancellation=True, shutdown_timeout=1.0
        )
        logger.info("Telegram emulator listening on %s", self.url)

    async def stop(self) -> None:
        """Stop serving; pending long polls return empty."""
        self._state.updates.closing = True
        self._state.changed.fire()
        await self._state.webhook_sender.close()
        await self._close_server()



    @property
    def base_url(self) -> str:
        """Return the value for ApplicationBuilder.base_url (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """Return the value for ApplicationBuilder.base_file_url."""
        return f"{self.url}/file/bot"

    @property
    def failure_rate(self) -> float:
        """Return the share of calls that fail (settable, e.g. to start an outage mid-test)."""
        return self._server.failures.rate

    @failure_rate.setter
    def failure_rate(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"failure_rate must be within 0..1, got {rate}")
        self._server.failures.rate = rate

    @property
    def bot_user(self) -> EmuUser:
        """Return the bot's own user."""
        return self._state.bot

    # --- the world ------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        is_bot: bool = False,
    ) -> EmuUser:
        """Create a user; their private chat id equals user.id."""
        return self._state.add_user(
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
        )

    def add_group(self, title: str, username: str | None = None, supergroup: bool = False) -> int:
        """Create a group (or supergroup) and return its negative chat id."""
        return self._state.add_chat("supergroup" if supergroup else "group", title, username).id

    def add_channel(self, title: str, username: str | None = None) -> int:
        """Create a channel and return its chat id."""
        return self._state.add_chat("channel", title, username).id

    def add_member(self, chat_id: int, user: EmuUser | int) -> None:
        """Make a user a member of a group."""
        user_id = user.id if isinstance(user, EmuUser) else user
        self._state.user(user_id)
        self._state.known_chat(chat_id).members.add(user_id)

    def user(self, user_id: int) -> EmuUser:
        """Return a user by id."""
        return self._state.user(user_id)

    def block(self, user_id: int) -> None:
        """Make the user block the bot (sends 403 from now on; queues my_chat_member)."""
        self._state.set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        """Make the user unblock the bot (queues my_chat_member)."""
        self._state.set_blocked(user_id, False)

    def deactivate(self, user_id: int) -> None:
        """Delete the user's account: sending to them answers 403 "user is deactivated"."""
        self._state.user(user_id).deactivated = True

    # --- what people do -------------------------------------------------------------------

    async def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """Send a text message as the user; /commands get bot_command entities."""
        return await _settle(
            inbound.user_message(
                self._state, user_id, chat_id, inbound.text_content(text), reply_to
            )
        )

    async def press(
        self, user_id: int, message_id: int, data: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Tap an inline button: queue a callback_query with data (forging is allowed)."""
        return await _settle(inbound.press_button(self._state, user_id, message_id, data, chat_id))

    async def tap(
        self,
        user_id: int,
        label: str,
        chat_id: int | None = None,
        message: SentMessage | None = None,
    ) -> dict[str, Any]:
        """Tap the button labelled label on message (default: the latest that has it)."""
        chat = user_id if chat_id is None else chat_id
        message = message or next(
            (m for m in reversed(self.messages(chat)) if label in dict(m.buttons)), None
        )
        if message is None:
            raise KeyError(f"no bot message in chat {chat} has a button {label!r}")
        return await self.press(user_id, message.message_id, message.button_data(label), chat_id)

    async def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Send a photo as the user; the bytes are downloadable through getFile."""
        content = inbound.photo_content(self._state, data, caption)
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Send a document as the user."""
        content = inbound.document_content(self._state, data, file_name, mime_type, caption)
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Share a location as the user."""
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact as the user (by default their own name)."""
        content = inbound.contact_content(
            self._state.user(user_id), phone_number, first_name, last_name, contact_user_id
        )
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def send_sticker(
        self, user_id: int, emoji: str = "👍", chat_id: int | None = None
    ) -> dict[str, Any]:
        """Send a sticker as the user."""
        content = inbound.sticker_content(self._state, emoji)
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def send_voice(
        self, user_id: int, data: bytes | None = None, duration: int = 1, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Send a voice note as the user."""
        content = inbound.voice_content(self._state, data, duration)
        return await _settle(inbound.user_message(self._state, user_id, chat_id, content))

    async def edit_text(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Edit the user's own text message; queues edited_message."""
        return await _settle(
            inbound.edit_user_text(self._state, user_id, message_id, text, chat_id)
        )

    async def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        """Post text in a channel; queues channel_post."""
        return await _settle(inbound.post_in_channel(self._state, chat_id, text))

    # --- what the bot did -----------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Return the bot's messages in a chat, in order, as edited, without deleted ones."""
        return [m for m in self._state.sent.get(chat_id, []) if not m.deleted]

    def last_message(self, chat_id: int) -> SentMessage | None:
        """Return the bot's latest visible message in a chat, if any."""
        visible = self.messages(chat_id)
        return visible[-1] if visible else None

    async def next_message(self, chat_id: int, timeout: float = 5.0) -> SentMessage:
        """Wait for the next bot message to chat_id not yet returned by this method."""
        cursor = self._cursors.get(chat_id, 0)
        try:
            await self._state.changed.wait_until(
                lambda: len(self._state.sent.get(chat_id, [])) > cursor, timeout
            )
        except TimeoutError:
            last = self.last_message(chat_id)
            raise TimeoutError(
                f"the bot sent no new message to chat {chat_id} within {timeout}s "
                f"({cursor} seen before; latest text: {last.text if last else None!r})"
            ) from None
        self._cursors[chat_id] = cursor + 1
        return self._state.sent[chat_id][cursor]

    def on_sent(self, hook: Callable[[SentMessage], None]) -> None:
        """Call hook(message) as each bot message is recorded (benchmarks time replies)."""
        self._state.sent_hooks.append(hook)

    async def wait_until(self, ready: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait until ready() is true, re-checking on every change in the emulator."""
        try:
            await self._state.changed.wait_until(ready, timeout)
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s") from None

    def commands(
        self, scope: str | int | dict[str, Any] = "default", language_code: str = ""
    ) -> list[dict[str, str]]:
        """Return the commands stored for exactly this scope ("default", a type, a chat id)."""
        key = (*self._state.scope_key(scope), language_code)
        return list(self._state.commands.get(key, []))

    def visible_commands(self, chat_id: int, language_code: str = "") -> list[dict[str, str]]:
        """Return the menu a person in chat_id sees, resolving scopes as Telegram does."""
        chat = self._state.known_chat(chat_id)
        broad = ("all_private_chats",) if chat.type == "private" else ("all_group_chats",)
        for scope in (("chat", chat.id), broad, ("default",)):
            for language in dict.fromkeys((language_code, "")):
                found = self._state.commands.get((*scope, language))
                if found:
                    return list(found)
        return []

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        """Return the menu button set for a chat (None = the default one)."""
        return self._state.menu_buttons.get(chat_id)

    def file_bytes(self, file_id: str) -> bytes | None:
        """Return the stored bytes of a file, if it was uploaded."""
        stored = self._state.files.get(file_id)
        return stored.data if stored else None

    @property
    def answered_callbacks(self) -> list[dict[str, Any]]:
        """Return the answerCallbackQuery calls accepted so far."""
        return self._state.answered_callbacks

    @property
    def edits(self) -> list[SentMessage]:
        """Return the bot's messages each accepted edit changed, in order, as they are now."""
        return self._state.edits

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Return every authenticated call as (method, params), failures included."""
        return self._state.calls

    @property
    def call_counts(self) -> Counter[str]:
        """Return how many times each method was called."""
        return self._state.call_counts

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates not yet confirmed (getUpdates) or delivered (webhook)."""
        return list(self._state.updates.pending)

    @property
    def updates_sent(self) -> int:
        """Return how many updates were queued for the bot (allowed_updates filter passed)."""
        return self._state.updates.queued

    @property
    def webhook_deliveries(self) -> list[tuple[int, int | str]]:
        """Return (update_id, HTTP status or error name) per webhook POST attempt."""
        return self._state.webhook_sender.deliveries


async def _settle(update: dict[str, Any]) -> dict[str, Any]:
    """Yield once so waiting long polls see the update, then return it."""
    await asyncio.sleep(0)
    return update
