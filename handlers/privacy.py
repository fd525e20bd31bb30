"""/xoadulieu: a resident deletes their personal data and all they wrote or sent.

Only anonymous counts stay (storage/erasure.py says exactly what goes and what stays).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from handlers.base import EVERYONE, Context, Flow

log = logging.getLogger(__name__)

KEY = "xoa"


class State(StrEnum):
    CONFIRM = "xoa.confirm"


def _confirm_buttons(ctx: Context) -> tuple:
    return (
        ctx.button(f"{KEY}:confirm:yes", "privacy.yes"),
        ctx.button(f"{KEY}:confirm:no", "privacy.no"),
    )


async def ask(ctx: Context) -> str | None:
    """Says what will be deleted and asks for confirmation."""
    if ctx.person.resident is None:
        ctx.say("privacy.nothing_stored")
        return None
    ctx.say("privacy.ask", choices=_confirm_buttons(ctx))
    return State.CONFIRM


async def confirm(ctx: Context) -> str | None:
    """Deletes the data on "yes"; keeps it on "no"."""
    if ctx.action != "confirm" or ctx.arg not in ("yes", "no"):
        ctx.say("privacy.ask_again", choices=_confirm_buttons(ctx))
        return State.CONFIRM
    if ctx.arg == "no":
        ctx.say("privacy.kept")
        ctx.show_menu = True
        return None
    await ctx.store.erasure.erase(ctx.person.resident)  # what goes and stays: its docstring
    if not await ctx.store.db.checkpoint():
        log.warning("erasure: readers kept the WAL checkpoint from completing")
    ctx.say("privacy.deleted")
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=ask,
    steps={State.CONFIRM: confirm},
    buttons_only=frozenset({State.CONFIRM}),
    commands=("xoadulieu",),
    menu="menu.delete_data",
    menu_order=80,
)
