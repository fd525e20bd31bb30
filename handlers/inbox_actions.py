"""What staff do to an item, in the chat: acknowledge, assign, answer, note, resolve,
transfer, reject.

The steps parse what was pressed or typed, call the action layer (bot/actions/items.py: the
checks, the stale-item rule, the change, the resident's notification and the audit, in one
transaction) and render its outcome. Only once it is done is the official told.
"""

from __future__ import annotations

from bot.actions import items, permissions
from bot.actions.items import Outcome, Result
from bot.messages import Kind, Reply
from handlers.base import Context, make_choice, number
from handlers.feedback_status import NEEDS_TEXT, NOTIFIES_RESIDENT, Action
from handlers.inbox_view import KEY, State, action_of, show_item
from storage.feedback import FeedbackItem

VIA = "chat"


def _refuse(ctx: Context) -> None:
    ctx.say("error.not_allowed")
    ctx.show_menu = True


async def _current(ctx: Context) -> FeedbackItem | None:
    """Load the item this conversation is about; say so when it is gone."""
    item = await ctx.store.feedback.get(int(ctx.draft.get("item") or 0))
    if item is None:
        ctx.say("inbox.not_found")
    return item


async def _stale(ctx: Context, item: FeedbackItem) -> str:
    """Tell the official someone else acted first, and show the item as it is now."""
    ctx.say("inbox.stale", code=item.code, status=ctx.t(f"fb.status_{item.status}"))
    return await show_item(ctx, item)


async def _refused(ctx: Context, outcome: Outcome) -> str | None:
    """Render an outcome that is neither ready nor done: refused, gone or stale."""
    if outcome.result is Result.NOT_ALLOWED:
        _refuse(ctx)
        return None
    if outcome.result is Result.NOT_FOUND or outcome.item is None:
        ctx.say("inbox.not_found")
        return None
    return await _stale(ctx, outcome.item)


async def choose_action(ctx: Context) -> str | None:
    """Starts an action pressed on the item view: at once, or after a choice or a text."""
    action_name, _, item_id = ctx.arg.partition(":")
    action = action_of(action_name)
    if not permissions.may_act_on_items(ctx.person.staff):
        _refuse(ctx)
        return None
    if action is None or item_id != str(ctx.draft.get("item")):
        ctx.say("inbox.not_found")
        return None
    ready = await items.check(
        ctx, ctx.person.staff, int(item_id), action, seen_status=ctx.draft.get("seen", "")
    )
    if ready.result is not Result.READY:
        return await _refused(ctx, ready)
    if action is Action.ASSIGN:
        return await _ask_assignee(ctx, ready.item)
    if action in NEEDS_TEXT:
        ctx.draft["pending"] = action.value
        return _ask_text(ctx, f"inbox.ask_{action}", ready.item, action)
    return await perform(ctx, action)


async def _ask_assignee(ctx: Context, item: FeedbackItem) -> str:
    me, *others = await items.assignees(ctx, ctx.person.staff)
    buttons = [make_choice(f"{KEY}:to:{me.id}", ctx.t("inbox.assign_me", name=me.name))]
    buttons += [make_choice(f"{KEY}:to:{s.id}", s.name) for s in others]
    buttons.append(make_choice(f"{KEY}:item", ctx.t("inbox.cancel")))
    ctx.say("inbox.ask_assignee", code=item.code, choices=tuple(buttons))
    ctx.draft["view"] = "assign"
    return State.ASSIGN


async def assign_to(ctx: Context) -> str | None:
    """Assigns the item to the chosen official (who must still be on the staff list)."""
    return await perform(ctx, Action.ASSIGN, assignee_id=number(ctx.arg) or 0)


def _ask_text(ctx: Context, key: str, item: FeedbackItem | None, action: Action, **values) -> str:
    low, high = items.limits(action)
    cancel = make_choice(f"{KEY}:item", ctx.t("inbox.cancel"))
    code = item.code if item else ""
    ctx.replies.append(Reply(ctx.t(key, code=code, min=low, max=high, **values), (cancel,)))
    ctx.draft["view"] = "text"
    return State.TEXT


async def take_text(ctx: Context) -> str | None:
    """Checks the typed answer, note, agency or reason, then applies the pending action."""
    action = action_of(ctx.draft.get("pending", ""))
    if action is None or ctx.msg.kind is Kind.CHOICE:  # the only button offered: cancel
        item = await _current(ctx)
        return await show_item(ctx, item) if item else None
    if ctx.msg.kind is not Kind.TEXT:
        return _ask_text(ctx, "inbox.text_only", None, action)
    text = ctx.msg.text.strip()
    problem = items.text_problem(action, text)
    if problem is not None:
        return _ask_text(ctx, problem, None, action, length=len(text))
    return await perform(ctx, action, text=text)


async def perform(
    ctx: Context, action: Action, *, text: str | None = None, assignee_id: int | None = None
) -> str | None:
    """Applies an action if the item is still as the official saw it; tells the resident."""
    outcome = await items.apply(
        ctx, ctx.person.staff, int(ctx.draft.get("item") or 0), action,
        seen_status=ctx.draft.get("seen", ""), now=ctx.now, via=VIA,
        text=text, assignee_id=assignee_id,
    )  # fmt: skip
    if outcome.result is Result.INVALID and outcome.problem == "inbox.assignee_gone":
        ctx.say("inbox.assignee_gone")
        return await _ask_assignee(ctx, outcome.item)
    if outcome.result is Result.INVALID:
        return _ask_text(ctx, outcome.problem, None, action, length=len(text or ""))
    if not outcome.done:
        return await _refused(ctx, outcome)
    item, assignee = outcome.item, outcome.assignee
    done = ctx.t(
        f"inbox.done_{action}", code=item.code, name=assignee.name if assignee else "",
        agency=text or "",
    )  # fmt: skip
    if action in NOTIFIES_RESIDENT:
        done += " " + ctx.t("inbox.resident_told" if outcome.told else "inbox.resident_not_told")
    return await show_item(ctx, item, notice=done)  # on the card: in place after a press
