"""Deadline checks for feedback: remind whoever handles an item, escalate overdue ones.

Run by the scheduler (no conversation, hence no Context). Every push carries a source key
made of the item, the deadline or the day, so running the check twice sends nothing twice.
Nothing is sent on the office's days off: reminders counted in working days go out on the
last working days before the deadline, and overdue items reach the leaders each working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.config import Commune
from bot.i18n import translator
from bot.workdays import WorkCalendar
from handlers import notify
from handlers.inbox_view import overdue_days, work_calendar
from storage import Storage
from storage.feedback import FeedbackItem
from storage.models import Staff


@dataclass(frozen=True, slots=True)
class DeadlineRun:
    """What one check did: items reminded about and items escalated, with pushes queued."""

    reminded: int = 0
    escalated: int = 0
    pushes: int = 0


async def check_deadlines(
    store: Storage, commune: Commune, today: date, console_url: str = ""
) -> DeadlineRun:
    """Remind handlers of items due soon and alert leaders about overdue ones.

    `console_url` is the staff console's base URL, for the links in the pushes."""
    calendar = work_calendar(commune)
    if not calendar.is_working_day(today):
        return DeadlineRun()
    env = notify.Scope(store, commune, console_url)
    horizon = calendar.add_working_days(today, commune.feedback.remind_days_before)
    staff = {s.id: s for s in await store.staff.list_all()}
    reminded = escalated = pushes = 0
    for item in await store.feedback.open_due_by(horizon):
        if item.deadline < today:
            pushes += await _escalate(env, item, calendar, today, staff)
            escalated += 1
        else:
            pushes += await _remind(env, item, calendar, today, staff)
            reminded += 1
    return DeadlineRun(reminded, escalated, pushes)


async def _remind(
    env: notify.Scope,
    item: FeedbackItem,
    calendar: WorkCalendar,
    today: date,
    staff: dict[int, Staff],
) -> int:
    """Remind the assignee, or the category's officials when nobody is assigned."""
    assignee = staff.get(item.assignee_id) if item.assignee_id else None
    chats = [assignee] if assignee is not None else await notify.category_staff(env, item.category)
    days = calendar.working_days_between(today, item.deadline)
    return await notify.tell_staff(
        env,
        chats,
        item,
        "sla.remind_today" if days == 0 else "sla.remind",
        f"sla:remind:{item.id}:{item.deadline.isoformat()}",
        deadline=item.deadline.strftime("%d/%m/%Y"),
        days=days,
    )


async def _escalate(
    env: notify.Scope,
    item: FeedbackItem,
    calendar: WorkCalendar,
    today: date,
    staff: dict[int, Staff],
) -> int:
    """Alert the leaders about an overdue item and mark it escalated, in one transaction."""
    assignee = staff.get(item.assignee_id) if item.assignee_id else None
    t = translator(env.commune.language)
    async with env.store.db.transaction():
        sent = await notify.tell_leaders(
            env,
            item,
            "sla.overdue",
            f"sla:overdue:{item.id}:{today.isoformat()}",
            days=overdue_days(calendar, item.deadline, today),
            deadline=item.deadline.strftime("%d/%m/%Y"),
            assignee=assignee.name if assignee else t("inbox.nobody"),
        )
        await env.store.feedback.mark_escalated(item.id)
    return sent
