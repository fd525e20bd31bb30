"""Answering a button press on Telegram: stop its spinner, then edit the message it was on
(when the core marked its answer `Reply.replaces`) or retire its keyboard and send anew.

An edit keeps the chat short and costs one Bot API call where retiring the keyboard and
sending a new message cost two. Telegram refuses some edits: a message older than 48 hours,
a media message (no text to edit), a text over the limit; the answer is then sent as a new
message. "Message is not modified" (the same screen pressed twice) is not a failure.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import CallbackQuery
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.channels import telegram_convert as convert
from bot.messages import Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # characters after entity parsing (Bot API sendMessage, editMessageText)
NOT_MODIFIED = "message is not modified"

Send = Callable[[Reply], Awaitable[None]]


def html_text(text: str, title: str = "") -> str:
    """Escape a reply's text for parse_mode HTML, its title in bold on the first line."""
    body = html.escape(text, quote=False)
    return f"<b>{html.escape(title, quote=False)}</b>\n{body}" if title else body


async def acknowledge(query: CallbackQuery) -> None:
    """Answer a button press, so that its spinner stops."""
    try:
        await query.answer()
    except TelegramError as exc:  # too old (pressed while we restarted): the press counts
        log.debug("could not answer a button press: %s", exc)


async def retire(query: CallbackQuery) -> None:
    """Take the keyboard off the message a button was on, so it is not pressed twice."""
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:  # old, forged or already edited: the press still counts
        log.debug("could not retire a keyboard: %s", exc)


async def edit(query: CallbackQuery, reply: Reply) -> bool:
    """Show `reply` in place of the message the button was on; False when Telegram
    cannot edit it (the caller then sends it as a new message)."""
    if reply.media is not None or len(reply.title) + 1 + len(reply.text) > TEXT_LIMIT:
        return False
    try:
        await query.edit_message_text(
            html_text(reply.text or "…", reply.title),
            parse_mode=ParseMode.HTML,
            reply_markup=convert.keyboard(reply),
        )
    except BadRequest as exc:
        if NOT_MODIFIED in str(exc).lower():
            return True
        log.debug("could not edit a message in place: %s", exc)
        return False
    except TelegramError as exc:  # 429, network: the answer still goes out, as a new message
        log.debug("could not edit a message in place: %s", exc)
        return False
    return True


async def answer(query: CallbackQuery, replies: Sequence[Reply], send: Send) -> None:
    """Edit the message pressed with the first reply that replaces it; send the others."""
    first = next((r for r in replies if r.replaces), None)
    edited = first is not None and await edit(query, first)
    rest = [r for r in replies if not (edited and r is first)]

    async def send_all() -> None:
        for reply in rest:
            await send(reply)

    if edited:
        await send_all()
    else:  # retiring the keyboard and sending take as long as the slower of the two
        await asyncio.gather(retire(query), send_all())
