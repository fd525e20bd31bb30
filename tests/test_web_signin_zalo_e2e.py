"""A staff member registered on Zalo asks /web there and gets the console's sign-in link."""

from __future__ import annotations

import aiohttp

from storage.models import Role
from tests.test_web_signin_e2e import base_of, link_in
from tests.test_zalo_e2e import commune, world, zemu  # noqa: F401 (fixtures)


async def test_a_zalo_official_gets_a_link_that_signs_in(world):  # noqa: F811
    minh = world.zalo_resident("Minh")
    await world.store.staff.upsert("zalo", minh.id, "Minh", Role.OFFICIAL)
    answer = await minh.says("/web")
    link = link_in(" ".join(sent.text for sent in answer))
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        http.post(link, headers={"Origin": base_of(world)}) as page,
    ):
        text = await page.text()
    assert "Hộp thư" in text and "Minh" in text and "Đăng xuất" in text


async def test_a_zalo_resident_is_refused(world):  # noqa: F811
    lan = world.zalo_resident("Lan")
    from tests.test_zalo_e2e import onboard

    await onboard(lan)
    answer = await lan.says("/web")
    assert "không dành cho ông/bà" in " ".join(sent.text for sent in answer)
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM web_tokens") == 0
