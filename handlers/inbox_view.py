"""How the staff inbox shows an item: details, photos, history and the actions it allows.

Whoever sent an anonymous item is never shown: not their name, not their id, not the
hamlet head who sent it for them. A complaint or a denunciation shows its kind first, with
the time limits of its law, and never the commune's feedback deadline.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from bot.actions import items, permissions, remarks
from bot.config import Commune
from bot.i18n import Translator
from bot.messages import Choice, Media, Reply
from bot.text import snippet
from bot.workdays import WorkCalendar
from handlers.base import Context, make_choice
from handlers.feedback_status import OPEN, STAFF_ACTIONS, Action
from handlers.notify import text_of
from storage.feedback import Event, FeedbackItem
from storage.models import Staff

KEY = "hs"
ACTORS = permissions.OFFICIALS  # who may act on items; checked again on every action
HISTORY_TEXT_LIMIT = 500  # characters of an answer or note quoted in the history


class State(StrEnum):
    BROWSE = "hs.browse"  # the filter menu, a picker or a list page is shown
    ITEM = "hs.item"  # an item with its action buttons
    ASSIGN = "hs.assign"  # choosing who handles the item
    TEXT = "hs.text"  # waiting for an answer, note, agency or reason


def work_calendar(commune: Commune) -> WorkCalendar:
    """Return the commune's working-day calendar."""
    return WorkCalendar(commune.extra_days_off, commune.extra_working_days)


def local_today(ctx: Context) -> date:
    """Return today's date in the commune's time zone."""
    return ctx.now.astimezone(ctx.commune.zone).date()


def overdue_days(calendar: WorkCalendar, deadline: date, today: date) -> int:
    """Count the working days an item is late (at least 1 once the deadline has passed)."""
    return max(1, calendar.working_days_between(deadline, today))


def category_name(commune: Commune, item: FeedbackItem) -> str:
    category = commune.category(item.category)
    return category.name if category else item.category


def map_link(latitude: float, longitude: float) -> str:
    """An OpenStreetMap address that opens the map at a point (phones open it in a map)."""
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def place_of(t: Translator, item: FeedbackItem) -> str:
    """Describe where: the typed address, the hamlet, and a link to the map point if any."""
    parts = [p for p in (item.address, item.hamlet) if p]
    if item.latitude is not None and item.longitude is not None:
        parts.append(t("inbox.place_map", link=map_link(item.latitude, item.longitude)))
    return ", ".join(dict.fromkeys(parts)) or t("inbox.place_unknown")


def is_overdue(item: FeedbackItem, today: date) -> bool:
    """Late: open, past its deadline, and not a complaint or a denunciation (their laws'
    time limits apply, never the commune's deadline) — the chat's rule and the console's."""
    return not item.formal and item.status in OPEN and item.deadline < today


def due_short(ctx: Context, item: FeedbackItem, today: date) -> str:
    """A few words on the deadline for a list line: days left, due today, or days overdue;
    for a complaint or a denunciation, its kind and the law's time limits."""
    t, deadline = ctx.t, item.deadline
    if item.formal:
        return t(f"inbox.due_{item.kind}")
    if item.status not in OPEN:
        return t("inbox.due_closed", deadline=deadline.strftime("%d/%m"))
    calendar = work_calendar(ctx.commune)
    if is_overdue(item, today):
        return t("inbox.due_over", days=overdue_days(calendar, deadline, today))
    if deadline == today:
        return t("inbox.due_today")
    return t("inbox.due_left", days=calendar.working_days_between(today, deadline))


def due_long(ctx: Context, item: FeedbackItem, today: date) -> str:
    """The deadline with the working days left or overdue, for the item view."""
    t, shown = ctx.t, item.deadline.strftime("%d/%m/%Y")
    if item.formal:
        return t("inbox.deadline_formal")
    if item.status not in OPEN:
        return t("inbox.deadline_plain", deadline=shown)
    calendar = work_calendar(ctx.commune)
    if item.deadline < today:
        days = overdue_days(calendar, item.deadline, today)
        return t("inbox.deadline_over", deadline=shown, days=days)
    if item.deadline == today:
        return t("inbox.deadline_today", deadline=shown)
    days = calendar.working_days_between(today, item.deadline)
    return t("inbox.deadline_left", deadline=shown, days=days)


async def staff_by_id(ctx: Context) -> dict[int, Staff]:
    """Return every staff member by id (a small table)."""
    return {s.id: s for s in await ctx.store.staff.list_all()}


async def sender_of(ctx: Context, item: FeedbackItem, staff: dict[int, Staff]) -> str:
    """Name who sent an item, or "Anonymous": never anything more for an anonymous item."""
    if item.anonymous:
        return ctx.t("inbox.sender_anonymous")
    if item.on_behalf_of:
        head = staff.get(item.submitted_by) if item.submitted_by else None
        head_name = head.name if head else ctx.t("inbox.sender_gone")
        return ctx.t("inbox.sender_behalf", head=head_name, name=item.on_behalf_of)
    if item.complainant_name:
        return ctx.t("inbox.sender_named", name=item.complainant_name)
    resident = await ctx.store.residents.get(item.resident_id) if item.resident_id else None
    if resident is None or not resident.display_name:
        return ctx.t("inbox.sender_gone")
    return resident.display_name


async def details(ctx: Context, item: FeedbackItem, staff: dict[int, Staff], photos: int) -> str:
    """Write the item view's main message."""
    t = ctx.t
    assignee = staff.get(item.assignee_id) if item.assignee_id else None
    lines = [t(f"inbox.formal_{item.kind}")] if item.formal else []
    lines += [
        t(
            "inbox.item",
            code=item.code,
            kind=t(f"fb.kind_{item.kind}"),
            category=category_name(ctx.commune, item),
            place=place_of(t, item),
            sender=await sender_of(ctx, item, staff),
            created=item.created_at.astimezone(ctx.commune.zone).strftime("%H:%M %d/%m/%Y"),
            deadline=due_long(ctx, item, local_today(ctx)),
            status=t(f"fb.status_{item.status}"),
            assignee=assignee.name if assignee else t("inbox.nobody"),
            photos=photos,
            text=text_of(t, item),
        )
    ]
    if item.transferred_to:
        lines.append(t("inbox.line_transferred", agency=item.transferred_to))
    if item.escalated:
        lines.append(t("inbox.line_escalated"))
    if item.rating is not None:
        lines.append(t("inbox.line_rating", rating=item.rating))
    if item.rating_comment:
        lines.append(t("inbox.line_comment", comment=item.rating_comment))
    answer = await ctx.store.oa_window.answer_status(item.id)
    if answer is not None and answer[0] == "zalo_oa":  # the OA's 7-day window may hold it
        lines.append(t(OA_ANSWER.get(answer[1], "inbox.line_oa_failed")))
    return "\n".join(lines)


OA_ANSWER = {  # outbox status of the answer to an OA follower -> the card's line
    "sent": "inbox.line_oa_sent",
    "held": "inbox.line_oa_held",
    "pending": "inbox.line_oa_pending",
    "sending": "inbox.line_oa_pending",
}


def _event_line(ctx: Context, event: Event) -> str:
    t = ctx.t
    if event.actor == "staff":
        who = event.staff_name or t("role.official")
    else:
        who = t("inbox.who_resident" if event.actor == "resident" else "inbox.who_system")
    key = f"inbox.act_{event.action}"
    line = t(
        "inbox.history_line",
        at=event.at.astimezone(ctx.commune.zone).strftime("%H:%M %d/%m"),
        who=who,
        what=t(key) if t.has(key) else event.action,
    )
    if event.internal:
        line += f" ({t('inbox.history_internal')})"
    if event.text:
        line += f"\n    “{snippet(event.text, HISTORY_TEXT_LIMIT)}”"
    return line


async def history(ctx: Context, item: FeedbackItem) -> str:
    """Write an item's history for staff, internal notes marked as such."""
    include = permissions.sees_internal_notes(ctx.person.staff, ctx.commune)
    events = await ctx.store.feedback.events(item.id, include_internal=include)
    return "\n".join([ctx.t("inbox.history_title"), *(_event_line(ctx, e) for e in events)])


def action_buttons(ctx: Context, item: FeedbackItem) -> list[Choice]:
    """The actions this person may take on the item in its current status."""
    return [
        make_choice(f"{KEY}:act:{action}:{item.id}", ctx.t(f"inbox.do_{action}"))
        for action in items.available(ctx.person.staff, item)
    ]


async def remarks_text(ctx: Context, item: FeedbackItem) -> str:
    """List an item's supervision remarks and whether an official has seen each."""
    found = await ctx.store.dialogues.remarks(item.id)
    if not found:
        return ""
    lines = [ctx.t("supervision.title")]
    for remark in found:
        seen = (
            ctx.t("supervision.seen_by", name=remark.acknowledged_by)
            if remark.acknowledged_by
            else ctx.t("supervision.not_seen")
        )
        lines.append(ctx.t("supervision.line", name=remark.staff_name, text=remark.text, seen=seen))
    return "\n".join(lines)


async def remark_buttons(ctx: Context, item: FeedbackItem) -> list[Choice]:
    """A supervisor may remark; an official acknowledges remarks not yet seen."""
    staff = ctx.person.staff
    if permissions.may_remark(staff):
        return [make_choice(f"{KEY}:remark:{item.id}", ctx.t("supervision.add"))]
    if permissions.may_acknowledge_remarks(staff) and await remarks.pending(ctx, item.id):
        return [make_choice(f"{KEY}:ack:{item.id}", ctx.t("supervision.acknowledge"))]
    return []


def back_buttons(ctx: Context) -> list[Choice]:
    """Ways back: to the list the item was opened from, and to the inbox's filter menu."""
    buttons = [make_choice(f"{KEY}:menu", ctx.t("inbox.back_inbox"))]
    if ctx.draft.get("f"):
        buttons.insert(0, make_choice(f"{KEY}:list", ctx.t("inbox.back_list")))
    return buttons


async def show_item(ctx: Context, item: FeedbackItem, notice: str = "") -> str:
    """Shows an item as one card: `notice` (what was just done), details, history and the
    actions; photos and voice notes behind a button. Pressed from the card, it is redrawn."""
    staff = await staff_by_id(ctx)
    photos = len(await ctx.store.media.for_feedback(item.id))
    voices = len(await ctx.store.media.voices_for_feedback(item.id))
    board = await remarks_text(ctx, item)
    parts = [notice, await details(ctx, item, staff, photos), await history(ctx, item), board]
    text = "\n\n".join(p for p in parts if p) + "\n\n" + ctx.t("inbox.what_next")
    extra = await remark_buttons(ctx, item)
    media = (
        [make_choice(f"{KEY}:media:{item.id}", ctx.t("inbox.show_media"))]
        if photos or voices
        else []
    )
    choices = (*action_buttons(ctx, item), *extra, *media, *back_buttons(ctx))
    ctx.replies.append(Reply(text, choices=choices, columns=2, replaces=ctx.pressed))
    ctx.draft.update(item=item.id, seen=item.status, view="item")
    ctx.draft.pop("pending", None)
    return State.ITEM


async def show_media(ctx: Context) -> str | None:
    """Sends the current item's photos and voice notes below its card."""
    item = await ctx.store.feedback.get(int(ctx.draft.get("item") or 0))
    if item is None or ctx.arg != str(item.id):
        ctx.say("inbox.not_found")
        return State.ITEM if item else None
    photos = await ctx.store.media.for_feedback(item.id)
    for n, data in enumerate(photos, 1):
        caption = ctx.t("inbox.photo_caption", n=n, total=len(photos), code=item.code)
        ctx.replies.append(Reply(caption, media=Media("photo", f"{item.code}-{n}.jpg", data)))
    voices = await ctx.store.media.voices_for_feedback(item.id)
    for n, (data, seconds) in enumerate(voices, 1):
        caption = ctx.t("voice.caption", n=n, total=len(voices), code=item.code,
                        seconds=seconds or "?")  # fmt: skip
        name = f"{item.code}-{n}.ogg" if data.startswith(b"OggS") else f"{item.code}-{n}"
        ctx.replies.append(Reply(caption, media=Media("voice", name, data)))
    return await show_item(ctx, item)  # the card keeps its buttons (unchanged, in place)


def action_of(value: str) -> Action | None:
    """Read a staff action from button data, or None."""
    return next((a for a in STAFF_ACTIONS if a.value == value), None)
