"""Bot API methods about the bot itself: identity, updates, webhook, files, commands, chats."""

import re
from typing import Any

from .telegram_files import DOWNLOAD_LIMIT
from .telegram_models import bad_request
from .telegram_params import Handler, Params
from .telegram_state import EmulatorState
from .telegram_updates import Webhook

MAX_COMMANDS = 100
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_MENU_TYPES = frozenset({"commands", "web_app", "default"})


async def get_me(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Describe the bot itself (getMe)."""
    return {
        **st.bot.to_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def log_out(st: EmulatorState, p: Params) -> bool:
    """Accept logOut and close without changing anything."""
    return True


async def get_updates(st: EmulatorState, p: Params) -> list[dict[str, Any]]:
    """Confirm offset and long-poll for updates, as getUpdates does."""
    allowed = p.get_json("allowed_updates", "can't parse allowed updates")
    st.updates.set_allowed(allowed if isinstance(allowed, list) else None)
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    timeout = max(p.get_float("timeout") if p.get("timeout") is not None else 0.0, 0.0)
    return await st.updates.poll(p.get_int("offset"), limit, timeout)


async def set_webhook(st: EmulatorState, p: Params) -> bool:
    """Set the webhook (setWebhook); empty url removes it, plain http is allowed."""
    url = p.get_str("url") or ""
    if not url:
        return await delete_webhook(st, p)
    if not re.match(r"https?://[^/\s]+", url):
        raise bad_request("bad webhook: invalid webhook URL specified")
    secret = p.get_str("secret_token")
    if secret is not None and not _SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if p.get_bool("drop_pending_updates"):
        st.updates.pending.clear()
    allowed = p.get_json("allowed_updates", "can't parse allowed updates")
    st.updates.set_allowed(allowed if isinstance(allowed, list) else None)
    st.updates.webhook = Webhook(
        url=url, secret_token=secret, max_connections=p.get_int("max_connections", 40) or 40
    )
    st.updates.changed.fire()
    st.webhook_sender.restart()
    return True


async def delete_webhook(st: EmulatorState, p: Params) -> bool:
    """Remove the webhook, optionally dropping pending updates (deleteWebhook)."""
    if p.get_bool("drop_pending_updates"):
        st.updates.pending.clear()
    st.updates.webhook = None
    st.updates.changed.fire()
    st.webhook_sender.cancel()
    return True


async def get_webhook_info(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Report the webhook URL, pending count and last error (getWebhookInfo)."""
    hook = st.updates.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(st.updates.pending),
    }
    if hook is not None:
        info.update(ip_address="127.0.0.1", max_connections=hook.max_connections)
        if hook.last_error_date:
            info.update(
                last_error_date=hook.last_error_date, last_error_message=hook.last_error_message
            )
        if st.updates.allowed:
            info["allowed_updates"] = st.updates.allowed
    return info


async def get_file(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Return a File with a download path; URL-only files have none (getFile)."""
    stored = st.files.get(p.get_str("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if (stored.file_size or 0) > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.file_dict()


def _commands(p: Params) -> list[dict[str, str]]:
    """Return the validated commands parameter of setMyCommands."""
    commands = p.get_json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    checked = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": command, "description": description})
    return checked


def _command_key(st: EmulatorState, p: Params) -> tuple[Any, ...]:
    """Return the storage key for scope + language_code."""
    scope = p.get_json("scope", "can't parse BotCommandScope JSON object")
    return (*st.scope_key(scope), p.get_str("language_code") or "")


async def set_my_commands(st: EmulatorState, p: Params) -> bool:
    """Store commands per scope and language; an empty list deletes them."""
    commands = _commands(p)
    key = _command_key(st, p)
    if commands:
        st.commands[key] = commands
    else:
        st.commands.pop(key, None)
    return True


async def get_my_commands(st: EmulatorState, p: Params) -> list[dict[str, str]]:
    """Return the commands of exactly this scope and language (no fallback)."""
    return list(st.commands.get(_command_key(st, p), []))


async def delete_my_commands(st: EmulatorState, p: Params) -> bool:
    """Delete the commands of one scope and language (deleteMyCommands)."""
    st.commands.pop(_command_key(st, p), None)
    return True


async def set_chat_menu_button(st: EmulatorState, p: Params) -> bool:
    """Store the menu button of one chat or, without chat_id, the default."""
    chat_id = st.chat(p.get("chat_id")).id if p.get("chat_id") is not None else None
    button = p.get_json("menu_button", "can't parse menu button JSON object") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_TYPES:
        raise bad_request("can't parse menu button JSON object")
    st.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Return the menu button of a chat or the default one (getChatMenuButton)."""
    chat_id = st.chat(p.get("chat_id")).id if p.get("chat_id") is not None else None
    return st.menu_buttons.get(chat_id) or st.menu_buttons.get(None) or {"type": "commands"}


async def get_chat(st: EmulatorState, p: Params) -> dict[str, Any]:
    """Describe a chat as ChatFullInfo (getChat)."""
    return st.chat(p.get("chat_id")).full_info()


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": log_out,
    "close": log_out,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getFile": get_file,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "getChat": get_chat,
}
