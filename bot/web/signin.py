"""Signing in with a one-time link, and out.

A chat app fetches a link to show its preview, so opening the link (GET) changes nothing: it
shows one button, "Đăng nhập", a same-origin POST form that uses the token. Sign-in attempts
are counted per address (console.SIGN_IN_ATTEMPTS in SIGN_IN_WINDOW seconds; more are refused
until the window has passed) (a link's token is 256 random bits; this keeps the log and the database
quiet, not the secret safe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.actions.permissions import may_use_console
from bot.web import urls
from bot.web.console import COOKIE, NEXT_COOKIE, local_path, signed_out

if TYPE_CHECKING:
    from bot.web.console import Visit

async def show_login(visit: Visit) -> web.Response:
    """The page a sign-in link opens: one button; the token is not used yet."""
    token = visit.request.match_info["token"]
    if not await visit.store.web_sessions.token_usable(token, visit.now):
        return visit.page("refused.html", status=410, message=visit.t("web.link_dead"))
    return visit.page("login.html", action=visit.request.path)


async def login(visit: Visit) -> web.StreamResponse:
    """Use the token, open a session, and go where the person was going (else the inbox)."""
    if not visit.console.attempts.allow(visit.address):
        return visit.page("refused.html", status=429, message=visit.t("web.too_many"))
    token = visit.request.match_info["token"]
    opened = await visit.store.web_sessions.redeem(token, visit.now)
    if opened is None:
        return visit.page("refused.html", status=410, message=visit.t("web.link_dead"))
    session_id, session = opened
    if not may_use_console(session.staff):  # a role without the console: no session at all
        await visit.store.web_sessions.end(session_id)
        return visit.page("refused.html", status=403, message=visit.t("web.forbidden"))
    await visit.store.web_sessions.record(session.staff, "sign_in", visit.now,
                                          address=visit.address)  # fmt: skip
    going = local_path(visit.request.cookies.get(NEXT_COOKIE)) or urls.INBOX
    response = web.Response(status=303, headers={"Location": going})
    visit.console.set_session_cookie(response, session_id)
    response.del_cookie(NEXT_COOKIE, path=urls.ROOT)
    return response


async def logout(visit: Visit) -> web.StreamResponse:
    """End this session ("Đăng xuất")."""
    if visit.session is not None and visit.session_id is not None:
        await visit.store.web_sessions.end(visit.session_id)
        await visit.store.web_sessions.record(visit.session.staff, "sign_out", visit.now,
                                              address=visit.address)  # fmt: skip
    response = visit.page("refused.html", message=visit.t("web.signed_out_done"))
    response.del_cookie(COOKIE, path=urls.ROOT)
    return response


async def home(visit: Visit) -> web.StreamResponse:
    """The console's root: the inbox for a signed-in person, else how to sign in."""
    if visit.session is None:
        return signed_out(visit)
    return web.Response(status=303, headers={"Location": urls.INBOX})
