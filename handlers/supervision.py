"""People's supervision boards in the staff inbox: read-only access plus remarks.

Members of the People's Inspection Board and the Community Investment Supervision Board
(role `supervisor`) read feedback items and statistics but never change them; they may add
a supervision remark, which the officials in charge are told about and must acknowledge.
They never see who sent an anonymous item, nor internal notes unless the commune allows.
The rules and the writes are in bot/actions/remarks.py; these steps parse and render.
"""

from __future__ import annotations

from bot.actions import permissions, remarks
from bot.actions.items import Result
from bot.messages import Reply
from handlers.base import Context, number
from handlers.inbox_view import show_item

REMARK_STATE = "hs.remark"
REMARK_LIMITS = remarks.REMARK_LIMITS
VIA = "chat"


async def ask_remark(ctx: Context) -> str | None:
    """Asks a supervisor for the remark's text."""
    if not permissions.may_remark(ctx.person.staff) or ctx.arg != str(ctx.draft.get("item")):
        ctx.say("error.not_allowed")
        return None
    ctx.say("supervision.ask", min=REMARK_LIMITS[0], max=REMARK_LIMITS[1])
    return REMARK_STATE


async def take_remark(ctx: Context) -> str | None:
    """Stores the remark and tells the officials in charge, who must acknowledge it."""
    if not permissions.may_remark(ctx.person.staff):
        ctx.say("error.not_allowed")
        return None
    text = ctx.typed(REMARK_LIMITS, "supervision.ask")
    if text is None:
        return REMARK_STATE
    item_id = int(ctx.draft.get("item") or 0)
    outcome = await remarks.add_remark(ctx, ctx.person.staff, item_id, text, ctx.now, via=VIA)
    if not outcome.done:
        ctx.say("error.not_allowed")
        return None
    ctx.replies.append(Reply(ctx.t("supervision.saved", code=outcome.item.code)))
    return await show_item(ctx, outcome.item)


async def acknowledge(ctx: Context) -> str | None:
    """Records that an official has read the remarks on an item."""
    item_id = number(ctx.arg)
    if not item_id or item_id != ctx.draft.get("item"):
        ctx.say("error.not_allowed")
        return None
    outcome = await remarks.acknowledge_remarks(ctx, ctx.person.staff, item_id, ctx.now, via=VIA)
    if outcome.result is not Result.DONE:
        ctx.say("error.not_allowed")
        return None
    ctx.replies.append(Reply(ctx.t("supervision.acknowledged", count=outcome.count)))
    return await show_item(ctx, outcome.item)
