"""What staff do to an item: acknowledge, assign, answer, note, resolve, transfer, reject.

Every action checks again that the person may act and that the item is still in the status
they saw; it is recorded with who did it and, in the same transaction, the resident's
notification is put in the outbox. Only then is the official told it is done.
"""

from __future__ import annotations

from bot.messages import Kind, Reply
from handlers import notify
from handlers.base import Context, make_choice
from handlers.feedback_status import (
    NEEDS_TEXT,
    NOTIFIES_RESIDENT,
    Action,
    Status,
    allowed,
    next_status,
)
from handlers.inbox_view import KEY, State, action_of, show_item
from storage.feedback import FeedbackItem, StaleItem
from storage.models import Role, Staff

TEXT_LIMITS = {Action.TRANSFER: (2, 200)}  # an agency's name
DEFAULT_TEXT_LIMITS = (2, 2000)
ASSIGNABLE = frozenset({Role.OFFICIAL, Role.LEADER})
TELEGRAM = "telegram"


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


def _still_as_seen(ctx: Context, item: FeedbackItem, action: Action) -> bool:
    """Tell whether the item is still in the status shown and allows the action."""
    return item.status == ctx.draft.get("seen") and allowed(action, Status(item.status))


async def choose_action(ctx: Context) -> str | None:
    """Starts an action pressed on the item view: at once, or after a choice or a text."""
    action_name, _, item_id = ctx.arg.partition(":")
    action = action_of(action_name)
    if not ctx.person.is_official:
        _refuse(ctx)
        return None
    if action is None or item_id != str(ctx.draft.get("item")):
        ctx.say("inbox.not_found")
        return None
    item = await _current(ctx)
    if item is None:
        return None
    if not _still_as_seen(ctx, item, action):
        return await _stale(ctx, item)
    if action is Action.ASSIGN:
        return await _ask_assignee(ctx, item)
    if action in NEEDS_TEXT:
        ctx.draft["pending"] = action.value
        return _ask_text(ctx, f"inbox.ask_{action}", item, action)
    return await perform(ctx, action)


async def _candidates(ctx: Context) -> list[Staff]:
    """The people an item may be assigned to: the person acting first, then the others."""
    me = ctx.person.staff
    others = [s for s in await ctx.store.staff.list_by_role(*ASSIGNABLE) if s.id != me.id]
    return [me, *others]


async def _ask_assignee(ctx: Context, item: FeedbackItem) -> str:
    me, *others = await _candidates(ctx)
    buttons = [make_choice(f"{KEY}:to:{me.id}", ctx.t("inbox.assign_me", name=me.name))]
    buttons += [make_choice(f"{KEY}:to:{s.id}", s.name) for s in others]
    buttons.append(make_choice(f"{KEY}:item", ctx.t("inbox.cancel")))
    ctx.say("inbox.ask_assignee", code=item.code, choices=tuple(buttons))
    ctx.draft["view"] = "assign"
    return State.ASSIGN


async def assign_to(ctx: Context) -> str | None:
    """Assigns the item to the chosen official (who must still be on the staff list)."""
    if not ctx.person.is_official:
        _refuse(ctx)
        return None
    chosen = next((s for s in await _candidates(ctx) if str(s.id) == ctx.arg), None)
    if chosen is None:
        item = await _current(ctx)
        if item is None:
            return None
        ctx.say("inbox.assignee_gone")
        return await _ask_assignee(ctx, item)
    return await perform(ctx, Action.ASSIGN, assignee=chosen)


def _limits(action: Action) -> tuple[int, int]:
    return TEXT_LIMITS.get(action, DEFAULT_TEXT_LIMITS)


def _ask_text(ctx: Context, key: str, item: FeedbackItem | None, action: Action, **values) -> str:
    low, high = _limits(action)
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
    low, high = _limits(action)
    if len(text) < low:
        return _ask_text(ctx, "inbox.text_short", None, action)
    if len(text) > high:
        return _ask_text(ctx, "inbox.text_long", None, action, length=len(text))
    return await perform(ctx, action, text=text)


async def perform(
    ctx: Context, action: Action, *, text: str | None = None, assignee: Staff | None = None
) -> str | None:
    """Applies an action if the item is still as the official saw it; tells the resident."""
    if not ctx.person.is_official:
        _refuse(ctx)
        return None
    item = await _current(ctx)
    if item is None:
        return None
    if not _still_as_seen(ctx, item, action):
        return await _stale(ctx, item)
    me = ctx.person.staff
    try:
        async with ctx.store.db.transaction():
            item = await ctx.store.feedback.apply(
                item.id,
                action=action,
                expect_status=item.status,
                to_status=next_status(action, Status(item.status)),
                actor="staff",
                staff_id=me.id,
                staff_name=me.name,
                text=assignee.name if assignee else text,
                internal=action is Action.NOTE,
                assignee_id=assignee.id if assignee else None,
                transferred_to=text if action is Action.TRANSFER else None,
            )
            told = await _tell(ctx, item, action, text, assignee)
    except StaleItem:
        fresh = await _current(ctx)
        return await _stale(ctx, fresh) if fresh else None
    done = ctx.t(
        f"inbox.done_{action}", code=item.code, name=assignee.name if assignee else "",
        agency=text or "",
    )  # fmt: skip
    if action in NOTIFIES_RESIDENT:
        done += " " + ctx.t("inbox.resident_told" if told else "inbox.resident_not_told")
    return await show_item(ctx, item, notice=done)  # on the card: in place after a press


async def _tell(
    ctx: Context, item: FeedbackItem, action: Action, text: str | None, assignee: Staff | None
) -> bool:
    """Queue the resident's notification (and the new assignee's); return if the resident is."""
    count = await ctx.store.feedback.count_events(item.id)
    told = False
    if action in NOTIFIES_RESIDENT:
        buttons = ()
        if action is Action.RESOLVE:
            buttons = (
                (f"tc:done:{item.id}", "inbox.resident_done"),
                (f"tc:notdone:{item.id}", "inbox.resident_notdone"),
            )
        source = f"fb:{item.id}:{action}:{count}"
        told = bool(
            await notify.tell_sender(
                ctx, item, f"inbox.resident_{action}", source, buttons=buttons, text=text or ""
            )
        )
    me = ctx.person.staff
    if assignee is not None and assignee.id != me.id and assignee.channel == TELEGRAM:
        source = f"fb:{item.id}:assigned:{count}"
        await notify.tell_staff(ctx, [assignee.user_id], item, "inbox.assigned_to_you", source)
    return told
