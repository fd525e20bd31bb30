"""Validate reply_markup the way the Bot API does."""

from typing import Any

from .telegram_models import bad_request
from .telegram_params import Params

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "callback_game",
    "pay",
    "copy_text",
)
_URL_SCHEMES = ("http://", "https://", "tg://")


def read_markup(params: Params) -> dict[str, Any] | None:
    """Return the validated reply_markup of a call, or None when absent."""
    if params.get("reply_markup") in (None, ""):
        return None
    markup = params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_rows(markup["inline_keyboard"], _check_inline_button)
    elif "keyboard" in markup:
        _check_rows(markup["keyboard"], _check_reply_button)
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def read_inline_markup(params: Params) -> dict[str, Any] | None:
    """Return the validated reply_markup, which must be an inline keyboard, or None."""
    markup = read_markup(params)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _check_rows(rows: Any, check_button: Any) -> None:
    """Check a keyboard's rows of buttons."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            check_button(button)


def _check_inline_button(button: Any) -> None:
    """Check one InlineKeyboardButton."""
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    if not isinstance(button.get("text"), str) or not button["text"]:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not any(key in button for key in _INLINE_ACTIONS):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.lower().startswith(_URL_SCHEMES):
            raise bad_request("BUTTON_URL_INVALID")


def _check_reply_button(button: Any) -> None:
    """Check one KeyboardButton (a string or an object with text)."""
    text = (
        button
        if isinstance(button, str)
        else (button.get("text") if isinstance(button, dict) else None)
    )
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse keyboard button: Text must be non-empty")
