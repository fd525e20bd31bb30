"""/laykien: residents give their opinion on public works (dân bàn); officials consult.

Residents of the hamlets a consultation concerns receive it through the outbox, answer once
(they may change their answer until it closes) with an optional comment. At closing the
officials and leaders get the counts by hamlet and the comments; once an official publishes
the commune's conclusion, every participant receives it. The staff side is consult_staff.py.
"""

from __future__ import annotations

from enum import StrEnum

from bot.actions import permissions
from bot.messages import Kind, Reply
from bot.text import snippet
from handlers import consult_results, consult_staff
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from storage.participation import Consultation

KEY = "lk"
COMMENT_LIMIT = 500


class State(StrEnum):
    COMMENT = "lk.comment"


def reaches(consultation: Consultation, hamlet: str | None) -> bool:
    return hamlet in consultation.hamlets


async def start(ctx: Context) -> str | None:
    """Shows officials their menu; shows residents the open consultations for their hamlet."""
    # officials consult; supervision boards read results
    if permissions.may_read_consultations(ctx.person.staff):
        return await consult_staff.menu(ctx)
    resident = ctx.person.resident
    mine = [
        c
        for c in await ctx.store.participation.consultations("open")
        if resident and reaches(c, resident.hamlet)
    ]
    if not mine:
        ctx.say("consult.none_open")
        ctx.show_menu = True
        return None
    if len(mine) == 1:
        return await _show(ctx, mine[0])
    buttons = tuple(make_choice(f"{KEY}:see:{c.id}", snippet(c.title, 60)) for c in mine)
    ctx.say("consult.pick", choices=buttons)
    return None


async def _show(ctx: Context, consultation: Consultation) -> str | None:
    resident = ctx.person.resident
    current = await ctx.store.participation.my_answer(consultation.id, resident.id)
    mine = (
        ctx.t("consult.your_answer", answer=consultation.options[current])
        if current is not None
        else ""
    )
    buttons = tuple(
        make_choice(f"{KEY}:ans:{consultation.id}:{i}", label[:60])
        for i, label in enumerate(consultation.options)
    )
    media = await consult_staff.attachment(ctx.store, consultation)
    if media is not None:
        ctx.replies.append(Reply(consultation.title, media=media))
    ctx.say(
        "consult.show",
        title=consultation.title,
        text=consultation.description,
        closes=consultation.closes_on.strftime("%d/%m/%Y"),
        mine=mine,
        choices=buttons,
    )
    return None


async def _open_for_me(ctx: Context, consultation_id: str) -> Consultation | None:
    """Return the consultation if it is open and concerns this resident's hamlet."""
    found = number(consultation_id)
    consultation = await ctx.store.participation.consultation(found) if found else None
    resident = ctx.person.resident
    if consultation is None or resident is None or not reaches(consultation, resident.hamlet):
        ctx.say("consult.not_for_you")
        return None
    if consultation.status != "open":
        ctx.say("consult.closed", title=consultation.title)
        return None
    return consultation


async def see(ctx: Context) -> str | None:
    """Shows one open consultation (from a pushed invitation or the list)."""
    consultation = await _open_for_me(ctx, ctx.arg)
    return await _show(ctx, consultation) if consultation else None


async def choose(ctx: Context) -> str | None:
    """Stores the resident's answer (replacing an earlier one) and offers to add a comment."""
    consultation_id, _, index = ctx.arg.partition(":")
    consultation = await _open_for_me(ctx, consultation_id)
    if consultation is None:
        return None
    chosen = number(index)
    if chosen is None or chosen >= len(consultation.options):
        return await _show(ctx, consultation)
    resident = ctx.person.resident
    if not await ctx.store.participation.answer(
        consultation.id, resident.id, resident.hamlet, chosen, None
    ):
        ctx.say("consult.closed", title=consultation.title)  # it closed a moment ago
        return None
    ctx.draft.update(consultation=consultation.id, choice=chosen)
    ctx.say(
        "consult.recorded",
        answer=consultation.options[chosen],
        closes=consultation.closes_on.strftime("%d/%m/%Y"),
        choices=(make_choice(f"{KEY}:nocomment", ctx.t("consult.no_comment")),),
    )
    return State.COMMENT


async def take_comment(ctx: Context) -> str | None:
    """Stores an optional comment with the answer."""
    if ctx.msg.kind is not Kind.TEXT or ctx.action == "nocomment":
        ctx.say("consult.thanks")
        return None
    text = ctx.msg.text.strip()
    if len(text) > COMMENT_LIMIT:
        ctx.say("consult.comment_too_long", max=COMMENT_LIMIT)
        return State.COMMENT
    resident = ctx.person.resident
    stored = await ctx.store.participation.answer(
        ctx.draft["consultation"], resident.id, resident.hamlet, ctx.draft["choice"], text
    )
    ctx.say("consult.thanks" if stored else "consult.closed_now")
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={State.COMMENT: take_comment, **consult_staff.STEPS, **consult_results.STEPS},
    stateless={"see": see, "ans": choose, **consult_staff.PRESSES, **consult_results.PRESSES},
    commands=("laykien",),
    menu="menu.consult",
    menu_order=45,
)
