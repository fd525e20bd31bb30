"""Value types of the Telegram emulator: errors, users, chats, sent messages, files."""

from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """Return a 400 "Bad Request: detail" error."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Return a 403 "Forbidden: detail" error."""
    return ApiError(403, f"Forbidden: {detail}")


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None, as Telegram omits absent fields."""
    return {k: v for k, v in data.items() if v is not None}


@dataclass
class EmuUser:
    """A Telegram user known to the emulator; their private chat id equals their id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked: bool = False
    deactivated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the Bot API User object."""
        return _compact(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


@dataclass
class EmuChat:
    """A chat: private (id == user id), group, supergroup or channel (negative ids)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: set[int] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        """Return the Bot API Chat object."""
        return _compact(
            {
                "id": self.id,
                "type": self.type,
                "title": self.title,
                "username": self.username,
                "first_name": self.first_name,
                "last_name": self.last_name,
            }
        )

    def full_info(self) -> dict[str, Any]:
        """Return the Bot API ChatFullInfo object answered by getChat."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date with later edits and deletion."""

    message_id: int
    chat_id: int
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    voice: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Return every keyboard button as (text, callback_data or url or None), row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        flat = []
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    flat.append((button, None))
                else:
                    flat.append(
                        (button.get("text", ""), button.get("callback_data", button.get("url")))
                    )
        return flat

    def button_data(self, label: str) -> str:
        """Return the callback_data (or url) of the button whose text is label."""
        for text, data in self.buttons:
            if text == label:
                if data is None:
                    raise KeyError(f"button {label!r} has no callback_data or url")
                return data
        raise KeyError(f"no button {label!r}; buttons are {[t for t, _ in self.buttons]}")


@dataclass
class StoredFile:
    """A file known to the emulator: uploaded bytes or a remembered URL."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None = field(default=None, repr=False)
    url: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int | None:
        """Return the size in bytes, or None for a URL that was never fetched."""
        return None if self.data is None else len(self.data)

    def base(self) -> dict[str, Any]:
        """Return the fields every Bot API file object carries."""
        return _compact(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.file_size,
            }
        )

    def photo_sizes(self) -> list[dict[str, Any]]:
        """Return the PhotoSize list (one size: the original)."""
        return [{**self.base(), "width": self.width, "height": self.height}]

    def document_dict(self) -> dict[str, Any]:
        """Return the Document object."""
        return _compact({**self.base(), "file_name": self.file_name, "mime_type": self.mime_type})

    def file_dict(self) -> dict[str, Any]:
        """Return the File object answered by getFile."""
        return _compact({**self.base(), "file_path": self.file_path})
