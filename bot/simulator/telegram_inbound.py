"""Build the updates a person's Telegram client would cause: messages, taps, edits, posts.

Driver mistakes (unknown user, user not in the group) raise KeyError/ValueError; they are
test bugs, not Bot API errors.
"""

from typing import Any

from .telegram_format import detect_entities
from .telegram_models import EmuChat, EmuUser
from .telegram_state import EmulatorState, now

# Smallest headers that identify the formats; the emulator never decodes them.
FAKE_OGG = b"OggS\x00\x02" + bytes(58)
FAKE_WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24)


def sender_and_chat(
    st: EmulatorState, user_id: int, chat_id: int | None
) -> tuple[EmuUser, EmuChat]:
    """Return who writes where, checking the user may write in that chat."""
    user = st.user(user_id)
    if user.deactivated:
        raise ValueError(f"user {user_id} is deactivated and cannot send anything")
    chat = st.known_chat(user_id if chat_id is None else chat_id)
    if chat.type == "channel":
        raise ValueError("users do not post in channels; use channel_post()")
    if chat.type == "private" and chat.id != user_id:
        raise ValueError(f"user {user_id} cannot write in the private chat {chat.id}")
    if chat.type != "private" and user_id not in chat.members:
        raise ValueError(f"user {user_id} is not a member of chat {chat.id}; use add_member()")
    if chat.type == "private" and user.blocked:
        st.set_blocked(user_id, False)  # writing to a blocked bot means pressing "Restart"
    return user, chat


def user_message(
    st: EmulatorState,
    user_id: int,
    chat_id: int | None,
    content: dict[str, Any],
    reply_to: int | None = None,
) -> dict[str, Any]:
    """Store a message from a user and queue its update."""
    user, chat = sender_and_chat(st, user_id, chat_id)
    target = st.message(chat.id, reply_to) if reply_to else None
    if reply_to and target is None:
        raise ValueError(f"message {reply_to} does not exist in chat {chat.id}")
    message = st.new_message(chat, user)
    message.update(content)
    if target is not None:
        message["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
    return st.updates.push("message", message)


def text_content(text: str) -> dict[str, Any]:
    """Return text plus the entities a client marks (commands, mentions, links)."""
    if not text:
        raise ValueError("Telegram clients do not send empty messages")
    entities = detect_entities(text, [])
    return {"text": text, "entities": entities} if entities else {"text": text}


def _caption(caption: str | None) -> dict[str, Any]:
    """Return caption fields."""
    if not caption:
        return {}
    entities = detect_entities(caption, [])
    return {"caption": caption, **({"caption_entities": entities} if entities else {})}


def photo_content(st: EmulatorState, data: bytes, caption: str | None) -> dict[str, Any]:
    """Store a photo and return the message fields that carry it."""
    stored = st.files.add_bytes("photo", data)
    return {"photo": stored.photo_sizes(), **_caption(caption)}


def document_content(
    st: EmulatorState, data: bytes, file_name: str, mime_type: str | None, caption: str | None
) -> dict[str, Any]:
    """Store a document and return the message fields that carry it."""
    stored = st.files.add_bytes("document", data, file_name, mime_type)
    return {"document": stored.document_dict(), **_caption(caption)}


def voice_content(st: EmulatorState, data: bytes | None, duration: int) -> dict[str, Any]:
    """Store a voice note and return its message fields."""
    stored = st.files.add_bytes("voice", data or FAKE_OGG, None, "audio/ogg")
    return {"voice": {**stored.base(), "duration": duration, "mime_type": "audio/ogg"}}


def sticker_content(st: EmulatorState, emoji: str) -> dict[str, Any]:
    """Store a sticker and return its message fields."""
    stored = st.files.add_bytes("sticker", FAKE_WEBP + emoji.encode(), None, "image/webp")
    return {
        "sticker": {
            **stored.base(),
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": emoji,
        }
    }


def contact_content(
    user: EmuUser,
    phone_number: str,
    first_name: str | None,
    last_name: str | None,
    contact_user_id: int | None,
) -> dict[str, Any]:
    """Return contact message fields (defaults: the sender's own name)."""
    contact = {"phone_number": phone_number, "first_name": first_name or user.first_name}
    if last_name or (first_name is None and user.last_name):
        contact["last_name"] = last_name or user.last_name
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    return {"contact": contact}


def press_button(
    st: EmulatorState, user_id: int, message_id: int, data: str, chat_id: int | None
) -> dict[str, Any]:
    """Queue a callback_query as if the user tapped a button (data may be forged)."""
    user, chat = sender_and_chat(st, user_id, chat_id)
    message = st.message(chat.id, message_id) or {
        "chat": chat.to_dict(),
        "message_id": message_id,
        "date": 0,
    }  # InaccessibleMessage
    query = {
        "id": st.new_query_id(),
        "from": user.to_dict(),
        "chat_instance": str(abs(chat.id) * 7919 % 10**18),
        "data": data,
        "message": message,
    }
    st.open_queries[query["id"]] = query
    return st.updates.push("callback_query", query)


def edit_user_text(
    st: EmulatorState, user_id: int, message_id: int, text: str, chat_id: int | None
) -> dict[str, Any]:
    """Edit the user's own text message and queue edited_message.

    An unknown message_id is forged (like press_button), so tests can send stale edits.
    """
    user, chat = sender_and_chat(st, user_id, chat_id)
    message = st.message(chat.id, message_id)
    if message is None:
        message = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": chat.to_dict(),
            "date": now(),
            "text": text,
        }
    if message.get("from", {}).get("id") != user.id:
        raise ValueError(f"message {message_id} in chat {chat.id} is not from user {user_id}")
    if "text" not in message:
        raise ValueError(f"message {message_id} has no text to edit")
    message.pop("entities", None)
    message.update(text_content(text), edit_date=now())
    return st.updates.push("edited_message", message)


def post_in_channel(st: EmulatorState, chat_id: int, text: str) -> dict[str, Any]:
    """Store a channel post and queue channel_post."""
    chat = st.known_chat(chat_id)
    if chat.type != "channel":
        raise ValueError(f"chat {chat_id} is a {chat.type}, not a channel")
    message = st.new_message(chat, None)
    message.update(text_content(text))
    return st.updates.push("channel_post", message)
