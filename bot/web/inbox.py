"""Hộp thư: the table of feedback and questions, filtered, searched, paged by keyset, and
the small JSON answer the page polls for items received since it was shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.view import Reading, reading
from handlers.feedback import KINDS
from handlers.feedback_status import Status
from handlers.inbox_view import category_name, due_short, is_overdue
from storage.feedback import FeedbackItem, normalize_code
from storage.inbox_pages import SEARCH_LIMIT, Cursor, PageFilter
from storage.models import Role, Staff

if TYPE_CHECKING:
    from bot.web.console import Visit

HANDLERS = (Role.OFFICIAL, Role.LEADER, Role.ADMIN)  # whom items are assigned to


def _choice(query, name: str, allowed) -> str | None:
    value = query.get(name, "").strip()
    return value if value in allowed else None


def read_filter(visit: Visit, assignees: dict[int, Staff]) -> PageFilter:
    """Read the filter form; a value that is not one of the choices is ignored."""
    query, commune = visit.request.query, visit.console.commune
    assignee = query.get("assignee", "")
    overdue = query.get("overdue") == "1"
    search = query.get("q", "").strip()[:SEARCH_LIMIT]
    code = normalize_code(search) if search else None
    return PageFilter(
        kind=_choice(query, "kind", KINDS),
        category=_choice(query, "category", {c.id for c in commune.categories}),
        hamlet=_choice(query, "hamlet", commune.hamlets),
        status=_choice(query, "status", {s.value for s in Status}),
        assignee_id=int(assignee) if assignee.isdigit() and int(assignee) in assignees else None,
        overdue_on=reading(visit).today if overdue else None,
        code=code,
        text=search if search and code is None else None,
    )


def row(view: Reading, item: FeedbackItem, staff: dict[int, Staff]) -> dict[str, object]:
    """One line of the table, in words (shared by the page and the JSON poll)."""
    t, today = view.t, view.today
    assignee = staff.get(item.assignee_id) if item.assignee_id else None
    return {
        "id": item.id,
        "code": item.code,
        "received": item.created_at.astimezone(view.commune.zone).strftime("%H:%M %d/%m/%Y"),
        "kind": t(f"fb.kind_{item.kind}"),
        "category": category_name(view.commune, item),
        "hamlet": item.hamlet or "",
        "status": t(f"fb.status_{item.status}"),
        "deadline": item.deadline.strftime("%d/%m/%Y"),
        "due": due_short(view, item, today),
        "overdue": is_overdue(item, today),
        "assignee": assignee.name if assignee else t("inbox.nobody"),
    }


async def page(visit: Visit) -> web.Response:
    """The inbox page: the filter form, one page of items, and the link to the next."""
    view = reading(visit)
    staff = {s.id: s for s in await visit.store.staff.list_all()}
    assignees = {s.id: s for s in staff.values() if s.role in HANDLERS}
    flt = read_filter(visit, assignees)
    after = Cursor.parse(visit.request.query.get("after", ""))
    items, next_cursor = await visit.store.inbox_pages.page(flt, after)
    query = {k: v for k, v in visit.request.query.items() if k != "after"}
    next_url = str(visit.request.rel_url.with_query({**query, "after": str(next_cursor)}))
    first_url = str(visit.request.rel_url.with_query(query))
    commune = visit.console.commune
    return visit.page(
        "inbox.html",
        rows=[row(view, item, staff) for item in items],
        latest=await visit.store.inbox_pages.latest_id(),
        next_url=next_url if next_cursor else None,
        first_url=first_url if after else None,
        query=visit.request.query,
        kinds=[(k, visit.t(f"fb.kind_{k}")) for k in KINDS],
        categories=[(c.id, c.name) for c in commune.categories],
        hamlets=commune.hamlets,
        statuses=[(s.value, visit.t(f"fb.status_{s.value}")) for s in Status],
        assignees=sorted(((s.id, s.name) for s in assignees.values()), key=lambda p: p[1]),
    )


async def newer(visit: Visit) -> web.Response:
    """Rows of matching items received after `since` (the newest id the page knew)."""
    since = visit.request.query.get("since", "")
    if not since.isdigit() or len(since) > 18:
        raise web.HTTPBadRequest()
    view = reading(visit)
    staff = {s.id: s for s in await visit.store.staff.list_all()}
    assignees = {s.id: s for s in staff.values() if s.role in HANDLERS}
    items = await visit.store.inbox_pages.newer(read_filter(visit, assignees), int(since))
    latest = max([int(since), *(item.id for item in items)])
    return web.json_response({"latest": latest, "rows": [row(view, i, staff) for i in items]})
