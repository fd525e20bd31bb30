"""Read Bot API call parameters the way Telegram does: query, form, multipart or JSON."""

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .telegram_models import bad_request

# Parameters whose value is a string even when it looks like JSON ("123", "true", "[1]").
# fmt: off
STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "data",
    "description", "short_description", "file_id", "photo", "document", "voice", "audio",
    "video", "animation", "sticker", "thumbnail", "action", "emoji", "title", "name",
    "first_name", "last_name", "phone_number", "vcard", "address", "query", "inline_message_id",
    "language_code", "ip_address", "business_connection_id", "message_effect_id",
    "foursquare_id", "foursquare_type", "google_place_id", "google_place_type",
    "start_parameter", "payload", "currency", "provider_token", "switch_pm_text", "next_offset",
    "button_text", "question", "explanation",
})
# fmt: on


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params(dict):
    """Decoded call parameters plus the uploaded files, with typed accessors."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.uploads: dict[str, Upload] = {}

    def require(self, name: str) -> Any:
        """Return a parameter or raise 400 "<name> is empty"."""
        value = self.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        return value

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """Return a parameter as a string."""
        value = self.get(name)
        if value is None:
            return default
        if isinstance(value, dict | list):
            raise bad_request(f'field "{name}" must be of type String')
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """Return a parameter as an int."""
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float:
        """Return a required parameter as a float."""
        try:
            return float(self.require(name))
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        """Return a parameter as a bool (absent = False)."""
        value = self.get(name)
        return value is True or (isinstance(value, str) and value.lower() == "true")

    def get_json(self, name: str, detail: str) -> Any:
        """Return a JSON-valued parameter (object or array), or raise 400 detail."""
        value = self.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(detail) from None
        return value


Handler = Callable[[Any, Params], Awaitable[Any]]


def decode_value(name: str, value: Any) -> Any:
    """Decode one form value: known string fields stay str, others are JSON when they parse."""
    if not isinstance(value, str) or name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def telegram_filename(disposition: str) -> str | None:
    """Return a multipart file's name as Telegram shows it to the person.

    The Bot API server (tdlib's HttpReader) takes the value of `filename=` up to the next
    `;`, drops the quotes around it and decodes nothing else: no backslash escapes, no %XX,
    no RFC 2231 `filename*`. The bytes are UTF-8, as Telegram's apps send them. A client that
    percent-encodes the name (aiohttp's default) makes people see "D%E1%BB%B1…", and so
    does this emulator.
    """
    name, rest = None, disposition.partition(";")[2]
    while "=" in rest:
        key, _, rest = rest.partition("=")
        value, _, rest = rest.partition(";")
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if key.strip() == "filename":
            name = value
    return name


async def read_params(request: web.Request) -> Params:
    """Collect the parameters of a request from its query string and body."""
    params = Params({k: decode_value(k, v) for k, v in request.query.items()})
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        params.update(await _json_body(request))
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                name = telegram_filename(value.headers.get("Content-Disposition", ""))
                params.uploads[key] = Upload(value.file.read(), name, value.content_type)
            else:
                params[key] = decode_value(key, value)
    return params


async def _json_body(request: web.Request) -> dict[str, Any]:
    """Return the decoded JSON object body."""
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("can't parse JSON encoded request body") from None
    if not isinstance(body, dict):
        raise bad_request("JSON object expected as request body")
    return {k: decode_value(k, v) for k, v in body.items()}
