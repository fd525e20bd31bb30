"""The channel-agnostic message types: what a person sent, and what the bot answers."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.models import SessionKey


class Kind(StrEnum):
    """What an inbound message carries."""

    TEXT = "text"
    COMMAND = "command"
    CHOICE = "choice"  # a button press (Telegram) or a typed number/label (Zalo)
    PHOTO = "photo"
    LOCATION = "location"
    CONTACT = "contact"
    EDITED = "edited"  # an edit of an earlier message: never re-processed
    DOCUMENT = "document"  # a file sent as a document (Telegram): PDF, scan, ...
    VOICE = "voice"  # a voice note (Telegram voice, Zalo's voice event)
    UNSUPPORTED = "unsupported"  # stickers, anything else


Fetch = Callable[[], Awaitable["bytes | None"]]


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo: the channel's id or URL for it, its size if known, and how to get its bytes.

    Channels hand over a reference, not the bytes: `load()` downloads them (capped, through
    `fetch`) only when a step takes the photo, so that what a step does not want, or what
    flood control drops, is never downloaded. `data` is set when the bytes are already here.
    """

    ref: str
    size: int | None = None
    data: bytes | None = field(default=None, repr=False)
    fetch: Fetch | None = field(default=None, repr=False, compare=False)

    async def load(self) -> bytes | None:
        """Return the bytes, downloading them now; None when that fails or is refused."""
        return await _load(self)


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent as a document: the channel's id, its name and size, how to get its bytes."""

    ref: str
    filename: str
    size: int | None = None
    data: bytes | None = field(default=None, repr=False)
    fetch: Fetch | None = field(default=None, repr=False, compare=False)

    async def load(self) -> bytes | None:
        """Return the bytes, downloading them now; None when that fails or is refused."""
        return await _load(self)


async def _load(item: Photo | Document) -> bytes | None:
    if item.data is not None or item.fetch is None:
        return item.data
    return await item.fetch()


@dataclass(frozen=True, slots=True)
class Voice:
    """A voice note: the channel's id or URL, its length, its bytes (None if not fetched)."""

    ref: str
    seconds: int | None = None
    size: int | None = None
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did in a chat, in the project's own terms."""

    channel: str
    user_id: str
    chat_id: str
    display_name: str
    kind: Kind
    text: str = ""  # message text, photo caption, or the typed answer
    command: str = ""  # without the slash, lowercase
    args: str = ""  # after the command; deep-link payloads arrive here
    choice: str = ""  # button data: untrusted
    photos: tuple[Photo, ...] = ()
    documents: tuple[Document, ...] = ()
    voices: tuple[Voice, ...] = ()
    location: Location | None = None
    language: str | None = None
    private: bool = True

    @property
    def key(self) -> SessionKey:
        from storage.models import SessionKey  # storage imports this module: import late

        return SessionKey(self.channel, self.chat_id, self.user_id)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: `id` is the opaque data sent back, `label` what the person reads."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Media:
    """A file to send: a photo or a document, from bytes or a path."""

    kind: str  # "photo" | "document" | "voice"
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to show: plain text (the adapter escapes it), optional buttons and media.

    `replaces` marks the answer to a button press that stands for the message the button
    was on (a list toggled, a card updated): Telegram edits that message in place; channels
    that cannot edit (Zalo) send it as a new message, as they send everything.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    title: str = ""
    media: Media | None = None
    columns: int = 1
    extra: dict = field(default_factory=dict, compare=False)
    replaces: bool = False


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Turn a Reply into JSON-ready data (for the outbox)."""
    data: dict[str, Any] = {"text": reply.text}
    if reply.title:
        data["title"] = reply.title
    if reply.choices:
        data["choices"] = [[c.id, c.label] for c in reply.choices]
    if reply.columns != 1:
        data["columns"] = reply.columns
    if reply.media is not None:
        data["media"] = {
            "kind": reply.media.kind,
            "filename": reply.media.filename,
            "data": base64.b64encode(reply.media.data).decode("ascii"),
        }
    return data


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Rebuild a Reply from `reply_to_dict` data."""
    media = data.get("media")
    return Reply(
        text=data["text"],
        title=data.get("title", ""),
        choices=tuple(Choice(i, label) for i, label in data.get("choices", ())),
        columns=data.get("columns", 1),
        media=Media(media["kind"], media["filename"], base64.b64decode(media["data"]))
        if media
        else None,
    )
