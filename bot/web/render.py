"""Pages from Jinja2 templates (bot/web/templates/), autoescaped, every word from the catalogs."""

from __future__ import annotations

from functools import cache

import jinja2
from aiohttp import web

from bot.web import urls


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


def page(template: str, *, status: int = 200, **values) -> web.Response:
    """Render `template` (which extends the base layout) with `values` as an HTML answer."""
    html = environment().get_template(template).render(urls=urls, **values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
