"""/tracuu: residents follow their own feedback; after "resolved" they confirm and rate it.

A resident only ever sees items sent from their own chat. "Not solved" within the commune's
reopen window reopens the item and escalates it to the leaders, not back to the same desk.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.messages import Kind
from bot.text import snippet
from handlers import notify
from handlers.base import EVERYONE, Context, Flow, make_choice, number
from handlers.feedback_status import Action, Status, next_status
from storage.feedback import FeedbackItem, StaleItem, normalize_code

KEY = "tc"
LIST_LIMIT = 10
COMMENT_LIMIT = 500


class State(StrEnum):
    LIST = "tc.list"
    RATE = "tc.rate"
    COMMENT = "tc.comment"


async def _mine(ctx: Context, item: FeedbackItem | None) -> bool:
    """Tell whether the item was sent from this person's chat."""
    if item is None:
        return False
    target = await ctx.store.feedback.notify_target(item.id)
    return target == (ctx.msg.channel, ctx.msg.chat_id)


# What a resident reads of an item's history: each step, in their words, never a staff
# member's name (an assignment's text is the assignee's name: not shown) nor an internal note;
# the texts shown are those the resident was sent (answers, results, agency, reason).
HISTORY_ACTIONS = frozenset({
    "submit", "acknowledge", "assign", "answer", "resolve", "transfer", "reject", "reopen",
    "confirm", "rate", "escalate",
})  # fmt: skip
HISTORY_TEXTS = frozenset({"answer", "resolve", "transfer", "reject", "reopen"})
HISTORY_TEXT_LIMIT = 300


async def _history(ctx: Context, item: FeedbackItem) -> list[str]:
    """The item's history as its resident may see it, then their own rating if given."""
    lines = [ctx.t("fb.track_history")]
    for event in await ctx.store.feedback.events(item.id, include_internal=False):
        if event.internal or event.action not in HISTORY_ACTIONS:
            continue
        at = event.at.astimezone(ctx.commune.zone).strftime("%H:%M %d/%m")
        line = ctx.t("fb.track_event", at=at, what=ctx.t(f"fb.track_act_{event.action}"))
        if event.text and event.action in HISTORY_TEXTS:
            line += f"\n    “{snippet(event.text, HISTORY_TEXT_LIMIT)}”"
        lines.append(line)
    if item.rating is not None:
        lines.append(ctx.t("fb.track_rated", rating=ctx.t(f"fb.rating_{item.rating}")))
    if item.rating_comment:
        lines.append(ctx.t("fb.track_rated_comment", comment=item.rating_comment))
    return lines


async def _describe(ctx: Context, item: FeedbackItem) -> str:
    """The item as its resident sees it: what, where it stands, and its whole history."""
    status = ctx.t(f"fb.status_{item.status}")
    answer = item.last_answer or ctx.t("fb.no_answer_yet")
    due_key = f"fb.track_due_{item.kind}" if item.formal else "fb.track_due"
    card = ctx.t(
        "fb.track_item",
        code=item.code,
        kind=ctx.t(f"fb.kind_{item.kind}"),
        status=status,
        date=item.created_at.astimezone(ctx.commune.zone).strftime("%d/%m/%Y"),
        due=ctx.t(due_key, deadline=item.deadline.strftime("%d/%m/%Y")),
        text=snippet(item.description, 200),
        answer=answer,
    )
    return "\n\n".join([card, "\n".join(await _history(ctx, item))])


async def start(ctx: Context) -> str | None:
    """Lists the person's own items, or shows one when a code follows the command."""
    if ctx.msg.kind is Kind.COMMAND and ctx.msg.args.strip():
        code = normalize_code(ctx.msg.args)
        item = await ctx.store.feedback.get_by_code(code) if code else None
        if not await _mine(ctx, item):
            ctx.say("fb.track_not_found")  # the same answer for "not yours" and "no such code"
            return None
        ctx.replies.append(ctx.reply(await _describe(ctx, item)))
        return None
    items = await _own_items(ctx)
    if not items:
        ctx.say("fb.track_none")
        ctx.show_menu = True
        return None
    lines = [ctx.t("fb.track_list_title", count=len(items))]
    lines += [
        ctx.t("fb.track_line", code=i.code, status=ctx.t(f"fb.status_{i.status}")) for i in items
    ]
    buttons = tuple(make_choice(f"{KEY}:view:{i.id}", i.code) for i in items)
    ctx.replies.append(ctx.reply("\n".join(lines), choices=buttons))
    return State.LIST


async def _own_items(ctx: Context) -> list[FeedbackItem]:
    if ctx.person.resident is not None:
        return await ctx.store.feedback.list_for_resident(ctx.person.resident.id, LIST_LIMIT)
    if ctx.person.staff is not None:
        return await ctx.store.feedback.list_for_submitter(ctx.person.staff.id, LIST_LIMIT)
    return []


async def view(ctx: Context) -> str | None:
    """Shows one of the listed items."""
    item = await ctx.store.feedback.get(number(ctx.arg)) if number(ctx.arg) else None
    if ctx.action != "view" or not await _mine(ctx, item):
        ctx.say("fb.track_not_found")
        return None
    ctx.replies.append(ctx.reply(await _describe(ctx, item)))
    return None


async def _resolved_item(ctx: Context) -> FeedbackItem | None:
    """Return the pressed item if it is this person's and still open to confirmation."""
    item = await ctx.store.feedback.get(number(ctx.arg)) if number(ctx.arg) else None
    if not await _mine(ctx, item):
        ctx.say("fb.track_not_found")
        return None
    window = timedelta(days=ctx.commune.feedback.reopen_days)
    if item.status != Status.RESOLVED or item.rating is not None:
        ctx.say("fb.confirm_already", code=item.code)
        return None
    if item.resolved_at is not None and ctx.now - item.resolved_at > window:
        ctx.say("fb.reopen_too_late", code=item.code, days=ctx.commune.feedback.reopen_days)
        return None
    return item


async def confirm_done(ctx: Context) -> str | None:
    """Thanks the person for confirming and asks for a rating of the handling."""
    item = await _resolved_item(ctx)
    if item is None:
        return None
    ctx.draft["item"] = item.id
    return _ask_rating(ctx, "fb.ask_rating", item)


def _ask_rating(ctx: Context, key: str, item: FeedbackItem) -> str:
    stars = tuple(make_choice(f"{KEY}:rate:{n}", ctx.t(f"fb.rating_{n}")) for n in range(1, 6))
    ctx.say(key, code=item.code, choices=stars)
    return State.RATE


async def reopen(ctx: Context) -> str | None:
    """Reopens a resolved item the person says is not solved, and alerts the leaders."""
    item = await _resolved_item(ctx)
    if item is None:
        return None
    try:
        async with ctx.store.db.transaction():
            item = await ctx.store.feedback.apply(
                item.id,
                action=Action.REOPEN,
                expect_status=item.status,
                to_status=next_status(Action.REOPEN, Status(item.status)),
                actor="resident",
                escalate=True,
            )
            await notify.tell_leaders(ctx, item, "fb.reopened_for_leaders", f"fb:{item.id}:reopen")
    except StaleItem:
        ctx.say("fb.confirm_already", code=item.code)
        return None
    ctx.say("fb.reopened", code=item.code)
    return None


async def take_rating(ctx: Context) -> str | None:
    """Stores the 1-5 rating and offers to add a comment."""
    item = await ctx.store.feedback.get(ctx.draft.get("item", 0))
    if item is None or ctx.action != "rate" or ctx.arg not in {"1", "2", "3", "4", "5"}:
        return _ask_rating(ctx, "fb.rating_again", item) if item else None
    ctx.draft["rating"] = int(ctx.arg)
    if not await ctx.store.feedback.rate(item.id, int(ctx.arg), None):
        ctx.say("fb.confirm_already", code=item.code)  # rated meanwhile, or reopened
        return None
    ctx.say("fb.ask_comment", choices=(make_choice(f"{KEY}:comment:skip", ctx.t("fb.no_comment")),))
    return State.COMMENT


async def take_comment(ctx: Context) -> str | None:
    """Stores an optional comment with the rating."""
    if ctx.action == "comment" or ctx.msg.kind is not Kind.TEXT:
        ctx.say("fb.thanks_rating")
        return None
    text = ctx.msg.text.strip()
    if len(text) > COMMENT_LIMIT:
        ctx.say("fb.comment_too_long", max=COMMENT_LIMIT)
        return State.COMMENT
    await ctx.store.feedback.comment_rating(ctx.draft["item"], text)
    ctx.say("fb.thanks_rating")
    return None


FLOW = Flow(
    key=KEY,
    roles=EVERYONE,
    start=start,
    steps={State.LIST: view, State.RATE: take_rating, State.COMMENT: take_comment},
    stateless={"done": confirm_done, "notdone": reopen},
    commands=("tracuu",),
    menu="menu.track",
    menu_order=20,
)
