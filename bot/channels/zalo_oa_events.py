"""Zalo OA webhook events in, the core's terms out: what the OA adapter reads, without I/O.

Shapes from shared/reference/zalo-oa.md §2: `user_send_*` events carry `sender.id` (the
OA-scoped user id) and `message.msg_id`; `follow`/`unfollow` carry `follower.id` and no
sender; `oa_send_*` echoes, delivery and seen receipts come from the OA itself and are
ignored. Coordinates and sizes arrive as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_messages import TEXT, Incoming, content, fingerprint
from bot.messages import Kind, Location
from bot.text import clean

FOLLOW, UNFOLLOW = "follow", "unfollow"
READ = {  # user_send_* event -> what it carries
    "user_send_text": "text",
    "user_send_image": "image",
    "user_send_location": "location",
    "user_send_file": "file",
    "user_send_audio": "audio",
}


@dataclass(frozen=True, slots=True)
class OaEvent:
    """What an OA event says, before any download."""

    event: str
    msg_id: str
    user_id: str
    text: str = ""
    url: str = ""  # of an image, file or voice note
    filename: str = ""
    location: Location | None = None


def parse(body: Any) -> OaEvent | None:
    """Read an event from a resident; None for events the bot does not act on.

    Raises ValueError when the body is not an OA event at all.
    """
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        raise ValueError("not a Zalo OA event: no event_name")
    name = body["event_name"]
    if name in (FOLLOW, UNFOLLOW):
        user = (
            _id((body.get("follower") or {}).get("id"))
            if isinstance(body.get("follower"), dict)
            else ""
        )
        # No msg_id: a redelivery carries the same timestamp, so the body itself is the key.
        return OaEvent(name, fingerprint(body), user) if user else None
    if not name.startswith("user_send_"):
        return None  # oa_send_* echoes, user_received_message, user_seen_message, ...
    sender = body.get("sender") if isinstance(body.get("sender"), dict) else {}
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    user = _id(sender.get("id"))
    if not user:
        return None
    text = message.get("text")
    event = OaEvent(
        name,
        _id(message.get("msg_id")) or fingerprint(body),
        user,
        text=clean(text) if isinstance(text, str) else "",
    )
    payload = _first_payload(message)
    if READ.get(name) == "location":
        return _with_location(event, payload)
    if READ.get(name) in ("image", "file", "audio"):
        url = payload.get("url")
        name_field = payload.get("name")
        return OaEvent(
            event.event,
            event.msg_id,
            event.user_id,
            event.text,
            url=url if isinstance(url, str) else "",
            filename=clean(name_field)[:120] if isinstance(name_field, str) else "",
        )
    return event


def _with_location(event: OaEvent, payload: dict[str, Any]) -> OaEvent:
    coordinates = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else {}
    try:
        latitude = float(coordinates["latitude"])
        longitude = float(coordinates["longitude"])
    except (KeyError, TypeError, ValueError):
        return event  # no readable point: the place name alone, as text
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return event
    return OaEvent(
        event.event, event.msg_id, event.user_id, event.text, location=Location(latitude, longitude)
    )


def _first_payload(message: dict[str, Any]) -> dict[str, Any]:
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        payload = attachments[0].get("payload")
        if isinstance(payload, dict):
            return payload
    return {}


def _id(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and str(value) else ""


def fields(event: OaEvent) -> dict[str, Any]:
    """Say what an event carries in the core's terms (media not yet downloaded).

    `follow` is the /start a new follower would type; a voice note is kept like a photo.
    """
    kind = READ.get(event.event)
    if event.event == FOLLOW:
        return {"kind": Kind.COMMAND, "command": "start", "args": "", "text": "/start"}
    if kind == "text":
        typed = Incoming(
            TEXT, event.msg_id, event.user_id, event.user_id, "", False, True, event.text, ""
        )
        return content(typed)  # the Bot Platform's reading of commands: one for both
    if kind == "location" and event.location is not None:
        return {"kind": Kind.LOCATION, "location": event.location, "text": event.text}
    if kind == "location" and event.text:
        return {"kind": Kind.TEXT, "text": event.text}
    if kind in ("image", "audio") and event.url:
        return {"kind": Kind.PHOTO, "text": event.text}
    if kind == "file" and event.url:
        return {"kind": Kind.DOCUMENT, "text": event.text}
    return {"kind": Kind.UNSUPPORTED}
