"""Signing in to the staff console from a link the bot sent: real bot, real HTTP, real SQLite.

An official sends /web in the Telegram emulator (a Zalo official on Zalo); the link in the
recorded message is opened the way a browser does. Assertions are on what the person sees
and on what is stored (the session, the audit log), never on status codes alone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
import pytest

from bot.web import urls
from bot.web.console import COOKIE
from storage.db import utcnow
from storage.models import Role
from storage.web_sessions import digest

LINK = re.compile(r"http://\S+/web/login/[A-Za-z0-9_%-]+")


def base_of(world) -> str:
    return f"http://127.0.0.1:{world.bot.http_port}"


def link_in(text: str) -> str:
    found = LINK.search(text)
    assert found, f"no sign-in link in {text!r}"
    return found.group(0)


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def press_sign_in(http, world, link: str, origin: str | None = "") -> tuple[int, str]:
    """Press "Đăng nhập" on the link's page: a POST from the console's origin by default."""
    headers = {} if origin is None else {"Origin": origin or base_of(world)}
    async with http.post(link, headers=headers, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def open_page(http, world, path: str) -> tuple[int, str]:
    async with http.get(base_of(world) + path, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def test_an_official_signs_in_from_the_link_the_bot_sent(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    answer = await hoa.says("/web")
    link = link_in(answer[0].text)
    assert link.startswith(base_of(world) + "/web/login/")
    assert "10 phút" in answer[0].text

    # A chat app's link preview fetches the page: that must not use the link up.
    for _ in range(2):
        async with http.get(link) as page:
            text = await page.text()
        assert "Đăng nhập" in text and '<form method="post"' in text
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["Cache-Control"] == "no-store"

    status, _ = await press_sign_in(http, world, link)
    assert status == 303
    cookie = next(c for c in http.cookie_jar if c.key == COOKIE)
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"]
    assert int(cookie["max-age"]) == 8 * 3600
    status, inbox = await open_page(http, world, urls.INBOX)
    assert status == 200 and "Hộp thư" in inbox and "Hoa" in inbox and "Đăng xuất" in inbox

    # Only hashes are stored: neither the link's token nor the session id is in the database.
    token = link.rsplit("/", 1)[1]
    stored = await world.store.db.fetchall("SELECT token_hash FROM web_tokens")
    assert [r["token_hash"] for r in stored] == [digest(token)]
    assert (
        await world.store.db.fetchval(
            "SELECT COUNT(*) FROM web_sessions WHERE id_hash = ?", (digest(cookie.value),)
        )
        == 1
    )
    audit = await world.store.web_sessions.audit()
    assert [(a.staff_name, a.action) for a in audit] == [("Hoa", "sign_in")]


async def test_a_used_link_is_refused(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    assert (await press_sign_in(http, world, link))[0] == 303
    async with aiohttp.ClientSession() as other:
        status, text = await press_sign_in(other, world, link)
        assert status == 410 and "đã được dùng hoặc đã hết hạn" in text
        async with other.get(link) as page:
            assert page.status == 410 and "gửi /web" in await page.text()


async def test_an_expired_link_is_refused(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    later = utcnow() + timedelta(minutes=10, seconds=1)
    world.bot.console.clock = lambda: later
    status, text = await press_sign_in(http, world, link)
    assert status == 410 and "hết hạn" in text
    assert not [c for c in http.cookie_jar if c.key == COOKIE]


async def test_a_resident_asking_for_web_gets_the_ordinary_refusal(world):
    from tests.test_onboarding_e2e import onboard

    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/web")
    assert answer[0].text.startswith("Chức năng này không dành cho ông/bà")
    assert not LINK.search(" ".join(m.text for m in answer))
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM web_tokens") == 0
    assert "web" not in world.bot.router.commands_for(Role.RESIDENT)
    assert "web" not in world.bot.router.commands_for(Role.HAMLET_HEAD)
    assert "web" in world.bot.router.commands_for(Role.SUPERVISOR)


@pytest.mark.parametrize("origin", ["http://evil.example", None], ids=["evil", "missing"])
async def test_a_cross_site_post_is_refused(world, http, origin):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    status, text = await press_sign_in(http, world, link, origin=origin)
    assert status == 403 and "không gửi từ trang cán bộ" in text
    assert await world.store.web_sessions.token_usable(link.rsplit("/", 1)[1], utcnow())

    # Signed in properly, a POST from another site cannot sign the person out either.
    assert (await press_sign_in(http, world, link))[0] == 303
    async with http.post(
        base_of(world) + urls.LOGOUT,
        data={"csrf": "x"},
        headers={} if origin is None else {"Origin": origin},
    ) as answer:
        assert answer.status == 403
    assert (await open_page(http, world, urls.INBOX))[0] == 200


async def test_a_post_without_the_session_csrf_token_is_refused(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    assert (await press_sign_in(http, world, link))[0] == 303
    async with http.post(
        base_of(world) + urls.LOGOUT, data={"csrf": "forged"}, headers={"Origin": base_of(world)}
    ) as answer:
        assert answer.status == 403
    assert (await open_page(http, world, urls.INBOX))[0] == 200


async def test_signing_out_ends_the_session(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    assert (await press_sign_in(http, world, link))[0] == 303
    cookie = next(c for c in http.cookie_jar if c.key == COOKIE).value
    _, inbox = await open_page(http, world, urls.INBOX)
    csrf = re.search(r'name="csrf" value="([^"]+)"', inbox).group(1)
    async with http.post(
        base_of(world) + urls.LOGOUT, data={"csrf": csrf}, headers={"Origin": base_of(world)}
    ) as answer:
        assert answer.status == 200 and "Đã đăng xuất" in await answer.text()
    # The old cookie, replayed, no longer opens anything.
    async with (
        aiohttp.ClientSession(cookies={COOKIE: cookie}) as replay,
        replay.get(base_of(world) + urls.INBOX, allow_redirects=False) as page,
    ):
        assert page.status == 401 and "gửi lệnh /web" in await page.text()
    actions = [a.action for a in await world.store.web_sessions.audit()]
    assert actions == ["sign_out", "sign_in"]


@pytest.mark.parametrize("change", ["removed", "hamlet_head"])
async def test_a_staff_member_removed_or_moved_loses_the_console(world, http, change):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    assert (await press_sign_in(http, world, link))[0] == 303
    assert (await open_page(http, world, urls.INBOX))[0] == 200
    if change == "removed":
        await world.store.staff.remove("telegram", str(hoa.id))
    else:
        await world.store.staff.upsert("telegram", str(hoa.id), "Hoa", Role.HAMLET_HEAD)
    status, text = await open_page(http, world, urls.INBOX)
    assert status == 401 and "gửi lệnh /web" in text
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM web_sessions") == 0


async def test_an_item_link_lands_on_the_item_after_sign_in(world, http):
    from tests.test_web_routes import seeded_item

    code, _ = await seeded_item(world)
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    status, text = await open_page(http, world, urls.ITEM.format(code=code))
    assert status == 401 and "gửi lệnh /web" in text
    link = link_in((await hoa.says("/web"))[0].text)
    async with http.post(link, headers={"Origin": base_of(world)}, allow_redirects=False) as ans:
        assert ans.headers["Location"] == urls.ITEM.format(code=code)


async def test_only_local_console_paths_are_remembered(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    async with aiohttp.ClientSession(cookies={"loaxa_next": "//evil.example/web/x"}) as visitor:
        link = link_in((await hoa.says("/web"))[0].text)
        async with visitor.post(
            link, headers={"Origin": base_of(world)}, allow_redirects=False
        ) as answer:
            assert answer.headers["Location"] == urls.INBOX


async def test_sign_in_attempts_are_limited_per_address(world, http):
    for _ in range(10):
        status, _ = await press_sign_in(http, world, base_of(world) + "/web/login/forged")
        assert status == 410
    status, text = await press_sign_in(http, world, base_of(world) + "/web/login/forged")
    assert status == 429 and "quá nhiều lần" in text


async def test_the_console_url_setting_starts_every_link(world, http):
    world.bot.router.console_url = "https://xa.example.vn"
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    text = (await hoa.says("/web"))[0].text
    assert "https://xa.example.vn/web/login/" in text


async def test_a_signed_in_official_can_use_a_new_link_in_the_same_browser(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    assert (await press_sign_in(http, world, link_in((await hoa.says("/web"))[0].text)))[0] == 303
    link = link_in((await hoa.says("/web"))[0].text)
    async with http.get(link) as page:
        main = (await page.text()).split("<main>", 1)[1]  # the sign-in form, not the header's
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', main))
    async with http.post(link, data=form, headers={"Origin": base_of(world)},
                         allow_redirects=False) as answer:  # fmt: skip
        assert answer.status == 303 and answer.headers["Location"] == urls.INBOX
