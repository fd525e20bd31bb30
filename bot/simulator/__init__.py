"""Local stand-ins for the messaging platforms, for end-to-end tests and demos."""

from .telegram import TelegramEmulator
from .telegram_limits import RateLimits
from .telegram_models import EmuUser, SentMessage

__all__ = ["EmuUser", "RateLimits", "SentMessage", "TelegramEmulator"]
