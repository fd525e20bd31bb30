"""Zalo's JSON updates in, plain texts out: what the Zalo adapter translates, without I/O.

Zalo has no buttons, so a Reply's choices become a numbered list ("1. Gửi phản ánh") and the
person answers with the number or the words. `ChoiceMemory` keeps the last list shown in each
chat so that the answer can be read back as the choice, even for a list the router holds no
conversation for (the greeting's consent, a pushed notification's buttons).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages import Choice, Kind, Reply
from bot.text import clean, match_choice, split_text

TEXT_LIMIT = 2000  # characters per sendMessage (Zalo Bot API)
MEMORY_CHATS = 10_000  # chats whose last list is remembered (least recently used forgotten)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:\s+(.*))?$", re.DOTALL)

TEXT = "message.text.received"
IMAGE = "message.image.received"
VOICE = "message.voice.received"  # the note's URL in message.voice, as the emulator sends it


@dataclass(frozen=True, slots=True)
class Notes:
    """The adapter's own sentences, from the locale catalog."""

    choose_hint: str  # under a numbered list: "answer with the number"
    photo_unavailable: str  # a photo could not be sent (Zalo takes photos only by URL)
    document_unavailable: str  # {filename}: a document could not be sent
    group: str  # commands in a group: write privately
    error: str  # something failed while handling a message


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a Zalo update says, before any download or lookup."""

    event: str
    message_id: str
    user_id: str
    chat_id: str
    display_name: str
    is_bot: bool
    private: bool
    text: str
    photo_url: str  # a photo's URL, or a voice note's


def unwrap(body: Any) -> dict[str, Any]:
    """Return the update inside a webhook body, wrapped in {"ok", "result"} or not.

    Raises ValueError when the body is not shaped like an update at all.
    """
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        raise ValueError("not a Zalo update: no event_name")
    if not isinstance(body.get("message"), dict):
        raise ValueError("not a Zalo update: no message")
    return body


def read(update: dict[str, Any]) -> Incoming | None:
    """Read an update's sender, chat and content; None when it names no chat."""
    message = update["message"]
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id = _id(chat.get("id")) or _id(sender.get("id"))
    if not chat_id:
        return None
    event = update["event_name"]
    text = message.get("text") if event == TEXT else message.get("caption")
    photo = message.get("photo") if event == IMAGE else message.get("voice")
    return Incoming(
        event=event,
        message_id=_id(message.get("message_id")) or fingerprint(update),
        user_id=_id(sender.get("id")) or chat_id,
        chat_id=chat_id,
        display_name=clean(str(sender.get("display_name") or ""))[:64],
        is_bot=sender.get("is_bot") is True,
        private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        text=clean(text) if isinstance(text, str) else "",
        photo_url=photo if isinstance(photo, str) else "",
    )


def fingerprint(update: dict[str, Any]) -> str:
    """Make a stable id for an update that carries no message_id (so redeliveries match)."""
    canonical = json.dumps(update, sort_keys=True, ensure_ascii=False).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _id(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and str(value) else ""


def content(incoming: Incoming) -> dict[str, Any]:
    """Say what a message carries, in the core's terms (the photo not yet downloaded)."""
    if incoming.event == TEXT:
        command = _COMMAND.match(incoming.text)
        if command:
            args = clean(command.group(2) or "")
            return {
                "kind": Kind.COMMAND,
                "command": command.group(1).lower(),
                "args": args,
                "text": incoming.text,
            }
        return {"kind": Kind.TEXT, "text": incoming.text}
    if incoming.event == IMAGE and incoming.photo_url:
        return {"kind": Kind.PHOTO, "text": incoming.text}
    if incoming.event == VOICE and incoming.photo_url:
        return {"kind": Kind.VOICE}
    return {"kind": Kind.UNSUPPORTED}  # stickers, anything Zalo calls unsupported


def render(reply: Reply, notes: Notes) -> list[str]:
    """Return the texts that show a Reply on Zalo, each within the 2,000-character limit.

    Media cannot be sent: Zalo takes photos only as URLs (no upload) and has no documents,
    so the text is sent with a note saying what was left out.
    """
    head = f"{reply.title}\n{reply.text}" if reply.title else reply.text
    blocks = [head]
    if reply.media is not None:
        if reply.media.kind == "photo":
            blocks.append(notes.photo_unavailable)
        else:
            blocks.append(notes.document_unavailable.format(filename=reply.media.filename))
    if reply.choices:
        blocks.append(numbered(reply.choices, notes.choose_hint))
    text = "\n\n".join(block.strip() for block in blocks if block.strip())
    return split_text(text, TEXT_LIMIT) or ["…"]


def numbered(choices: Sequence[Choice], hint: str = "") -> str:
    """Write choices as a numbered list, one per line, with the hint under it."""
    lines = [f"{n}. {' '.join(c.label.split())}" for n, c in enumerate(choices, 1)]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def last_choices(replies: Iterable[Reply]) -> tuple[Choice, ...]:
    """Return the choices of the last reply that has any (the list a number refers to)."""
    offered: tuple[Choice, ...] = ()
    for reply in replies:
        if reply.choices:
            offered = reply.choices
    return offered


class ChoiceMemory:
    """The last numbered list shown in each chat, in memory, least recently used forgotten.

    Lost on restart by design: lists shown inside a conversation are also kept in the stored
    session (the router reads typed answers against them), and the main menu and the consent
    question are read by the router and onboarding themselves; only a list pushed outside
    any conversation (a notification's buttons) then needs the command typed again.
    """

    def __init__(self, size: int = MEMORY_CHATS) -> None:
        self.size = size
        self._lists: OrderedDict[str, tuple[Choice, ...]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._lists)

    def remember(self, chat_id: str, choices: Sequence[Choice]) -> None:
        """Remember the list just shown in a chat; an empty one forgets the chat's list."""
        if not choices:
            self._lists.pop(chat_id, None)
            return
        self._lists[chat_id] = tuple(choices)
        self._lists.move_to_end(chat_id)
        while len(self._lists) > self.size:
            self._lists.popitem(last=False)

    def read(self, chat_id: str, typed: str) -> Choice | None:
        """Return the choice a typed number or label means in this chat's last list."""
        offered = self._lists.get(chat_id)
        if not offered:
            return None
        self._lists.move_to_end(chat_id)
        index = match_choice(typed, [c.label for c in offered])
        return None if index is None else offered[index]
