"""The console's route table walked as every role, over real HTTP against the running bot.

Each person signs in the way a browser does (the one-time link's POST, from the console's
origin); every route of bot/web/routes.py is then asked for, and the answer must be what the
route's permission function says: the page, "not for your role", or "sign in first".
"""

from __future__ import annotations

from datetime import date

import aiohttp
import pytest

from bot.actions.permissions import may_use_console
from bot.web import urls
from bot.web.routes import ROUTES
from bot.webdemo.seed import demo_png
from storage.feedback import NewFeedback
from storage.models import Role

ROLES = [None, Role.HAMLET_HEAD, Role.SUPERVISOR, Role.OFFICIAL, Role.LEADER, Role.ADMIN]


def base_of(world) -> str:
    return f"http://127.0.0.1:{world.bot.http_port}"


async def seeded_item(world) -> tuple[str, int]:
    """An item with one photo: its code and the photo's id."""
    media_id = await world.store.media.add("telegram", "42", "ref", demo_png(1))
    item = await world.store.feedback.create(
        NewFeedback(channel="telegram", kind="petition", category="moi-truong",
                    description="Đèn đường hỏng ở ngõ 4", deadline=date(2030, 1, 1),
                    hamlet="Xóm 3"),
        media_ids=[media_id], user_id="42",
    )  # fmt: skip
    return item.code, media_id


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r) if r else "resident")
async def test_every_route_answers_as_its_permission_says(world, role):
    base = base_of(world)
    code, media_id = await seeded_item(world)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        staff = None
        if role is not None:
            person = await world.staff(f"Cán bộ {role}", role)
            staff = await world.store.staff.get_by_identity("telegram", str(person.id))
            token = await world.store.web_sessions.issue_token(staff.id, world.bot.console.clock())
            link = base + urls.LOGIN.format(token=token)
            async with http.post(link, headers={"Origin": base}, allow_redirects=False) as answer:
                assert answer.status == (303 if may_use_console(staff) else 403)
        walked = 0
        for route in ROUTES:
            if route.permission is None or route.method != "GET":
                continue
            path = route.path.format(code=code, media_id=media_id) + "?since=0"
            async with http.get(base + path, allow_redirects=False) as answer:
                body = await answer.read()
            text = body.decode(errors="replace")
            walked += 1
            if staff is None or not may_use_console(staff):
                assert answer.status == 401, (role, path)
                assert "/web" in text  # how to get a link
            elif not route.permission(staff):
                assert answer.status == 403, (role, path)
            else:
                assert answer.status == 200, (role, path, text[:300])
                assert code in text or body == demo_png(1)
        assert walked >= 4
