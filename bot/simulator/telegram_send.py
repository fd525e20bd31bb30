"""Bot API methods that send, edit and delete messages and answer callback queries."""

import re
from typing import Any

from .telegram_format import FormatError, parse_text
from .telegram_markup import read_inline_markup, read_markup
from .telegram_models import EmuChat, SentMessage, StoredFile, bad_request
from .telegram_params import Handler, Params
from .telegram_state import EmulatorState, now

# Limits from core.telegram.org/bots/api (sendMessage.text, sendPhoto.caption,
# answerCallbackQuery.text).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ALERT = 200
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
# fmt: off
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
# fmt: on


def format_param(
    st: EmulatorState, p: Params, field: str, entities_field: str, limit: int, too_long: str
) -> tuple[str, list[dict[str, Any]]]:
    """Parse a text or caption parameter into (plain text, entities), enforcing its limit."""
    raw_entities = p.get_json(entities_field, "can't parse entities JSON object")
    try:
        plain, entities = parse_text(
            p.get_str(field) or "",
            p.get_str("parse_mode"),
            raw_entities if isinstance(raw_entities, list) else None,
        )
    except FormatError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    except ValueError:
        raise bad_request("unsupported parse_mode") from None
    if len(plain) > limit:
        raise bad_request(too_long)
    for entity in entities:
        user = st.users.get(entity.get("user", {}).get("id", 0))
        if entity["type"] == "text_mention" and user is not None:
            entity["user"] = user.to_dict()
    return plain, entities


def _text(st: EmulatorState, p: Params) -> tuple[str, list[dict[str, Any]]]:
    """Return the parsed message text, rejecting an empty or too long one."""
    if not (p.get_str("text") or "").strip():
        raise bad_request("message text is empty")
    plain, entities = format_param(st, p, "text", "entities", MAX_TEXT, "message is too long")
    if not plain.strip():
        raise bad_request("message text is empty")
    return plain, entities


def _caption(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Return the caption fields of a media message (empty when there is no caption)."""
    if not p.get_str("caption"):
        return {}
    plain, entities = format_param(
        st, p, "caption", "caption_entities", MAX_CAPTION, "message caption is too long"
    )
    return {"caption": plain, "caption_entities": entities}


def _target(st: EmulatorState, p: Params) -> EmuChat:
    """Return the chat to write to, checking the bot may write there."""
    chat = st.chat(p.get("chat_id"))
    st.check_reachable(chat)
    return chat


def _reply_target(st: EmulatorState, chat: EmuChat, p: Params) -> dict[str, Any] | None:
    """Return the message being replied to, if any."""
    ref = p.get_json("reply_parameters", "can't parse reply parameters JSON object") or {}
    ref = ref if isinstance(ref, dict) else {}
    message_id = ref.get("message_id") or p.get_int("reply_to_message_id")
    if not message_id:
        return None
    target = st.message(chat.id, int(message_id))
    allow = bool(ref.get("allow_sending_without_reply")) or p.get_bool(
        "allow_sending_without_reply"
    )
    if target is None and not allow:
        raise bad_request("message to be replied not found")
    return target


def _deliver(
    st: EmulatorState, chat: EmuChat, p: Params, content: dict[str, Any], **sent_fields: Any
) -> dict[str, Any]:
    """Validate markup and reply, take a send slot, store the message and return it."""
    markup = read_markup(p)
    reply_to = _reply_target(st, chat, p)
    st.acquire_send_slot(chat)
    message = st.new_message(chat, None if chat.type == "channel" else st.bot)
    message.update({k: v for k, v in content.items() if v not in (None, [])})
    if reply_to is not None:
        message["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
    if markup is not None and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    st.record_sent(
        SentMessage(
            message_id=message["message_id"],
            chat_id=chat.id,
            date=message["date"],
            parse_mode=p.get_str("parse_mode"),
            reply_markup=markup,
            raw=message,
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
            **sent_fields,
        )
    )
    return message


async def send_message(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send a text message (sendMessage)."""
    chat = _target(st, p)
    plain, entities = _text(st, p)
    return _deliver(
        st, chat, p, {"text": plain, "entities": entities}, text=plain, entities=entities
    )


def input_file(st: EmulatorState, p: Params, field: str) -> StoredFile:
    """Return the file of a send call: an upload, a known file_id or a URL (not fetched)."""
    value = p.get(field)
    upload = p.uploads.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = p.uploads.get(value.removeprefix("attach://"))
    if upload is not None:
        name = upload.filename if field == "document" else None
        return st.files.add_bytes(field, upload.data, name, upload.content_type)
    if not value or not isinstance(value, str):
        raise bad_request(f"there is no {field} in the request")
    known = st.files.get(value)
    if known is not None:
        if known.kind != field and field != "document":
            raise bad_request(f"can't use file of type {known.kind.title()} as {field.title()}")
        return known
    if re.match(r"https?://", value):
        return st.files.add_url(field, value)
    raise bad_request("wrong file identifier/HTTP URL specified")


async def send_photo(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send a photo: upload, file_id or URL (sendPhoto)."""
    chat = _target(st, p)
    sizes = input_file(st, p, "photo").photo_sizes()
    caption = _caption(st, p)
    return _deliver(st, chat, p, {"photo": sizes, **caption}, photo=sizes, **caption)


async def send_document(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send a document: upload, file_id or URL (sendDocument)."""
    chat = _target(st, p)
    document = input_file(st, p, "document").document_dict()
    caption = _caption(st, p)
    return _deliver(st, chat, p, {"document": document, **caption}, document=document, **caption)


async def send_voice(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send a voice note: upload, file_id or URL (sendVoice)."""
    return _send_sound(st, p, "voice")


async def send_audio(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send an audio file to play: upload, file_id or URL (sendAudio)."""
    return _send_sound(st, p, "audio")


def _send_sound(st: EmulatorState, p: Params, field: str) -> dict[str, Any]:
    chat = _target(st, p)
    stored = input_file(st, p, field)
    duration = str(p.get("duration"))
    sound = {
        **stored.base(),
        "duration": int(duration) if duration.isascii() and duration.isdigit() else 0,
        "mime_type": stored.mime_type or ("audio/ogg" if field == "voice" else "audio/mpeg"),
    }
    caption = _caption(st, p)
    return _deliver(st, chat, p, {field: sound, **caption}, **{field: sound}, **caption)


async def send_location(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Send a point on the map (sendLocation)."""
    chat = _target(st, p)
    latitude, longitude = p.get_float("latitude"), p.get_float("longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong location specified")
    location = {"latitude": latitude, "longitude": longitude}
    return _deliver(st, chat, p, {"location": location}, location=location)


async def send_chat_action(st: EmulatorState, p: Params) -> bool:
    """Accept a "typing…" style status for a reachable chat (sendChatAction)."""
    _target(st, p)
    if p.get_str("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def _editable(st: EmulatorState, p: Params) -> SentMessage:
    """Return the bot message an edit call targets."""
    if p.get("inline_message_id"):
        raise bad_request("message to edit not found")
    chat = _target(st, p)
    message_id = p.get_int("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    if st.message(chat.id, message_id) is None:
        raise bad_request("message to edit not found")
    sent = st.sent_message(chat.id, message_id)
    if sent is None:
        raise bad_request("message can't be edited")
    return sent


def _apply_edit(
    st: EmulatorState, sent: SentMessage, markup: dict[str, Any] | None, content: dict[str, Any]
) -> dict[str, Any]:
    """Write an edit into the SentMessage and its raw message; return the message."""
    sent.reply_markup = markup
    sent.edit_date = now()
    for key, value in content.items():
        setattr(sent, key, value)
        if value in (None, []):
            sent.raw.pop(key, None)
        else:
            sent.raw[key] = value
    sent.raw["edit_date"] = sent.edit_date
    st.edits.append(sent)
    if markup is None:
        sent.raw.pop("reply_markup", None)
    else:
        sent.raw["reply_markup"] = markup
    st.changed.fire()
    return sent.raw


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return markup when it is an inline keyboard (the only kind a message keeps)."""
    return markup if markup and "inline_keyboard" in markup else None


async def edit_message_text(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Replace a bot message's text; omitting reply_markup removes the keyboard."""
    sent = _editable(st, p)
    if sent.text is None:
        raise bad_request("there is no text in the message to edit")
    plain, entities = _text(st, p)
    markup = read_inline_markup(p)
    if (plain, entities, markup) == (sent.text, sent.entities, _inline(sent.reply_markup)):
        raise bad_request(NOT_MODIFIED)
    sent.parse_mode = p.get_str("parse_mode")
    return _apply_edit(st, sent, markup, {"text": plain, "entities": entities})


async def edit_message_caption(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Replace the caption of a bot media message (editMessageCaption)."""
    sent = _editable(st, p)
    if sent.photo is None and sent.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption = _caption(st, p) or {"caption": None, "caption_entities": []}
    markup = read_inline_markup(p)
    if (caption["caption"], caption["caption_entities"], markup) == (
        sent.caption,
        sent.caption_entities,
        _inline(sent.reply_markup),
    ):
        raise bad_request(NOT_MODIFIED)
    return _apply_edit(st, sent, markup, caption)


async def edit_message_reply_markup(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Replace or, without reply_markup, remove a message's inline keyboard."""
    sent = _editable(st, p)
    markup = read_inline_markup(p)
    if markup == _inline(sent.reply_markup):
        raise bad_request(NOT_MODIFIED)
    return _apply_edit(st, sent, markup, {})


async def delete_message(st: EmulatorState, p: Params) -> bool:
    """Delete a message in a chat (deleteMessage)."""
    chat = st.chat(p.get("chat_id"))
    message_id = p.get_int("message_id")
    if st.message(chat.id, message_id) is None:
        raise bad_request("message to delete not found")
    st.delete_message(chat.id, message_id or 0)
    return True


async def answer_callback_query(st: EmulatorState, p: Params) -> bool:
    """Record the answer to an open callback query; each is answerable once."""
    text = p.get_str("text")
    if text and len(text) > MAX_ALERT:
        raise bad_request("MESSAGE_TOO_LONG")
    query = st.open_queries.pop(p.get_str("callback_query_id") or "", None)
    if query is None:
        raise bad_request(QUERY_TOO_OLD)
    st.answered_callbacks.append(
        {
            "callback_query_id": query["id"],
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time", 0),
            "data": query.get("data"),
            "user_id": query["from"]["id"],
            "message_id": query.get("message", {}).get("message_id"),
        }
    )
    st.changed.fire()
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendVoice": send_voice,
    "sendAudio": send_audio,
    "sendLocation": send_location,
    "sendChatAction": send_chat_action,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
}
