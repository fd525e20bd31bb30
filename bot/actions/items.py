"""What staff do to a feedback item: acknowledge, assign, answer, note, resolve, transfer,
reject — one function behind the chat steps and the web console's routes.

Every call checks again that the person may act and that the item is still in the status
they saw. The change, who made it (the item's history), the resident's notification (the
outbox) and the audit row (`via` chat or web) are written in one transaction: once the
outcome says done, it is durable. Nothing here renders text or knows the front that asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.actions import permissions
from handlers import notify
from handlers.feedback_status import (
    NEEDS_TEXT,
    NOTIFIES_RESIDENT,
    STAFF_ACTIONS,
    Action,
    Status,
    allowed,
    next_status,
    staff_actions_for,
)
from storage.feedback import FeedbackItem, StaleItem
from storage.models import Staff

TEXT_LIMITS = {Action.TRANSFER: (2, 200)}  # an agency's name
DEFAULT_TEXT_LIMITS = (2, 2000)
VIA = frozenset({"chat", "web"})
TEXT_PROBLEMS = ("inbox.text_only", "inbox.text_short", "inbox.text_long")


def check_via(via: str) -> None:
    """Refuse a front other than the chat or the web (a programming error, not a user's)."""
    if via not in VIA:
        raise ValueError(f"via must be one of {sorted(VIA)}, got {via!r}")


class Result(StrEnum):
    READY = "ready"  # `check` only: the action may go on (a choice or a text is still to come)
    DONE = "done"
    STALE = "stale"  # someone acted first: the item is no longer as the person saw it
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # the text or the assignee is not acceptable: see `problem`


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a staff action came to, for the front to render."""

    result: Result
    item: FeedbackItem | None = None  # the item as it is now (None when not found)
    told: bool = False  # the resident's notification was queued
    problem: str | None = None  # catalog key saying what is wrong (INVALID)
    assignee: Staff | None = None  # ASSIGN: who the item went to
    count: int = 0  # remarks acknowledged

    @property
    def done(self) -> bool:
        return self.result is Result.DONE


def limits(action: Action) -> tuple[int, int]:
    """Return the shortest and longest text an action takes."""
    return TEXT_LIMITS.get(action, DEFAULT_TEXT_LIMITS)


def text_problem(action: Action, text: str | None) -> str | None:
    """Say what is wrong with an action's text (a catalog key), or None when it is fine.

    The keys take {min}, {max} and {length}; actions without a text accept anything."""
    if action not in NEEDS_TEXT:
        return None
    return length_problem(text, limits(action), TEXT_PROBLEMS)


def length_problem(
    text: str | None, bounds: tuple[int, int], keys: tuple[str, str, str]
) -> str | None:
    """Return keys[0] for no text, keys[1] for too short, keys[2] for too long, else None."""
    low, high = bounds
    length = len((text or "").strip())
    if length == 0:
        return keys[0]
    return keys[1] if length < low else keys[2] if length > high else None


def available(actor: Staff | None, item: FeedbackItem) -> list[Action]:
    """The actions this person may take on the item in its current status, in menu order."""
    if not permissions.may_act_on_items(actor):
        return []
    return staff_actions_for(Status(item.status))


async def current(env: notify.HasStore, actor: Staff | None) -> Staff | None:
    """Return the person's staff record as stored now (None once removed from staff).

    A front may hold a record read earlier (a web session, a long conversation): the role
    asked about is the one the person holds at the moment they act."""
    return await env.store.staff.get(actor.id) if actor is not None else None


async def assignees(env: notify.HasStore, actor: Staff | None) -> list[Staff]:
    """Who an item may be assigned to: the person acting first, then the others."""
    actor = await current(env, actor)
    if not permissions.may_act_on_items(actor):
        return []
    others = [
        s for s in await env.store.staff.list_by_role(*permissions.ASSIGNABLE) if s.id != actor.id
    ]
    return [actor, *others]


async def check(
    env: notify.HasStore, actor: Staff | None, item_id: int, action: Action, *, seen_status: str
) -> Outcome:
    """Tell whether `actor` may start `action` on the item as they saw it (READY if so)."""
    if not permissions.may_act_on_items(await current(env, actor)) or action not in STAFF_ACTIONS:
        return Outcome(Result.NOT_ALLOWED)
    item = await env.store.feedback.get(item_id)
    if item is None:
        return Outcome(Result.NOT_FOUND)
    if item.status != seen_status or not allowed(action, Status(item.status)):
        return Outcome(Result.STALE, item)
    return Outcome(Result.READY, item)


async def apply(
    env: notify.HasStore,
    actor: Staff | None,
    item_id: int,
    action: Action,
    *,
    seen_status: str,
    now: datetime,
    via: str,
    text: str | None = None,
    assignee_id: int | None = None,
) -> Outcome:
    """Take a staff action on an item if it is still as the person saw it; tell the resident."""
    check_via(via)
    actor = await current(env, actor)
    ready = await check(env, actor, item_id, action, seen_status=seen_status)
    if ready.result is not Result.READY:
        return ready
    item = ready.item
    text = text.strip() if text is not None and action in NEEDS_TEXT else None
    problem = text_problem(action, text)
    if problem is not None:
        return Outcome(Result.INVALID, item, problem=problem)
    assignee = None
    if action is Action.ASSIGN:
        assignee = next((s for s in await assignees(env, actor) if s.id == assignee_id), None)
        if assignee is None:
            return Outcome(Result.INVALID, item, problem="inbox.assignee_gone")
    try:
        async with env.store.db.transaction():
            item = await env.store.feedback.apply(
                item.id,
                action=action,
                expect_status=item.status,
                to_status=next_status(action, Status(item.status)),
                actor="staff",
                staff_id=actor.id,
                staff_name=actor.name,
                text=assignee.name if assignee else text,
                internal=action is Action.NOTE,
                assignee_id=assignee.id if assignee else None,
                transferred_to=text if action is Action.TRANSFER else None,
            )
            told = await _tell(env, actor, item, action, text, assignee)
            await record(env, actor, action, item, now=now, via=via)
    except StaleItem:
        fresh = await env.store.feedback.get(item_id)
        return Outcome(Result.STALE, fresh) if fresh else Outcome(Result.NOT_FOUND)
    return Outcome(Result.DONE, item, told=told, assignee=assignee)


async def record(
    env: notify.HasStore, actor: Staff, action: str, item: FeedbackItem, *, now: datetime, via: str
) -> None:
    """Write the audit row of one staff action (inside the action's transaction)."""
    await env.store.audit.record(
        at=now, staff_id=actor.id, staff_name=actor.name, via=via, action=str(action),
        item_code=item.code,
    )  # fmt: skip


async def _tell(
    env: notify.HasStore,
    actor: Staff,
    item: FeedbackItem,
    action: Action,
    text: str | None,
    assignee: Staff | None,
) -> bool:
    """Queue the resident's notification (and the new assignee's); return if the resident is."""
    count = await env.store.feedback.count_events(item.id)
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
                env, item, f"inbox.resident_{action}", source, buttons=buttons, text=text or ""
            )
        )
    if assignee is not None and assignee.id != actor.id:
        source = f"fb:{item.id}:assigned:{count}"
        await notify.tell_staff(env, [assignee], item, "inbox.assigned_to_you", source)
    return told
