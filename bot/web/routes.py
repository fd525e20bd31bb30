"""The console's route table: every address, its handler, and the permission it needs.

To add a page: write its handlers in a module of its own (bot/web/<area>.py), add its
address to bot/web/urls.py and its rows here with the permission function from
bot/actions/permissions.py; give it `nav` (a catalog key) to put it in the menu. The console
checks the permission on every request, before the handler runs; tests/test_web_routes.py
walks every row as every role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.actions.permissions import may_read_items
from bot.web import inbox, item, item_actions, signin, urls
from storage.models import Staff

Permission = Callable[[Staff | None], bool]
Handler = Callable[..., Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One address of the console. `permission` None: open to visitors who are not signed
    in (the sign-in pages); otherwise a signed-in staff member for whom it says yes."""

    method: str
    path: str
    handler: Handler
    permission: Permission | None
    nav: str | None = None  # catalog key of its menu entry, if it has one


ROUTES: tuple[Route, ...] = (
    Route("GET", urls.LOGIN, signin.show_login, None),
    Route("POST", urls.LOGIN, signin.login, None),
    Route("POST", urls.LOGOUT, signin.logout, None),
    Route("GET", urls.ROOT, signin.home, None),
    Route("GET", urls.INBOX, inbox.page, may_read_items, nav="web.nav.inbox"),
    Route("GET", urls.INBOX_NEWER, inbox.newer, may_read_items),
    Route("GET", urls.ITEM, item.page, may_read_items),
    Route("POST", urls.ITEM_ACT, item_actions.act, may_read_items),  # the action's own check
    Route("GET", urls.MEDIA, item.media, may_read_items),
)
