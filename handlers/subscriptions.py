"""/theodoi: what a resident receives. Toggle each topic, pause everything, resume, and choose
quiet hours (when scheduled messages wait until morning).

Every button is stateless and acts only on the presser's own record, so an old message keeps
working; the screen is stored as the session's state so that a typed number (Zalo) presses
its button. Pausing is the same as /dung or typing "dừng": status 'stopped', and the
outreach pushes already queued for the resident are cancelled.
"""

from __future__ import annotations

from enum import StrEnum

from bot.messages import Reply
from bot.outreach import QUIET_CHOICES, format_hours
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from storage import Storage
from storage.models import Resident, ResidentStatus, Topic
from storage.outbox import OUTREACH_KINDS

KEY = "td"


class State(StrEnum):
    MENU = "td.menu"


async def stop_resident(store: Storage, resident: Resident) -> int:
    """Stop every outreach push to a resident, cancelling those queued; return how many."""
    async with store.db.transaction():
        await store.residents.set_status(resident.id, ResidentStatus.STOPPED)
        sources = await store.outbox.cancel_for_resident(resident.id, OUTREACH_KINDS)
        # A campaign item cancelled here was never read: let a later firing send it again.
        items = {s.split(":", 2)[2] for s in sources if s.startswith("campaign:")}
        await store.deliveries.forget(resident.id, items)
    return len(sources)


def _resident(ctx: Context) -> Resident | None:
    resident = ctx.person.resident
    if resident is None:
        ctx.say("outreach.subs_residents_only")
        ctx.show_menu = ctx.person.registered
    return resident


async def _show(ctx: Context, resident: Resident, status: ResidentStatus) -> str:
    topics = await ctx.store.residents.subscriptions(resident.id)
    own = await ctx.store.preferences.quiet_hours(resident.id)
    hours = format_hours(own or (ctx.commune.quiet_hours.start, ctx.commune.quiet_hours.end))
    lines = [ctx.t("outreach.subs_title")]
    if status is ResidentStatus.STOPPED:
        lines.append(ctx.t("outreach.subs_paused"))
    elif not topics:
        lines.append(ctx.t("outreach.subs_nothing"))
    lines.append(ctx.t("outreach.subs_quiet", hours=hours))
    lines.append(ctx.t("outreach.subs_hint"))
    buttons = [
        ctx.button(
            f"{KEY}:topic:{topic}",
            "outreach.subs_on" if topic in topics else "outreach.subs_off",
            topic=ctx.t(f"outreach.topic_{topic}"),
        )
        for topic in Topic
    ]
    if status is ResidentStatus.STOPPED:
        buttons.append(ctx.button(f"{KEY}:resume", "outreach.subs_resume"))
    else:
        buttons.append(ctx.button(f"{KEY}:pause", "outreach.subs_pause"))
    buttons.append(ctx.button(f"{KEY}:quiet", "outreach.subs_quiet_button", hours=hours))
    buttons.append(ctx.button(f"{KEY}:done", "outreach.subs_done"))
    text = "\n".join(lines)
    ctx.replies.append(Reply(text, choices=tuple(buttons), replaces=ctx.pressed))  # in place
    return State.MENU


async def show(ctx: Context) -> str | None:
    """Shows what the resident receives, with a button for each thing they can change."""
    resident = _resident(ctx)
    return None if resident is None else await _show(ctx, resident, resident.status)


async def toggle_topic(ctx: Context) -> str | None:
    """Turns one topic on or off and shows the screen again."""
    resident = _resident(ctx)
    if resident is None:
        return None
    topic = next((t for t in Topic if t.value == ctx.arg), None)
    if topic is None:
        ctx.say("error.stale_button")
        return await _show(ctx, resident, resident.status)
    topics = await ctx.store.residents.subscriptions(resident.id)
    topics ^= {topic}
    await ctx.store.residents.set_subscriptions(resident.id, sorted(topics))
    return await _show(ctx, resident, resident.status)


async def pause(ctx: Context) -> str | None:
    """Stops every scheduled message and broadcast (as /dung does)."""
    resident = _resident(ctx)
    if resident is None:
        return None
    await stop_resident(ctx.store, resident)
    ctx.say("outreach.subs_paused_now")
    return await _show(ctx, resident, ResidentStatus.STOPPED)


async def resume(ctx: Context) -> str | None:
    """Starts sending again to a resident who had stopped."""
    resident = _resident(ctx)
    if resident is None:
        return None
    await ctx.store.residents.set_status(resident.id, ResidentStatus.ACTIVE)
    ctx.say("outreach.subs_resumed")
    return await _show(ctx, resident, ResidentStatus.ACTIVE)


async def ask_quiet(ctx: Context) -> str | None:
    """Offers the quiet hours a resident can choose, marking the current ones."""
    resident = _resident(ctx)
    if resident is None:
        return None
    own = await ctx.store.preferences.quiet_hours(resident.id)
    default = (ctx.commune.quiet_hours.start, ctx.commune.quiet_hours.end)
    buttons = []
    for index, choice in enumerate(QUIET_CHOICES):
        key = "outreach.quiet_default" if choice is None else "outreach.quiet_option"
        label = ctx.t(key, hours=format_hours(choice or default))
        if choice == own or (choice is None and own is None):
            label = ctx.t("outreach.quiet_current", label=label)
        buttons.append(make_choice(f"{KEY}:qh:{index}", label))
    buttons.append(ctx.button(f"{KEY}:show", "outreach.subs_back"))
    text = ctx.t("outreach.quiet_ask")
    ctx.replies.append(Reply(text, choices=tuple(buttons), replaces=ctx.pressed))  # in place
    return State.MENU


async def choose_quiet(ctx: Context) -> str | None:
    """Stores the chosen quiet hours and shows the screen again."""
    resident = _resident(ctx)
    if resident is None:
        return None
    index = number(ctx.arg)
    if index is None or index >= len(QUIET_CHOICES):
        ctx.say("error.stale_button")
        return await ask_quiet(ctx)
    choice = QUIET_CHOICES[index]
    if choice is None:
        await ctx.store.preferences.clear_quiet_hours(resident.id)
    else:
        await ctx.store.preferences.set_quiet_hours(resident.id, *choice)
    ctx.say("outreach.quiet_saved")
    return await _show(ctx, resident, resident.status)


async def done(ctx: Context) -> str | None:
    """Closes the screen and shows the main menu."""
    ctx.say("outreach.subs_saved")
    ctx.show_menu = True
    return None


async def not_understood(ctx: Context) -> str | None:
    """Shows the screen again when a typed text matches none of its buttons."""
    ctx.say("outreach.subs_unclear")
    return await show(ctx)


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=show,
    steps={State.MENU: not_understood},
    buttons_only=frozenset({State.MENU}),
    stateless={
        "show": show,
        "topic": toggle_topic,
        "pause": pause,
        "resume": resume,
        "quiet": ask_quiet,
        "qh": choose_quiet,
        "done": done,
    },
    commands=("theodoi",),
    menu="menu.subscriptions",
    menu_order=70,
)
