"""/web: a staff member asks for a one-time link that signs them in to the web console."""

from __future__ import annotations

from bot.actions.permissions import may_use_console, roles_where
from bot.web import urls
from handlers.base import Context, Flow
from storage.web_sessions import TOKEN_LIFETIME

KEY = "web"


async def send_link(ctx: Context) -> str | None:
    """Answers with a sign-in link, valid ten minutes and usable once."""
    staff = ctx.person.staff
    if staff is None or not may_use_console(staff):  # the router checked the role already
        ctx.say("error.not_allowed")
        return None
    token = await ctx.store.web_sessions.issue_token(staff.id, ctx.now)
    minutes = int(TOKEN_LIFETIME.total_seconds() // 60)
    ctx.say("web.link", url=urls.login_url(ctx.console_url, token), minutes=minutes)
    return None


FLOW = Flow(
    key=KEY,
    roles=roles_where(may_use_console),
    start=send_link,
    commands=("web",),
    menu_order=95,
)
