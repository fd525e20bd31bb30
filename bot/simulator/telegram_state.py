"""The emulated Telegram world: users, chats, messages, files, commands and updates."""

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .telegram_files import FileStore
from .telegram_limits import RateLimiter, RateLimits
from .telegram_models import EmuChat, EmuUser, SentMessage, bad_request, forbidden
from .telegram_updates import Pulse, UpdateQueue, WebhookSender

_FIRST_USER_ID = 7_000_000_001
_FIRST_GROUP_ID = -4_000_000_001
_FIRST_CHANNEL_ID = -1_002_000_000_001
_GLOBAL_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")


def now() -> int:
    """Return the current Unix time as Telegram dates are."""
    return int(time.time())


class EmulatorState:
    """Everything the emulated Bot API knows, shared by the HTTP methods and the driver."""

    def __init__(self, bot: EmuUser, limits: RateLimits | None):
        self.bot = bot
        self.users: dict[int, EmuUser] = {}
        self.chats: dict[int, EmuChat] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.sent: dict[int, list[SentMessage]] = {}
        self.files = FileStore()
        self.changed = Pulse()
        self.updates = UpdateQueue(self.changed)
        self.webhook_sender = WebhookSender(self.updates)
        self.limiter = RateLimiter(limits) if limits else None
        self.commands: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.open_queries: dict[str, dict[str, Any]] = {}
        self.answered_callbacks: list[dict[str, Any]] = []
        self.edits: list[SentMessage] = []  # each accepted edit, in order (the message as now)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_counts: Counter[str] = Counter()
        self.sent_hooks: list[Callable[[SentMessage], None]] = []
        self._message_ids: dict[int, int] = {}
        self._counters = Counter({"user": 0, "group": 0, "channel": 0, "query": 0})

    # --- people and chats -----------------------------------------------------------------

    def add_user(self, first_name: str, **fields: Any) -> EmuUser:
        """Create a user and their private chat."""
        user = EmuUser(id=self._next("user", _FIRST_USER_ID, 1), first_name=first_name, **fields)
        self.users[user.id] = user
        self.chats[user.id] = EmuChat(
            id=user.id,
            type="private",
            first_name=first_name,
            last_name=user.last_name,
            username=user.username,
        )
        return user

    def add_chat(self, kind: str, title: str, username: str | None) -> EmuChat:
        """Create a group, supergroup or channel."""
        if kind in ("channel", "supergroup"):
            chat_id = self._next("channel", _FIRST_CHANNEL_ID, -1)
        else:
            chat_id = self._next("group", _FIRST_GROUP_ID, -1)
        chat = EmuChat(id=chat_id, type=kind, title=title, username=username)
        self.chats[chat_id] = chat
        return chat

    def _next(self, counter: str, first: int, step: int) -> int:
        """Return the next id of a sequence."""
        value = first + step * self._counters[counter]
        self._counters[counter] += 1
        return value

    def user(self, user_id: int) -> EmuUser:
        """Return a known user or raise KeyError (a driver mistake, not an API error)."""
        if user_id not in self.users:
            raise KeyError(f"unknown emulated user {user_id}; create it with add_user()")
        return self.users[user_id]

    def known_chat(self, chat_id: int) -> EmuChat:
        """Return a known chat or raise KeyError (a driver mistake, not an API error)."""
        if chat_id not in self.chats:
            raise KeyError(f"unknown emulated chat {chat_id}")
        return self.chats[chat_id]

    def chat(self, ref: Any) -> EmuChat:
        """Resolve a chat_id parameter (int or "@username") or raise 400 chat not found."""
        if ref is None or ref == "":
            raise bad_request("chat_id is empty")
        if isinstance(ref, str) and ref.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == ref[1:].lower():
                    return chat
        elif isinstance(ref, int) and not isinstance(ref, bool) and ref in self.chats:
            return self.chats[ref]
        raise bad_request("chat not found")

    def check_reachable(self, chat: EmuChat) -> None:
        """Raise 403 when the bot may not write to this chat."""
        user = self.users.get(chat.id) if chat.type == "private" else None
        if user is not None and user.deactivated:
            raise forbidden("user is deactivated")
        if user is not None and user.blocked:
            raise forbidden("bot was blocked by the user")

    def acquire_send_slot(self, chat: EmuChat) -> None:
        """Apply the flood limits, if enabled, to one message to chat."""
        if self.limiter is not None:
            self.limiter.acquire(chat.id, chat.type in ("group", "supergroup"))

    # --- messages -------------------------------------------------------------------------

    def new_message(self, chat: EmuChat, sender: EmuUser | None) -> dict[str, Any]:
        """Return a new message skeleton with the chat's next message_id, stored."""
        message_id = self._message_ids.get(chat.id, 0) + 1
        self._message_ids[chat.id] = message_id
        message: dict[str, Any] = {"message_id": message_id, "date": now(), "chat": chat.to_dict()}
        if sender is not None:
            message["from"] = sender.to_dict()
        else:
            message["sender_chat"] = chat.to_dict()
        self.messages[(chat.id, message_id)] = message
        return message

    def message(self, chat_id: int, message_id: int | None) -> dict[str, Any] | None:
        """Return a stored message, if it exists and was not deleted."""
        return self.messages.get((chat_id, message_id or 0))

    def sent_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """Return the bot's SentMessage with this id, if any."""
        for sent in self.sent.get(chat_id, []):
            if sent.message_id == message_id:
                return sent
        return None

    def record_sent(self, sent: SentMessage) -> None:
        """Remember a message the bot sent and wake next_message() waiters."""
        self.sent.setdefault(sent.chat_id, []).append(sent)
        for hook in self.sent_hooks:
            hook(sent)
        self.changed.fire()

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Forget a message and mark the bot's copy deleted."""
        self.messages.pop((chat_id, message_id), None)
        sent = self.sent_message(chat_id, message_id)
        if sent is not None:
            sent.deleted = True
        self.changed.fire()

    def new_query_id(self) -> str:
        """Return a fresh callback query id."""
        self._counters["query"] += 1
        return str(4_000_000_000_000_000_000 + self._counters["query"])

    # --- commands -------------------------------------------------------------------------

    def scope_key(self, scope: Any) -> tuple[Any, ...]:
        """Return the storage key of a BotCommandScope (dict, JSON, type name or chat id)."""
        if scope is None or scope == "":
            return ("default",)
        if isinstance(scope, int) and not isinstance(scope, bool):
            return ("chat", self.chat(scope).id)
        if isinstance(scope, str):
            scope = {"type": scope}
        if not isinstance(scope, dict):
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in _GLOBAL_SCOPES:
            return (kind,)
        if kind in ("chat", "chat_administrators"):
            return (kind, self.chat(scope.get("chat_id")).id)
        if kind == "chat_member":
            return (kind, self.chat(scope.get("chat_id")).id, scope.get("user_id"))
        raise bad_request("wrong scope type specified")

    # --- block and unblock ----------------------------------------------------------------

    def set_blocked(self, user_id: int, blocked: bool) -> dict[str, Any] | None:
        """Block or unblock the bot for a user, emitting my_chat_member like Telegram."""
        user = self.user(user_id)
        if user.blocked == blocked:
            return None
        user.blocked = blocked
        bot = self.bot.to_dict()
        member, kicked = (
            {"status": "member", "user": bot},
            {"status": "kicked", "user": bot, "until_date": 0},
        )
        payload = {
            "chat": self.chats[user_id].to_dict(),
            "from": user.to_dict(),
            "date": now(),
            "old_chat_member": kicked if not blocked else member,
            "new_chat_member": kicked if blocked else member,
        }
        return self.updates.push("my_chat_member", payload)
