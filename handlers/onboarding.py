"""Onboarding: greeting, consent, hamlet, subscriptions, then the main menu.

Nothing about a person is stored before they agree: the greeting and the consent
buttons carry all the state there is, so declining leaves no trace.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.messages import Kind
from bot.text import match_choice
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from storage.models import ResidentStatus, Topic

KEY = "onb"
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # Telegram's deep-link alphabet


class State(StrEnum):
    HAMLET = "onb.hamlet"
    SUBSCRIBE = "onb.subscribe"


SUBSCRIPTION_PLANS = {
    "all": (Topic.ANNOUNCEMENTS, Topic.OUTREACH, Topic.SURVEYS),
    "announce": (Topic.ANNOUNCEMENTS,),
    "none": (),
}


def _payload(ctx: Context) -> str:
    args = ctx.msg.args.strip() if ctx.msg.kind is Kind.COMMAND else ""
    return args if PAYLOAD.match(args) else ""


def _consent_buttons(ctx: Context, payload: str) -> tuple:
    yes = f"{KEY}:consent:yes"
    if payload and len(f"{yes}:{payload}".encode()) <= 64:
        yes = f"{yes}:{payload}"
    return (
        ctx.button(yes, "onb.consent_yes"),
        ctx.button(f"{KEY}:consent:no", "onb.consent_no"),
    )


async def start(ctx: Context) -> str | None:
    """Greets a newcomer and asks for consent; welcomes back someone already registered."""
    resident, payload = ctx.person.resident, _payload(ctx)
    if ctx.person.staff is not None and resident is None:
        ctx.say(
            "onb.staff_welcome", name=ctx.person.staff.name, role=ctx.t(f"role.{ctx.person.role}")
        )
        ctx.show_menu = True
        return None
    if resident is not None:
        return await _welcome_back(ctx, payload)
    if ctx.msg.kind is Kind.TEXT:
        answer = match_choice(ctx.msg.text, [ctx.t("onb.consent_yes"), ctx.t("onb.consent_no")])
        if answer is not None:
            return await _decide(ctx, answer == 0, "")
    ctx.say("onb.greeting", commune=ctx.commune.display_name)
    ctx.say("onb.privacy")  # each purpose and each kind of data (Luật 91/2025/QH15)
    ctx.say("onb.privacy_keep", choices=_consent_buttons(ctx, payload))
    return None


async def _welcome_back(ctx: Context, payload: str) -> str | None:
    resident = ctx.person.resident
    if resident.hamlet is None:
        return _ask_hamlet(ctx, "onb.ask_hamlet")
    if resident.status is ResidentStatus.STOPPED:
        await ctx.store.residents.set_status(resident.id, ResidentStatus.ACTIVE)
        ctx.say("onb.resumed")
    ctx.say("onb.welcome_back", name=resident.display_name or "")
    _follow_deep_link(ctx, payload)
    return None


def _follow_deep_link(ctx: Context, payload: str) -> None:
    """Open the flow a deep link names ("rate_mot-cua" opens "rate"), else the menu."""
    ctx.switch_to = payload.split("_", 1)[0] if payload else None
    ctx.switch_args = payload
    ctx.show_menu = ctx.switch_to is None


async def consent(ctx: Context) -> str | None:
    """Registers the resident on "yes" and asks for the hamlet; stores nothing on "no"."""
    parts = ctx.msg.choice.split(":", 3)  # forged data may stop at "onb:consent"
    agreed = len(parts) > 2 and parts[2] == "yes"
    return await _decide(ctx, agreed, parts[3] if len(parts) == 4 else "")


async def _decide(ctx: Context, agreed: bool, payload: str) -> str | None:
    if not agreed:
        if ctx.person.resident is None:
            ctx.say("onb.declined")
            return None
        ctx.say("onb.already_agreed")
        ctx.show_menu = True
        return None
    if ctx.person.resident is not None and ctx.person.resident.hamlet:
        ctx.say("onb.already_agreed")
        ctx.show_menu = True
        return None
    msg = ctx.msg
    await ctx.store.residents.register(
        msg.channel, msg.user_id, msg.chat_id, msg.display_name[:64], ctx.commune.language
    )
    if PAYLOAD.match(payload):
        ctx.draft["payload"] = payload
    return _ask_hamlet(ctx, "onb.ask_hamlet")


def _ask_hamlet(ctx: Context, key: str) -> str:
    buttons = tuple(
        make_choice(f"{KEY}:hamlet:{i}", name) for i, name in enumerate(ctx.commune.hamlets)
    )
    ctx.say(key, choices=buttons)
    return State.HAMLET


async def choose_hamlet(ctx: Context) -> str | None:
    """Stores the hamlet and offers the default subscriptions."""
    hamlets = ctx.commune.hamlets
    index = number(ctx.arg) if ctx.action == "hamlet" else None
    if index is None or index >= len(hamlets):
        return _ask_hamlet(ctx, "onb.hamlet_again")
    resident = await ctx.store.residents.get_by_identity(ctx.msg.channel, ctx.msg.user_id)
    await ctx.store.residents.set_hamlet(resident.id, hamlets[index])
    ctx.say(
        "onb.ask_subscriptions",
        hamlet=hamlets[index],
        choices=tuple(
            ctx.button(f"{KEY}:subs:{plan}", f"onb.subs_{plan}") for plan in SUBSCRIPTION_PLANS
        ),
    )
    return State.SUBSCRIBE


async def choose_subscriptions(ctx: Context) -> str | None:
    """Stores the chosen subscriptions and shows the main menu."""
    plan = SUBSCRIPTION_PLANS.get(ctx.arg) if ctx.action == "subs" else None
    if plan is None:
        ctx.say(
            "onb.subs_again",
            choices=tuple(
                ctx.button(f"{KEY}:subs:{p}", f"onb.subs_{p}") for p in SUBSCRIPTION_PLANS
            ),
        )
        return State.SUBSCRIBE
    resident = await ctx.store.residents.get_by_identity(ctx.msg.channel, ctx.msg.user_id)
    await ctx.store.residents.set_subscriptions(resident.id, plan)
    ctx.say("onb.done" if plan else "onb.done_no_pushes")
    _follow_deep_link(ctx, ctx.draft.pop("payload", ""))
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={State.HAMLET: choose_hamlet, State.SUBSCRIBE: choose_subscriptions},
    stateless={"consent": consent},
    commands=("start",),
    needs_registration=False,
    menu_order=0,
)
