"""An item's page: the chat card's details and history in the same words, photos full size,
voice notes to play, the map point, supervision remarks; and the item's media, served only
to those who may read items.

The actions form (acknowledge, assign, answer, ...) comes with bot/actions/items.py: the
template marks its place (`actions` block in item.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.web import urls
from bot.web.view import reading
from handlers import supervision
from handlers.base import number
from handlers.inbox_view import details, history, map_link, staff_by_id
from storage.feedback import normalize_code

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
        remarks=await supervision.remarks_text(view, item),
    )


async def media(visit: Visit) -> web.Response:
    """Serve an item's photo or voice note (the route checked who may read items)."""
    media_id = number(visit.request.match_info["media_id"])
    found = await visit.store.media.get_attached(media_id) if media_id is not None else None
    if found is None:
        raise web.HTTPNotFound()
    _, kind, data = found
    return web.Response(body=data, content_type=media_type(kind, data))
