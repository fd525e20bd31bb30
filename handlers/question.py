"""A sentence typed at the main menu, kept and offered to the commune as a question.

offer -> send (an inbox item of kind "question", answered like feedback) | something else.
The router starts this flow with the typed text; the session stores it before the offer is
shown, and the item is committed before its code is shown.
"""

from __future__ import annotations

from bot.messages import Kind
from handlers import feedback
from handlers.base import Context, Flow
from storage.models import Role

KEY = "hoi"
OFFER = "hoi.offer"
ASKERS = frozenset({Role.RESIDENT, Role.HAMLET_HEAD})


async def offer(ctx: Context) -> str | None:
    """Keeps the typed sentence and offers to send it to the commune as a question."""
    text = ctx.msg.text.strip() if ctx.msg.kind is Kind.TEXT else ""
    if not text:  # a forged "hoi:start" press: nothing was typed
        ctx.say("convo.question_gone")
        ctx.show_menu = True
        return None
    ctx.draft["text"] = text
    ctx.say("convo.question_offer", text=text, choices=(
        ctx.button(f"{KEY}:send", "convo.question_send"),
        ctx.button(f"{KEY}:other", "convo.question_other"),
    ))  # fmt: skip
    return OFFER


async def answer_offer(ctx: Context) -> str | None:
    """Sends the kept sentence as a question, or shows the menu instead."""
    if ctx.action != "send":
        ctx.show_menu = True
        return None
    if await feedback.over_limits(ctx):
        ctx.show_menu = True
        return None
    hamlet = ctx.person.resident.hamlet if ctx.person.resident else None
    category = ctx.commune.question_category
    ctx.draft.update(kind="question", category=category.id, description=ctx.draft["text"],
                     hamlet=hamlet)  # fmt: skip
    item = await feedback._submit(ctx)
    ctx.say("convo.question_sent", code=item.code, deadline=item.deadline.strftime("%d/%m/%Y"))
    ctx.say("fb.track_hint", code=item.code)
    return None


FLOW = Flow(
    key=KEY,
    roles=ASKERS,
    start=offer,
    steps={OFFER: answer_offer},
    buttons_only=frozenset({OFFER}),
)
