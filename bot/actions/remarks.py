"""Supervision remarks on a feedback item and their acknowledgement, below chat and web.

Members of the people's supervision boards (role `supervisor`) add a remark; the officials
who handle the item are told, on their own channel, in the same transaction; an official
then acknowledges the item's remarks. Each is in the audit with who did it and from where.
"""

from __future__ import annotations

from datetime import datetime

from bot.actions import permissions
from bot.actions.items import Outcome, Result, check_via, current, length_problem, record
from handlers import notify
from handlers.feedback_status import Action
from storage.models import Staff

REMARK_LIMITS = (5, 1000)
REMARK_PROBLEMS = ("again.not_text", "again.too_short", "again.too_long")


def remark_problem(text: str | None) -> str | None:
    """Say what is wrong with a remark's text (a catalog key taking {min}, {max}, {length})."""
    return length_problem(text, REMARK_LIMITS, REMARK_PROBLEMS)


async def _load(
    env: notify.HasStore, actor: Staff | None, item_id: int, may: bool, via: str
) -> Outcome:
    """Check the front, the permission and the item: READY with the item, or why not."""
    check_via(via)
    if actor is None or not may:
        return Outcome(Result.NOT_ALLOWED)
    item = await env.store.feedback.get(item_id)
    return Outcome(Result.READY, item) if item else Outcome(Result.NOT_FOUND)


async def add_remark(
    env: notify.HasStore, actor: Staff | None, item_id: int, text: str, now: datetime, *, via: str
) -> Outcome:
    """Store a supervisor's remark on an item and tell the officials who handle it."""
    actor = await current(env, actor)  # the role and the name as stored now
    loaded = await _load(env, actor, item_id, permissions.may_remark(actor), via)
    if loaded.result is not Result.READY:
        return loaded
    item = loaded.item
    problem = remark_problem(text)
    if problem is not None:
        return Outcome(Result.INVALID, item, problem=problem)
    text = text.strip()
    handlers = await notify.handlers_of(env, item)
    async with env.store.db.transaction():
        remark_id = await env.store.dialogues.add_remark(item.id, actor.id, actor.name, text)
        await notify.tell_staff(
            env, handlers, item, "supervision.for_officials", f"remark:{remark_id}",
            name=actor.name, text=text,
        )  # fmt: skip
        await record(env, actor, Action.REMARK, item, now=now, via=via)
    return Outcome(Result.DONE, item)


async def acknowledge_remarks(
    env: notify.HasStore, actor: Staff | None, item_id: int, now: datetime, *, via: str
) -> Outcome:
    """Record that an official has read the remarks on an item (`count`: how many)."""
    actor = await current(env, actor)  # the role and the name as stored now
    loaded = await _load(env, actor, item_id, permissions.may_acknowledge_remarks(actor), via)
    if loaded.result is not Result.READY:
        return loaded
    item = loaded.item
    async with env.store.db.transaction():
        count = await env.store.dialogues.acknowledge(item.id, actor.name)
        if count:
            await record(env, actor, "acknowledge_remarks", item, now=now, via=via)
    return Outcome(Result.DONE, item, count=count)


async def pending(env: notify.HasStore, item_id: int) -> int:
    """Count the remarks on an item no official has acknowledged yet."""
    return sum(1 for r in await env.store.dialogues.remarks(item_id) if not r.acknowledged_by)
