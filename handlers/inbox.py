"""/hopthu: the officials' feedback inbox: filters, pages of items, an item and its actions.

menu -> (category | hamlet picker) -> list page -> item -> action (-> assignee | text).
"hs:open:<id>" (the button on pushed notifications) opens an item with no conversation
in progress. Supervisors read items and add remarks (handlers/supervision.py); they never act.
"""

from __future__ import annotations

from bot.actions import permissions
from bot.messages import Reply
from bot.text import snippet
from handlers import supervision
from handlers.base import Context, Flow, make_choice, number
from handlers.feedback_status import CLOSED, OPEN, Status
from handlers.inbox_actions import assign_to, choose_action, take_text
from handlers.inbox_view import (
    KEY,
    State,
    category_name,
    due_short,
    local_today,
    show_item,
    show_media,
    text_of,
)
from storage.feedback import InboxFilter

PAGE_SIZE = 5
SNIPPET = 80  # characters of the description on a list line
FILTERS = ("new", "overdue", "mine", "open", "cat", "ham", "closed")
_OPEN = frozenset(s.value for s in OPEN)


def _filter(ctx: Context, code: str | None, value: str | None) -> InboxFilter | None:
    """Turn a filter code (and its category id or hamlet number) into an inbox query."""
    me = ctx.person.staff.id if ctx.person.staff else -1
    if code == "new":
        return InboxFilter(statuses=frozenset({Status.NEW.value}))
    if code == "overdue":
        return InboxFilter(overdue_on=local_today(ctx))
    if code == "mine":
        return InboxFilter(statuses=_OPEN, assignee_id=me)
    if code == "open":
        return InboxFilter(statuses=_OPEN)
    if code == "closed":
        return InboxFilter(statuses=frozenset(s.value for s in CLOSED))
    if code == "cat" and value and ctx.commune.category(value):
        return InboxFilter(statuses=_OPEN, category=value)
    hamlets = ctx.commune.hamlets
    index = number(value or "")
    if code == "ham" and index is not None and index < len(hamlets):
        return InboxFilter(statuses=_OPEN, hamlet=hamlets[index])
    return None


def _filter_title(ctx: Context) -> str:
    code, value = ctx.draft.get("f"), ctx.draft.get("v")
    if code == "cat":
        return ctx.commune.category(value).name
    if code == "ham":
        return ctx.commune.hamlets[int(value)]
    return ctx.t(f"inbox.f_{code}")


async def _count(ctx: Context, code: str) -> int:
    return (await ctx.store.feedback.inbox(_filter(ctx, code, None), 0, 0))[1]


async def start(ctx: Context) -> str | None:
    """Shows how many items are new, overdue, mine and open, and the filters."""
    ctx.draft = {}
    return await _show_menu(ctx)


async def _show_menu(ctx: Context) -> str:
    counts = {code: await _count(ctx, code) for code in ("open", "new", "overdue", "mine")}
    buttons = tuple(make_choice(f"{KEY}:f:{code}", ctx.t(f"inbox.f_{code}")) for code in FILTERS)
    ctx.replies.append(Reply(ctx.t("inbox.title", **counts), choices=buttons, columns=2))
    ctx.draft.update(view="menu")
    return State.BROWSE


async def choose_filter(ctx: Context) -> str | None:
    """Shows the first page of a filter, or the category or hamlet picker first."""
    if ctx.arg == "cat":
        buttons = tuple(make_choice(f"{KEY}:cat:{c.id}", c.name) for c in ctx.commune.categories)
        ctx.say("inbox.ask_category", choices=buttons)
        ctx.draft["view"] = "pick"
        return State.BROWSE
    if ctx.arg == "ham":
        buttons = tuple(
            make_choice(f"{KEY}:ham:{i}", name) for i, name in enumerate(ctx.commune.hamlets)
        )
        ctx.say("inbox.ask_hamlet", choices=buttons)
        ctx.draft["view"] = "pick"
        return State.BROWSE
    return await _start_list(ctx, ctx.arg, None)


async def choose_category(ctx: Context) -> str | None:
    """Lists the open items of one category."""
    return await _start_list(ctx, "cat", ctx.arg)


async def choose_hamlet(ctx: Context) -> str | None:
    """Lists the open items of one hamlet."""
    return await _start_list(ctx, "ham", ctx.arg)


async def _start_list(ctx: Context, code: str, value: str | None) -> str:
    if _filter(ctx, code, value) is None:
        return await _show_menu(ctx)
    ctx.draft.update(f=code, v=value, page=0)
    return await show_list(ctx)


async def turn_page(ctx: Context) -> str | None:
    """Shows another page of the current list."""
    ctx.draft["page"] = number(ctx.arg) or 0
    return await show_list(ctx)


async def show_list(ctx: Context) -> str:
    """Shows one page of the current filter, most urgent deadline first."""
    flt = _filter(ctx, ctx.draft.get("f"), ctx.draft.get("v"))
    if flt is None:
        return await _show_menu(ctx)
    page = max(0, int(ctx.draft.get("page", 0)))
    items, total = await ctx.store.feedback.inbox(flt, page * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if not items and page >= pages:  # the list shrank since the page was offered
        page = pages - 1
        items, total = await ctx.store.feedback.inbox(flt, page * PAGE_SIZE, PAGE_SIZE)
    ctx.draft.update(page=page, view="list")
    title = _filter_title(ctx)
    if not items:
        ctx.say("inbox.list_empty", filter=title, choices=(_menu_button(ctx),))
        return State.BROWSE
    today, t = local_today(ctx), ctx.t
    lines = [t("inbox.list_title", filter=title, total=total, page=page + 1, pages=pages)]
    buttons = []
    for n, item in enumerate(items, page * PAGE_SIZE + 1):
        lines.append(
            t(
                "inbox.list_line",
                n=n,
                code=item.code,
                category=category_name(ctx.commune, item),
                place=item.address or item.hamlet or t("inbox.place_unknown"),
                due=due_short(ctx, item, today),
                status=t(f"fb.status_{item.status}"),
                snippet=snippet(text_of(t, item), SNIPPET),
            )
        )
        buttons.append(make_choice(f"{KEY}:view:{item.id}", f"{n}. {item.code}"))
    if page > 0:
        buttons.append(make_choice(f"{KEY}:page:{page - 1}", t("inbox.prev")))
    if page + 1 < pages:
        buttons.append(make_choice(f"{KEY}:page:{page + 1}", t("inbox.next")))
    buttons.append(_menu_button(ctx))
    ctx.replies.append(ctx.reply("\n".join(lines), choices=tuple(buttons)))
    return State.BROWSE


def _menu_button(ctx: Context):
    return make_choice(f"{KEY}:menu", ctx.t("inbox.filters"))


async def view_item(ctx: Context) -> str | None:
    """Shows an item picked from a list."""
    item = await ctx.store.feedback.get(number(ctx.arg)) if number(ctx.arg) else None
    if item is None:
        ctx.say("inbox.not_found")
        return await show_list(ctx)
    return await show_item(ctx, item)


async def open_item(ctx: Context) -> str | None:
    """Opens an item from a pushed notification's button (no conversation needed)."""
    item = await ctx.store.feedback.get(number(ctx.arg)) if number(ctx.arg) else None
    if item is None:
        ctx.say("inbox.not_found")
        ctx.show_menu = True
        return None
    ctx.draft = {}
    return await show_item(ctx, item)


async def back_to_item(ctx: Context) -> str | None:
    """Shows the current item again (an action given up)."""
    item = await ctx.store.feedback.get(int(ctx.draft.get("item") or 0))
    if item is None:
        ctx.say("inbox.not_found")
        return await _show_menu(ctx)
    return await show_item(ctx, item)


async def back_to_menu(ctx: Context) -> str | None:
    """Shows the filter menu again."""
    return await _show_menu(ctx)


PRESSES = {
    "f": choose_filter,
    "cat": choose_category,
    "ham": choose_hamlet,
    "page": turn_page,
    "list": show_list,
    "menu": back_to_menu,
    "view": view_item,
    "item": back_to_item,
    "act": choose_action,
    "media": show_media,
    "to": assign_to,
    "remark": supervision.ask_remark,
    "ack": supervision.acknowledge,
}

_RESHOW = {"list": show_list, "item": back_to_item, "assign": back_to_item}


async def on_press(ctx: Context) -> str | None:
    """Runs the pressed button's step (the router has checked it was offered)."""
    step = PRESSES.get(ctx.action)
    if step is not None:
        return await step(ctx)
    ctx.say("inbox.press_button")
    return await _RESHOW.get(ctx.draft.get("view"), back_to_menu)(ctx)


FLOW = Flow(
    key=KEY,
    roles=permissions.READERS,  # supervisors read and remark; the action layer guards actions
    start=start,
    steps={
        State.BROWSE: on_press,
        State.ITEM: on_press,
        State.ASSIGN: on_press,
        State.TEXT: take_text,
        supervision.REMARK_STATE: supervision.take_remark,
    },
    stateless={"open": open_item},
    commands=("hopthu",),
    menu="inbox.menu",
    menu_order=30,
)
