"""/xoadulieu: a resident deletes their personal data, keeping only anonymous counts."""

from __future__ import annotations

from enum import StrEnum

from handlers.base import EVERYONE, Context, Flow

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
    resident = ctx.person.resident
    async with ctx.store.db.transaction():
        await ctx.store.sessions.delete_for_user(ctx.msg.channel, ctx.msg.user_id)
        await ctx.store.media.discard(ctx.msg.channel, ctx.msg.user_id)
        await ctx.store.feedback.unlink_resident(resident.id)
        await ctx.store.outbox.cancel_for_chat(ctx.msg.channel, ctx.msg.chat_id, resident.id)
        await ctx.store.residents.erase(resident.id)
    ctx.say("privacy.deleted")
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=ask,
    steps={State.CONFIRM: confirm},
    commands=("xoadulieu",),
    menu="menu.delete_data",
    menu_order=80,
)
