"""An item's page: the chat card's details and history in the same words, photos full size,
voice notes to play, the map point, supervision remarks; and the item's media, served only
to those who may read items.

Below them, the forms of the actions this person's role allows now (bot/actions/items.py
and remarks.py decide; bot/web/item_actions.py takes the POSTs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.actions import items, permissions, remarks
from bot.actions.remarks import REMARK_LIMITS
from bot.web import urls
from bot.web.view import reading
from handlers.base import number
from handlers.feedback_status import NEEDS_TEXT
from handlers.inbox_view import details, history, map_link, remarks_text, staff_by_id
from storage.feedback import FeedbackItem, normalize_code

if TYPE_CHECKING:
    from bot.web.console import Visit


def media_type(kind: str, data: bytes) -> str:
    """The content type of a stored photo or voice note, from its first bytes."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    if data.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3")):
        return "audio/mpeg"
    return "image/jpeg" if kind == "photo" else "application/octet-stream"


async def page(visit: Visit) -> web.Response:
    """Show one item, found by its code."""
    code = normalize_code(visit.request.match_info["code"])
    item = await visit.store.feedback.get_by_code(code) if code else None
    if item is None:
        return visit.page("refused.html", status=404, message=visit.t("web.no_item"))
    return await show(visit, item, notice=await done_line(visit, item))


async def done_line(visit: Visit, item: FeedbackItem) -> str | None:
    """The short line after an action (POST/redirect/GET: `?done=<action>` on the item)."""
    done = visit.request.query.get("done", "")
    if done in {a.value for a in items.STAFF_ACTIONS}:
        assignee = await visit.store.staff.get(item.assignee_id) if item.assignee_id else None
        line = visit.t(
            f"inbox.done_{done}",
            code=item.code,
            name=assignee.name if assignee else "",
            agency=item.transferred_to or "",
        )
        told = {"1": "inbox.resident_told", "0": "inbox.resident_not_told"}
        if visit.request.query.get("told") in told:
            line += " " + visit.t(told[visit.request.query["told"]])
        return line
    if done == "remark":
        return visit.t("supervision.saved", code=item.code)
    count = visit.request.query.get("n", "")
    if done == "seen" and count.isdigit() and len(count) < 6:
        return visit.t("supervision.acknowledged", count=int(count))
    return None


async def forms(visit: Visit, item: FeedbackItem) -> list[tuple[str, str, bool, tuple]]:
    """The action forms for this person now: (action, label, takes a text, text limits)."""
    staff = visit.session.staff
    found = [
        (a.value, visit.t(f"inbox.do_{a}"), a in NEEDS_TEXT, items.limits(a))
        for a in items.available(staff, item)
    ]
    if permissions.may_remark(staff):
        found.append(("remark", visit.t("supervision.add"), True, REMARK_LIMITS))
    if permissions.may_acknowledge_remarks(staff) and await remarks.pending(visit, item.id):
        found.append(("seen", visit.t("supervision.acknowledge"), False, (0, 0)))
    return found


async def show(
    visit: Visit,
    item: FeedbackItem,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    typed: dict[str, str] | None = None,
) -> web.Response:
    """Render the item as it is now, with a notice or an error above its action forms."""
    view = reading(visit)
    staff = await staff_by_id(view)
    attached = await visit.store.media.attached(item.id)
    photos = [m for m in attached if m[1] == "photo"]
    voices = [m for m in attached if m[1] == "voice"]
    point = item.latitude is not None and item.longitude is not None and not item.erased_at
    map_url = map_link(item.latitude, item.longitude) if point else None
    return visit.page(
        "item.html",
        item=item,
        details=await details(view, item, staff, len(photos)),
        photos=[urls.MEDIA.format(media_id=m[0]) for m in photos],
        voices=[(urls.MEDIA.format(media_id=m[0]), m[2]) for m in voices],
        map_url=map_url,
        history=await history(view, item),
        remarks=await remarks_text(view, item),
        actions=await forms(visit, item),
        assignees=await items.assignees(visit, visit.session.staff),
        act_url=urls.ITEM_ACT.format(code=item.code),
        notice=notice,
        error=error,
        typed=typed or {},
        status=status,
    )


async def media(visit: Visit) -> web.Response:
    """Serve an item's photo or voice note (the route checked who may read items)."""
    media_id = number(visit.request.match_info["media_id"])
    found = await visit.store.media.get_attached(media_id) if media_id is not None else None
    if found is None:
        raise web.HTTPNotFound()
    _, kind, data = found
    return web.Response(body=data, content_type=media_type(kind, data))
