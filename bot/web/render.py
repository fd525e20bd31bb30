"""Pages from Jinja2 templates (bot/web/templates/), autoescaped, every word from the catalogs."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from bot.web import urls

if TYPE_CHECKING:
    from bot.web.console import Visit


@cache
def environment() -> jinja2.Environment:
    """The console's template environment (autoescape on for every template)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def nav(visit: Visit) -> list[tuple[str, str, bool]]:
    """The menu: (address, label, current) for each page this person may use."""
    staff = visit.session.staff if visit.session else None
    if staff is None:
        return []
    return [
        (route.path, visit.t(route.nav), visit.request.path == route.path)
        for route in visit.console.routes
        if route.nav and route.permission is not None and route.permission(staff)
    ]


def page(visit: Visit, template: str, *, status: int = 200, **values) -> web.Response:
    """Render `template` in the base layout for this visit."""
    session = visit.session
    html = (
        environment()
        .get_template(template)
        .render(
            t=visit.t,
            urls=urls,
            nav=nav(visit),
            staff=session.staff if session else None,
            csrf=session.csrf if session else "",
            commune=visit.console.commune.display_name,
            **values,
        )
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
