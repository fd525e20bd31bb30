"""The console on the bot's HTTP server: each route wrapped in the same checks.

Every request to a console address passes here first: the session cookie is read and the
staff record behind it looked up afresh (a person removed from staff, or moved to a role
without console access, is signed out at their next click); the route's permission is asked;
a POST must come from the console's own origin and carry the session's CSRF token. Every
answer carries the security headers; pages are never cached (they hold personal data).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.actions.permissions import may_use_console
from bot.channels.webhook import client_address
from bot.i18n import Translator, translator
from bot.recent import Attempts
from bot.web import render, urls
from storage.db import utcnow
from storage.web_sessions import SESSION_LIFETIME, WebSession

if TYPE_CHECKING:
    from bot.config import Commune
    from bot.web.routes import Route
    from storage import Storage

log = logging.getLogger(__name__)

COOKIE = "loaxa_session"
SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW = 10, 600.0  # per address, in seconds: then refused a while
NEXT_COOKIE = "loaxa_next"  # where a visitor who was not signed in was going
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; media-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # A sign-in link in the address bar never leaves for another site. ("no-referrer" would
    # make Chromium send `Origin: null` with the console's own forms, refused below.)
    "Referrer-Policy": "same-origin",
}


@dataclass
class Visit:
    """One request to the console, with who made it."""

    request: web.Request
    console: Console
    session: WebSession | None
    session_id: str | None
    t: Translator
    now: datetime

    @property
    def store(self) -> Storage:
        return self.console.store

    @property
    def commune(self) -> Commune:  # with store and console_url: what the action layer needs
        return self.console.commune

    @property
    def console_url(self) -> str:
        return self.console.base_url

    @property
    def address(self) -> str:
        return client_address(self.request)

    def nav(self) -> list[tuple[str, str, bool]]:
        """The menu: (address, label, current) for each page this person may use."""
        staff = self.session.staff if self.session else None
        if staff is None:
            return []
        return [
            (route.path, self.t(route.nav), self.request.path == route.path)
            for route in self.console.routes
            if route.nav and route.permission is not None and route.permission(staff)
        ]

    def page(self, template: str, *, status: int = 200, **values) -> web.Response:
        """Render a page in the console's layout for this visit."""
        staff = self.session.staff if self.session else None
        return render.page(
            template, status=status, t=self.t, nav=self.nav(), staff=staff,
            csrf=self.session.csrf if self.session else "",
            commune=self.console.commune.display_name, **values,
        )  # fmt: skip


class Console:
    """The staff console: the route table mounted on an aiohttp application."""

    def __init__(
        self,
        store: Storage,
        commune: Commune,
        base_url: Callable[[], str],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.commune = commune
        self._base_url = base_url
        self.clock = clock
        self.t = translator(commune.language, commune.address)
        self.attempts = Attempts(SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW)  # per address

    @property
    def base_url(self) -> str:
        """The console's public base URL (LOAXA_WEB_URL, or where the server listens)."""
        return self._base_url()

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def mount(self, app: web.Application) -> None:
        """Register every route of the table, and the static files, on `app`."""
        from bot.web.routes import ROUTES

        self.routes = ROUTES
        for route in ROUTES:
            app.router.add_route(route.method, route.path, self._wrap(route))
        app.router.add_get(urls.STATIC, self._static)

    def _wrap(self, route: Route):
        async def handle(request: web.Request) -> web.StreamResponse:
            response = await self._visit(route, request)
            response.headers.update(HEADERS)
            response.headers["Cache-Control"] = "no-store"
            return response

        return handle

    async def _visit(self, route: Route, request: web.Request) -> web.StreamResponse:
        now = self.clock()
        session_id = request.cookies.get(COOKIE)
        session = await self.store.web_sessions.get(session_id, now) if session_id else None
        if session is not None and not may_use_console(session.staff):
            await self.store.web_sessions.end(session_id)
            session = None
        visit = Visit(request, self, session, session_id if session else None, self.t, now)
        if request.method == "POST":
            refused = await self._refuse_post(visit)
            if refused is not None:
                return refused
        if route.permission is not None:
            if session is None:
                return signed_out(visit)
            if not route.permission(session.staff):
                log.warning("console: %s refused to role %s", route.path, session.staff.role)
                return visit.page("refused.html", status=403, message=self.t("web.forbidden"))
        return await route.handler(visit)

    async def _refuse_post(self, visit: Visit) -> web.Response | None:
        """Refuse a POST from another site, or one without this session's CSRF token."""
        origin = visit.request.headers.get("Origin")
        if origin is None or origin != self.origin:
            log.warning("console: a POST from origin %r refused", origin)
            return visit.page("refused.html", status=403, message=self.t("web.cross_site"))
        if visit.session is None:
            return None  # signing in: the one-time token is the secret
        form = await visit.request.post()
        given = str(form.get("csrf", ""))
        if not hmac.compare_digest(given.encode(), visit.session.csrf.encode()):
            return visit.page("refused.html", status=403, message=self.t("web.cross_site"))
        return None

    def set_session_cookie(self, response: web.StreamResponse, session_id: str) -> None:
        response.set_cookie(
            COOKIE, session_id, path=urls.ROOT, httponly=True, samesite="Strict",
            secure=self.secure, max_age=int(SESSION_LIFETIME.total_seconds()),
        )  # fmt: skip

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        body = resources.files("bot.web").joinpath("static", name).read_bytes()
        headers = {**HEADERS, "Cache-Control": "max-age=3600"}
        return web.Response(body=body, content_type=STATIC_FILES[name], headers=headers)


def local_path(path: str | None) -> str | None:
    """Accept only a local console path (never another site) to go to after sign-in."""
    if not path or not path.startswith(urls.ROOT + "/") or path.startswith("//"):
        return None
    if "\\" in path or any(c in path for c in "\r\n") or urlsplit(path).netloc:
        return None
    return path


def signed_out(visit: Visit) -> web.Response:
    """Say how to get a sign-in link, remembering where the visitor was going."""
    request = visit.request
    # SameSite=Strict keeps the cookie off a navigation from a chat app's link: look again
    # from this page (same-site now) before saying the visitor is not signed in.
    cross = request.headers.get("Sec-Fetch-Site") == "cross-site"
    if cross and COOKIE not in request.cookies and request.query.get("again") is None:
        again = request.rel_url.update_query({"again": "1"})
        return visit.page("again.html", status=401, again=str(again))
    response = visit.page("signed_out.html", status=401)
    going = local_path(request.path_qs if request.method == "GET" else None)
    if going is not None:
        response.set_cookie(
            NEXT_COOKIE, going, path=urls.ROOT, httponly=True, samesite="Lax",
            secure=visit.console.secure, max_age=3600,
        )  # fmt: skip
    return response
