"""People's supervision boards in the staff inbox: read-only access plus remarks.

Members of the People's Inspection Board and the Community Investment Supervision Board
(role `supervisor`) read feedback items and statistics but never change them; they may add
a supervision remark, which the officials in charge are told about and must acknowledge.
They never see who sent an anonymous item, nor internal notes unless the commune allows.
"""

from __future__ import annotations

from bot.messages import Reply
from handlers import notify
from handlers.base import Context, make_choice, number
from handlers.inbox_view import KEY
from storage.feedback import FeedbackItem
from storage.models import Role

REMARK_STATE = "hs.remark"
REMARK_LIMITS = (5, 1000)


def is_supervisor(ctx: Context) -> bool:
    return ctx.person.role is Role.SUPERVISOR and ctx.person.staff is not None


def sees_internal_notes(ctx: Context) -> bool:
    """Officials see internal notes; supervisors only if the commune file allows it."""
    return ctx.person.is_official or (
        is_supervisor(ctx) and ctx.commune.supervisors_see_internal_notes
    )


async def remarks_text(ctx: Context, item: FeedbackItem) -> str:
    """List an item's supervision remarks and whether an official has seen each."""
    remarks = await ctx.store.dialogues.remarks(item.id)
    if not remarks:
        return ""
    lines = [ctx.t("supervision.title")]
    for remark in remarks:
        seen = (
            ctx.t("supervision.seen_by", name=remark.acknowledged_by)
            if remark.acknowledged_by
            else ctx.t("supervision.not_seen")
        )
        lines.append(ctx.t("supervision.line", name=remark.staff_name, text=remark.text, seen=seen))
    return "\n".join(lines)


async def buttons(ctx: Context, item: FeedbackItem) -> list:
    """A supervisor may remark; an official acknowledges remarks not yet seen."""
    if is_supervisor(ctx):
        return [make_choice(f"{KEY}:remark:{item.id}", ctx.t("supervision.add"))]
    pending = [r for r in await ctx.store.dialogues.remarks(item.id) if not r.acknowledged_by]
    if pending and ctx.person.is_official:
        return [make_choice(f"{KEY}:ack:{item.id}", ctx.t("supervision.acknowledge"))]
    return []


async def ask_remark(ctx: Context) -> str | None:
    """Asks a supervisor for the remark's text."""
    if not is_supervisor(ctx) or ctx.arg != str(ctx.draft.get("item")):
        ctx.say("error.not_allowed")
        return None
    ctx.say("supervision.ask", min=REMARK_LIMITS[0], max=REMARK_LIMITS[1])
    return REMARK_STATE


async def take_remark(ctx: Context) -> str | None:
    """Stores the remark and tells the officials in charge, who must acknowledge it."""
    from handlers.inbox_view import show_item

    item = await ctx.store.feedback.get(int(ctx.draft.get("item") or 0))
    if not is_supervisor(ctx) or item is None:
        ctx.say("error.not_allowed")
        return None
    text = ctx.typed(REMARK_LIMITS, "supervision.ask")
    if text is None:
        return REMARK_STATE
    me = ctx.person.staff
    async with ctx.store.db.transaction():
        remark_id = await ctx.store.dialogues.add_remark(item.id, me.id, me.name, text)
        await _tell_officials(ctx, item, me.name, text, remark_id)
    ctx.replies.append(Reply(ctx.t("supervision.saved", code=item.code)))
    return await show_item(ctx, item)


async def _tell_officials(ctx: Context, item: FeedbackItem, name: str, text: str, remark_id: int):
    staff = {s.id: s for s in await ctx.store.staff.list_all()}
    assignee = staff.get(item.assignee_id) if item.assignee_id else None
    if assignee is not None and assignee.channel == notify.TELEGRAM:  # staff work on Telegram
        chats = [assignee.user_id]
    else:
        chats = await notify.category_staff_chats(ctx, item.category)
    await notify.tell_staff(
        ctx, chats, item, "supervision.for_officials", f"remark:{remark_id}", name=name, text=text
    )


async def acknowledge(ctx: Context) -> str | None:
    """Records that an official has read the remarks on an item."""
    from handlers.inbox_view import show_item

    item = await ctx.store.feedback.get(number(ctx.arg)) if number(ctx.arg) else None
    if not ctx.person.is_official or item is None or item.id != ctx.draft.get("item"):
        ctx.say("error.not_allowed")
        return None
    count = await ctx.store.dialogues.acknowledge(item.id, ctx.person.staff.name)
    ctx.replies.append(Reply(ctx.t("supervision.acknowledged", count=count)))
    return await show_item(ctx, item)
