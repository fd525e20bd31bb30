"""The emulator's update queue: getUpdates long polling and webhook delivery."""

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .telegram_models import ApiError

logger = logging.getLogger(__name__)

# Delivered only when asked for explicitly (Bot API, getUpdates.allowed_updates).
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
TERMINATED_BY_WEBHOOK = "Conflict: terminated by setWebhook request"


@dataclass
class Webhook:
    """The webhook settings and delivery status."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class Pulse:
    """A broadcast wake-up that can be fired from sync code; waiters re-check a condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every current waiter."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, ready: Callable[[], object], timeout: float | None) -> None:
        """Return once ready() is true; raise TimeoutError after timeout seconds."""

        async def watch() -> None:
            while not ready():
                await self._event.wait()

        await asyncio.wait_for(watch(), timeout)


class UpdateQueue:
    """Pending (unconfirmed) updates, handed out by getUpdates or POSTed to a webhook."""

    def __init__(self, changed: Pulse, first_update_id: int = 1):
        self.pending: list[dict[str, Any]] = []
        self.next_id = first_update_id
        self.allowed: list[str] = []
        self.queued = 0
        self.webhook: Webhook | None = None
        self.closing = False
        self.changed = changed
        self._ticket = 0

    def allows(self, kind: str) -> bool:
        """Tell whether updates of this kind are currently wanted."""
        return kind in self.allowed if self.allowed else kind not in DEFAULT_EXCLUDED

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Remember allowed_updates; None keeps the previous setting, as Telegram does."""
        if allowed is not None:
            self.allowed = list(allowed)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update, queue it when its kind is allowed, and wake waiters."""
        update = {"update_id": self.next_id, kind: copy.deepcopy(payload)}
        self.next_id += 1
        if self.allows(kind):
            self.pending.append(update)
            self.queued += 1
            self.changed.fire()
        else:
            logger.debug(
                "update %s of kind %s filtered by allowed_updates", update["update_id"], kind
            )
        return update

    def confirm(self, offset: int) -> None:
        """Forget updates below a positive offset, or all but the last -offset ones."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]
        self.changed.fire()

    def drop(self, update_id: int) -> None:
        """Forget one delivered update."""
        self.pending = [u for u in self.pending if u["update_id"] != update_id]
        self.changed.fire()

    async def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """Answer getUpdates: confirm offset, then wait up to timeout for updates."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self._ticket += 1
        ticket = self._ticket
        self.changed.fire()
        if offset:
            self.confirm(offset)
        if not self.pending and timeout > 0:
            await self._wait_for_update(ticket, timeout)
        if ticket != self._ticket:
            raise ApiError(409, TERMINATED_BY_POLL)
        if self.webhook is not None:
            raise ApiError(409, TERMINATED_BY_WEBHOOK)
        return self.pending[:limit]

    async def _wait_for_update(self, ticket: int, timeout: float) -> None:
        """Wait until an update arrives, a newer poll starts, a webhook is set or we close."""

        def ready() -> bool:
            return (
                bool(self.pending) or ticket != self._ticket or bool(self.webhook) or self.closing
            )

        try:
            await self.changed.wait_until(ready, timeout)
        except TimeoutError:
            logger.debug("getUpdates long poll timed out after %ss", timeout)

    async def next_for_webhook(self) -> dict[str, Any] | None:
        """Wait for the oldest pending update while a webhook is set; None when it is gone."""
        await self.changed.wait_until(
            lambda: self.pending or self.webhook is None or self.closing, None
        )
        if self.webhook is None or self.closing:
            return None
        return self.pending[0]


class WebhookSender:
    """POST pending updates, in order, to the webhook URL, retrying failures with backoff."""

    def __init__(self, queue: UpdateQueue, first_delay: float = 0.2, max_delay: float = 5.0):
        self.queue = queue
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.deliveries: list[tuple[int, int | str]] = []
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None

    def restart(self) -> None:
        """Start (or restart) delivery for the current webhook setting."""
        self.cancel()
        if self.queue.webhook is not None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def cancel(self) -> None:
        """Stop the delivery task, if any."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        """Stop delivering and close the HTTP client."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        """Deliver updates until the webhook is removed."""
        delay = self.first_delay
        while (update := await self.queue.next_for_webhook()) is not None:
            if await self._post(update):
                self.queue.drop(update["update_id"])
                delay = self.first_delay
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)

    async def _post(self, update: dict[str, Any]) -> bool:
        """POST one update; return True on a 2xx answer."""
        hook = self.queue.webhook
        if hook is None:
            return False
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        try:
            async with self._client().post(hook.url, json=update, headers=headers) as resp:
                await resp.read()
                outcome: int | str = resp.status
                ok = 200 <= resp.status < 300
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome, ok, error = type(exc).__name__, False, f"Connection failed: {exc}"
        self.deliveries.append((update["update_id"], outcome))
        if not ok:
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            logger.info("webhook delivery of update %s failed: %s", update["update_id"], error)
        return ok

    def _client(self) -> aiohttp.ClientSession:
        """Return the HTTP client, creating it on first use."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._session
