"""Logging set-up that never writes a token or a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_BOT_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]{20,}")


class RedactingFormatter(logging.Formatter):
    """Format records, then blank out every known secret and anything shaped like a token."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _BOT_TOKEN.sub("bot***", text)


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr through the redacting formatter; quiet the HTTP client's URLs."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
