"""What the core expects of a channel, and the errors a push can end in.

Adapters translate their library's errors into these, so that the delivery engine can
decide (wait, retry, give up) without knowing which app a person uses.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply


class SendError(Exception):
    """A push that did not go through."""


class RateLimited(SendError):
    """The service asked us to slow down: wait `retry_after` seconds, then retry."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(detail or f"rate limited for {retry_after}s")
        self.retry_after = retry_after


class Unreachable(SendError):
    """The person blocked the bot, deleted their account or the chat is gone: stop sending."""


class Transient(SendError):
    """A server error or a network failure: retry later with backoff."""


class Rejected(SendError):
    """The service refused this message for good (malformed, too long): do not retry."""


class Channel(Protocol):
    """A messaging app the bot speaks through."""

    name: str

    async def push(self, chat_id: str, reply: Reply) -> None:
        """Send one reply; raise a SendError subclass when it does not go through."""
