"""The always-available commands: menu, help, cancel and stop."""

from __future__ import annotations

from handlers.base import EVERYONE, Context, Flow
from handlers.subscriptions import stop_resident


async def show_menu(ctx: Context) -> str | None:
    """Shows the main menu for the person's role."""
    ctx.show_menu = True
    return None


async def show_help(ctx: Context) -> str | None:
    """Explains, in plain words, every command the person may use."""
    lines = [ctx.t("help.intro")]
    lines += [f"/{cmd} - {ctx.t(f'cmd.{cmd}')}" for cmd in ctx.commands]
    lines.append(ctx.t("help.outro"))
    ctx.replies.append(ctx.reply("\n".join(lines)))
    ctx.show_menu = True
    return None


async def cancel(ctx: Context) -> str | None:
    """Drops the conversation in progress and any photos of an unsent draft."""
    await ctx.store.sessions.delete(ctx.msg.key)
    await ctx.store.media.discard(ctx.msg.channel, ctx.msg.user_id)
    ctx.say("basics.cancelled")
    ctx.show_menu = True
    return None


async def stop_pushes(ctx: Context) -> str | None:
    """Stops every scheduled message and broadcast to this resident."""
    resident = ctx.person.resident
    if resident is None:
        ctx.say("basics.stop_nothing")
        return None
    await stop_resident(ctx.store, resident)  # also cancels outreach already queued
    ctx.say("basics.stopped")
    return None


MENU = Flow(key="menu", roles=EVERYONE, start=show_menu, commands=("menu",), menu_order=1)
HELP = Flow(
    key="help",
    roles=EVERYONE,
    start=show_help,
    commands=("help",),
    menu="menu.help",
    menu_order=90,
    needs_registration=False,
)
CANCEL = Flow(key="huy", roles=EVERYONE, start=cancel, commands=("huy",), menu_order=95)
STOP = Flow(key="dung", roles=EVERYONE, start=stop_pushes, commands=("dung",), menu_order=96)
