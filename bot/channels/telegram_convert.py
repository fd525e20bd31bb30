"""Translation helpers of the Telegram adapter: Message to Inbound fields, Reply to markup."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageEntityType
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.messages import Document, Inbound, Kind, Location, Photo, Reply, Voice
from bot.text import clean

NAME = "telegram"


def inbound(message: Message, **fields) -> Inbound:
    user = message.from_user
    return Inbound(
        channel=NAME,
        user_id=str(user.id),
        chat_id=str(message.chat.id),
        display_name=clean(user.full_name),
        language=user.language_code,
        **fields,
    )


def kind_of(message: Message) -> dict:
    """Say what a message carries, in the core's terms."""
    if message.text is not None:
        text = clean(message.text)
        entity = message.entities[0] if message.entities else None
        if entity and entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            word = message.text[1 : entity.length].split("@", 1)[0].lower()
            args = clean(message.text[entity.length :])
            return {"kind": Kind.COMMAND, "command": word, "args": args, "text": text}
        return {"kind": Kind.TEXT, "text": text}
    if message.document is not None:
        doc = message.document
        document = Document(doc.file_id, clean(doc.file_name or ""), doc.file_size)
        caption = clean(message.caption or "")
        return {"kind": Kind.DOCUMENT, "documents": (document,), "text": caption}
    if message.photo:
        biggest = max(message.photo, key=lambda p: p.width * p.height)
        photo = Photo(biggest.file_id, biggest.file_size)
        return {"kind": Kind.PHOTO, "photos": (photo,), "text": clean(message.caption or "")}
    if message.voice is not None:
        note = message.voice
        seconds = note.duration  # a timedelta with PTB_TIMEDELTA set (telegram.py), else int
        seconds = int(seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds)
        return {"kind": Kind.VOICE, "voices": (Voice(note.file_id, seconds, note.file_size),)}
    if message.location is not None:
        where = Location(message.location.latitude, message.location.longitude)
        return {"kind": Kind.LOCATION, "location": where}
    if message.contact is not None:
        return {"kind": Kind.CONTACT, "text": clean(message.contact.phone_number or "")}
    return {"kind": Kind.UNSUPPORTED}


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    buttons = [InlineKeyboardButton(c.label[:64], callback_data=c.id) for c in reply.choices]
    width = max(1, reply.columns)
    return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])


def retry_seconds(exc: RetryAfter) -> float:
    """Read retry_after, int or timedelta, without PTB 22's deprecation warning about it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def commands(pairs: Sequence[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, description[:256]) for name, description in pairs]
