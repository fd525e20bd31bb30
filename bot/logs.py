"""Logging set-up that never writes a token, a secret or what a resident wrote."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# A Telegram token in a Bot API URL (".../bot123:ABC.../getMe"), whatever its length.
_BOT_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
# A secret this long is blanked wherever it appears. A shorter one is blanked only where it
# stands alone (no letter or digit touching it): blanking a 1-character secret everywhere
# would blank that letter in every word, and hide the rest of the line from the operator.
WHOLE_FROM = 8
# At DEBUG these libraries log what passes through them: aiosqlite the SQL parameters (names,
# messages), python-telegram-bot every update and every call with its text. Theirs stay at
# INFO or above whatever the level asked for; the bot's own lines log ids and lengths.
PAYLOAD_LOGGERS = ("aiosqlite", "telegram")
QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "apscheduler")  # URLs with the token


def _secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for every secret, the longest first, short ones only where alone."""
    alternatives = [
        re.escape(s) if len(s) >= WHOLE_FROM else rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])"
        for s in sorted({s for s in secrets if s}, key=len, reverse=True)
    ]
    return re.compile("|".join(alternatives)) if alternatives else None


class RedactingFormatter(logging.Formatter):
    """Format records, then blank out every known secret and anything shaped like a token."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = _secret_pattern(secrets)

    def format(self, record: logging.LogRecord) -> str:
        text = _BOT_TOKEN.sub("bot***", super().format(record))
        return self._secrets.sub("***", text) if self._secrets is not None else text


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr through the redacting formatter; keep payloads and URLs out."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
