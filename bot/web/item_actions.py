"""The item page's action forms, posted: each calls the same function as the chat step
(bot/actions/items.apply, remarks.add_remark, remarks.acknowledge_remarks) with `via="web"`
and the status the page showed (`seen`), so the stale-item check, the role check, the
resident's notification and the audit row are the chat's own.

After a success the browser is sent back to the item (POST/redirect/GET) with a short
"done" line; a stale item, a text out of limits or a gone assignee shows the item as it is
now with the reason; an action the role does not allow is refused (403) and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.actions import items, remarks
from bot.actions.items import Outcome, Result
from bot.actions.remarks import REMARK_LIMITS
from bot.web import urls
from bot.web.item import show
from handlers.feedback_status import NOTIFIES_RESIDENT, Action, Status
from storage.feedback import normalize_code

if TYPE_CHECKING:
    from bot.web.console import Visit

REMARK = "remark"
SEEN = "seen"  # acknowledge the item's supervision remarks
FORM_TEXT_LIMIT = 20_000  # characters kept from a posted text before the layer measures it
# A problem key about "no text" speaks of photos and buttons in chat: on a page, say so plainly.
NO_TEXT = {"inbox.text_only": "web.text_missing", "again.not_text": "web.text_missing"}


async def act(visit: Visit) -> web.StreamResponse:
    """Take the posted action on the item if the person may and it is still as they saw it."""
    code = normalize_code(visit.request.match_info["code"])
    item = await visit.store.feedback.get_by_code(code) if code else None
    if item is None:
        return visit.page("refused.html", status=404, message=visit.t("web.no_item"))
    form = await visit.request.post()
    name = str(form.get("action", ""))
    text = str(form.get("text", ""))[:FORM_TEXT_LIMIT]
    staff = visit.session.staff
    if name == REMARK:
        outcome = await remarks.add_remark(visit, staff, item.id, text, visit.now, via="web")
        bounds = REMARK_LIMITS
    elif name == SEEN:
        outcome = await remarks.acknowledge_remarks(visit, staff, item.id, visit.now, via="web")
        bounds = (0, 0)
    elif name in {a.value for a in items.STAFF_ACTIONS}:
        action = Action(name)
        assignee = str(form.get("assignee", ""))
        outcome = await items.apply(
            visit, staff, item.id, action, seen_status=str(form.get("seen", "")),
            now=visit.now, via="web", text=text,
            assignee_id=int(assignee) if assignee.isdigit() and len(assignee) < 18 else None,
        )  # fmt: skip
        bounds = items.limits(action)
    else:
        outcome = Outcome(Result.NOT_ALLOWED)
        bounds = (0, 0)
    return await _answer(visit, item.code, name, outcome, text, bounds)


async def _answer(
    visit: Visit, code: str, name: str, outcome: Outcome, text: str, bounds: tuple[int, int]
) -> web.StreamResponse:
    if outcome.result is Result.DONE:
        target = urls.ITEM.format(code=code) + f"?done={name}"
        if name == SEEN:
            target += f"&n={outcome.count}"
        elif Action(name) in NOTIFIES_RESIDENT:  # as chat: say whether the resident is told
            target += f"&told={int(outcome.told)}"
        return web.Response(status=303, headers={"Location": target})
    if outcome.result is Result.NOT_ALLOWED:
        return visit.page("refused.html", status=403, message=visit.t("web.forbidden"))
    if outcome.item is None:
        return visit.page("refused.html", status=404, message=visit.t("web.no_item"))
    item = outcome.item
    if outcome.result is Result.STALE:
        status = visit.t(f"fb.status_{Status(item.status)}")
        error = visit.t("inbox.stale", code=item.code, status=status)
        return await show(visit, item, status=409, error=error)
    low, high = bounds
    key = NO_TEXT.get(outcome.problem or "", outcome.problem or "web.forbidden")
    error = visit.t(key, min=low, max=high, length=len(text.strip()))
    return await show(visit, item, status=400, error=error, typed={"action": name, "text": text})
