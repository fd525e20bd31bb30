"""The Zalo emulator's world and its Bot API methods (shared/reference/zalo-bot-api.md).

Every answer is `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`;
getUpdates hands out ONE update per call and answers 408 when none arrives in time.
"""

import contextlib
import logging
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .telegram_models import ApiError
from .telegram_updates import Pulse

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
POLL_CAP = 50.0  # seconds: the longest getUpdates wait the emulator grants
_NUMBERED = re.compile(r"^(\d{1,3})\. (.+)$")


@dataclass
class ZaloUser:
    """A Zalo user; their private chat id equals their id (a hex string)."""

    id: str
    display_name: str
    blocked: bool = False


@dataclass
class ZaloSent:
    """Something the bot sent to a chat."""

    message_id: str
    chat_id: str
    kind: str  # "text" | "photo" | "sticker"
    text: str = ""  # the text, or a photo's caption
    photo: str | None = None  # the photo URL of sendPhoto
    date: int = 0  # milliseconds, as Zalo counts

    @property
    def choices(self) -> list[tuple[int, str]]:
        """Read the numbered list in the text ("1. Gửi phản ánh") as (number, label) pairs."""
        found = []
        for line in self.text.splitlines():
            match = _NUMBERED.match(line.strip())
            if match:
                found.append((int(match.group(1)), match.group(2)))
        return found


@dataclass
class RateLimit:
    """Refuse sends over these rates with `error_code`: overall per rolling second, and a
    minimum interval between two sends to one chat."""

    per_second: float = 5.0
    per_chat_per_second: float | None = 1.0
    error_code: int = 429
    retry_after: float | None = 1.0
    _sent: deque = field(default_factory=deque, repr=False)
    _last: dict = field(default_factory=dict, repr=False)

    def check(self, chat_id: str, now: float) -> None:
        """Count a send to chat_id now, or raise the rate-limit error."""
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        rate = self.per_chat_per_second
        too_soon = rate and now - self._last.get(chat_id, float("-inf")) < 1.0 / rate
        if len(self._sent) >= self.per_second or too_soon:
            raise ApiError(self.error_code, "Too many requests", self.retry_after)
        self._sent.append(now)
        self._last[chat_id] = now


class ZaloState:
    """Users, what the bot sent, pending updates, the webhook, and every call made."""

    def __init__(self, token: str, bot_name: str, seed: int | None) -> None:
        self.token = token
        self.rng = random.Random(seed)
        self.bot = {
            "id": self.new_id(),
            "account_name": bot_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.users: dict[str, ZaloUser] = {}
        self.sent: dict[str, list[ZaloSent]] = {}
        self.pending: deque[dict[str, Any]] = deque()
        self.files: dict[str, tuple[bytes, str]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        self.wrap_webhook = True  # POST {"ok": true, "result": update}, else the bare update
        self.deliveries: list[tuple[str, int | str]] = []  # (message_id, HTTP status or error)
        self.updates_sent = 0
        self.rate_limit: RateLimit | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_counts: Counter[str] = Counter()
        self.changed = Pulse()
        self.closing = False
        self._session: aiohttp.ClientSession | None = None

    def new_id(self) -> str:
        """Return a fresh 20-digit hex id, the shape of Zalo's ids."""
        return f"{self.rng.getrandbits(80):020x}"

    def user(self, user_id: str) -> ZaloUser:
        if user_id not in self.users:
            raise KeyError(f"no Zalo user {user_id!r} in the emulator")
        return self.users[user_id]

    # --- updates towards the bot -------------------------------------------------------------

    def message_update(self, user_id: str, event: str, **content: Any) -> dict[str, Any]:
        """Build an update as Zalo sends it, from a user in their private chat."""
        user = self.user(user_id)
        message = {
            "message_id": self.new_id(),
            "date": int(time.time() * 1000),
            "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
            "chat": {"id": user.id, "chat_type": "PRIVATE"},
            **content,
        }
        return {"event_name": event, "message": message}

    async def dispatch(self, update: dict[str, Any]) -> None:
        """POST the update to the webhook if one is set, else keep it for getUpdates."""
        self.updates_sent += 1
        if self.webhook_url:
            await self._post(update)
        else:
            self.pending.append(update)
        self.changed.fire()

    async def _post(self, update: dict[str, Any]) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        body = {"ok": True, "result": update} if self.wrap_webhook else update
        message_id = str(update["message"].get("message_id"))
        try:
            async with self._session.post(
                self.webhook_url, json=body, headers={SECRET_HEADER: self.webhook_secret}
            ) as response:
                self.deliveries.append((message_id, response.status))
        except aiohttp.ClientError as exc:
            self.deliveries.append((message_id, type(exc).__name__))
            logger.info("webhook delivery failed: %s", type(exc).__name__)

    async def close(self) -> None:
        self.closing = True
        self.changed.fire()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- what the bot sent -------------------------------------------------------------------

    def record(self, chat_id: str, kind: str, **fields: Any) -> dict[str, Any]:
        sent = ZaloSent(self.new_id(), chat_id, kind, date=int(time.time() * 1000), **fields)
        self.sent.setdefault(chat_id, []).append(sent)
        self.changed.fire()
        return {"message_id": sent.message_id, "date": sent.date}

    def recipient(self, params: dict[str, Any]) -> str:
        """Return the chat a send goes to, or raise the error Zalo would answer."""
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or chat_id not in self.users:
            raise ApiError(400, "Bad Request: chat not found")
        if self.users[chat_id].blocked:
            raise ApiError(403, "Forbidden: the user has blocked the bot")
        if self.rate_limit is not None:
            self.rate_limit.check(chat_id, time.monotonic())
        return chat_id


Method = Callable[[ZaloState, dict[str, Any]], Awaitable[Any]]


def _text(params: dict[str, Any], name: str, low: int, high: int, required: bool = True) -> str:
    value = params.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise ApiError(400, f"Bad Request: {name} must be {low}-{high} characters")
    return value


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ApiError(400, f"Bad Request: {name} must be an http(s) URL")
    return value


async def get_me(state: ZaloState, params: dict[str, Any]) -> Any:
    return dict(state.bot)


async def get_updates(state: ZaloState, params: dict[str, Any]) -> Any:
    """Hand out one pending update, waiting up to `timeout` seconds (given as a string)."""
    raw = params.get("timeout", "0")
    try:
        timeout = min(POLL_CAP, max(0.0, float(raw)))
    except (TypeError, ValueError):
        raise ApiError(400, "Bad Request: timeout must be a number in a string") from None
    with contextlib.suppress(TimeoutError):
        await state.changed.wait_until(lambda: state.pending or state.closing, timeout)
    if not state.pending:
        raise ApiError(408, "Request timeout")
    return state.pending.popleft()


async def set_webhook(state: ZaloState, params: dict[str, Any]) -> Any:
    state.webhook_url = _url(params.get("url"), "url")
    state.webhook_secret = _text(params, "secret_token", 8, 256)
    return True


async def delete_webhook(state: ZaloState, params: dict[str, Any]) -> Any:
    state.webhook_url = state.webhook_secret = ""
    return True


async def get_webhook_info(state: ZaloState, params: dict[str, Any]) -> Any:
    return {"url": state.webhook_url, "pending_update_count": len(state.pending)}


async def send_message(state: ZaloState, params: dict[str, Any]) -> Any:
    chat_id = state.recipient(params)
    return state.record(chat_id, "text", text=_text(params, "text", 1, TEXT_LIMIT))


async def send_photo(state: ZaloState, params: dict[str, Any]) -> Any:
    chat_id = state.recipient(params)
    photo = _url(params.get("photo"), "photo")
    caption = _text(params, "caption", 0, TEXT_LIMIT, required=False)
    return state.record(chat_id, "photo", text=caption, photo=photo)


async def send_sticker(state: ZaloState, params: dict[str, Any]) -> Any:
    chat_id = state.recipient(params)
    return state.record(chat_id, "sticker", text=str(params.get("sticker", "")))


async def send_chat_action(state: ZaloState, params: dict[str, Any]) -> Any:
    chat_id = params.get("chat_id")
    if not isinstance(chat_id, str) or chat_id not in state.users:
        raise ApiError(400, "Bad Request: chat not found")
    return True


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendSticker": send_sticker,
    "sendChatAction": send_chat_action,
}
