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


class Held(SendError):
    """The person cannot be written to until they write again (the Zalo OA's 7-day window):
    keep the push, neither retried nor failed, and deliver it when they do."""


class Rejected(SendError):
    """The service refused this message for good (malformed, too long): do not retry."""


class Channel(Protocol):
    """A messaging app the bot speaks through."""

    name: str

    async def push(self, chat_id: str, reply: Reply) -> None:
        """Send one reply; raise a SendError subclass when it does not go through."""


class ServiceUnreachable(Exception):
    """Telegram or Zalo could not be reached at all (network down, wrong API address).

    `key` and `values` name the operator's sentence in the locale catalogs; the text is the
    English form, for logs. Neither ever holds the token.
    """

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"could not reach {service} at {url} ({reason})")
        self.key = "cli.unreachable"
        self.values = {"service": service, "url": url, "reason": reason}
