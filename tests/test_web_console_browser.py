"""The staff console in a real browser: Debian's Chromium driven by Playwright, as
tests/test_webdemo_browser.py launches it, against the running bot and its Telegram emulator.

A resident sends feedback with a photo and a map point through the bot; an official sends
/web, opens the link the emulator recorded, presses "Đăng nhập", finds the item in the inbox
(filters and search), opens it (photo, OpenStreetMap link, history), answers it from the
page's form (the resident receives the answer in the emulator), sees a new item appear
without reloading, and signs out. A used link and a form posted from another site
(evil.example, resolved to loopback by the browser) are refused. Screenshots of each page go
to build/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from aiohttp import web

from bot.web import urls
from bot.webdemo.seed import demo_png
from storage.feedback import NewFeedback
from storage.models import Role
from tests.test_feedback_e2e import CODE, start_feedback
from tests.test_onboarding_e2e import onboard
from tests.test_web_signin_e2e import base_of, link_in
from tests.test_webdemo_browser import CHROMIUM, FLAGS, SHOTS, STEP, playwright_api  # noqa: F401

EVIL = "evil.example"
ANSWER = "Xã đã cử tổ vệ sinh đến dọn bãi rác vào sáng thứ Bảy."


async def evil_site(target: str, item: str) -> tuple[web.AppRunner, int]:
    """Another site: a page that posts a form to the console as soon as it loads, and one
    with a plain link to an item (as a chat app's web page shows a notification's link)."""
    page = (
        f'<!doctype html><form id="f" method="post" action="{target}">'
        '<input name="csrf" value="guess"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )

    async def show(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def link(_: web.Request) -> web.Response:
        return web.Response(text=f'<a id="go" href="{item}">item</a>', content_type="text/html")

    app = web.Application()
    app.router.add_get("/", show)
    app.router.add_get("/link", link)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def resident_sends_feedback(world) -> str:
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(demo_png(3))
    await lan.taps("Xong, tiếp tục")
    await world.emu.send_location(lan.id, 21.912, 105.634)
    await lan._answers()
    await lan.taps("Gửi có tên")
    answer = await lan.taps("Gửi phản ánh")
    return CODE.search(answer[0].text).group(0)


async def chat_of_sender(world, code: str) -> int:
    """The Telegram chat of the resident who sent the item."""
    sender = (await world.store.feedback.get_by_code(code)).resident_id
    return int((await world.store.residents.get(sender)).chat_id)


async def stored_item(world, text: str, hamlet: str, category: str = "giao-thong") -> str:
    new = NewFeedback(channel="telegram", kind="question", category=category,
                      description=text, deadline=date(2030, 1, 1), hamlet=hamlet)  # fmt: skip
    return (await world.store.feedback.create(new)).code


@pytest.mark.timeout(180)
async def test_an_official_works_the_inbox_from_a_browser(playwright_api, world):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect = playwright_api.expect
    expect.set_options(timeout=STEP)
    base = base_of(world)
    code = await resident_sends_feedback(world)
    other = await stored_item(world, "Hỏi về lịch tiêm chủng cho trẻ em", "Xóm 1")
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    link = link_in((await hoa.says("/web"))[0].text)
    evil, evil_port = await evil_site(base + urls.LOGOUT, base + urls.ITEM.format(code=code))

    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*FLAGS, f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"],
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="vi-VN",
                timezone_id="Asia/Ho_Chi_Minh",
            )  # fmt: skip
            page = await context.new_page()
            foreign = []
            page.on("request", lambda r: None if r.url.startswith(base) else foreign.append(r.url))

            # The link opens a page with one button; pressing it signs in.
            await page.goto(link)
            await expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
            await page.screenshot(path=str(SHOTS / "console-01-login.png"))
            await page.get_by_role("button", name="Đăng nhập").click()
            await expect(page).to_have_url(base + urls.INBOX)
            table = page.locator("table.inbox")
            await expect(table).to_contain_text(code)
            await expect(table).to_contain_text(other)
            await expect(page.locator("header nav")).to_have_text("Hộp thư")
            await expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
            await page.screenshot(path=str(SHOTS / "console-02-inbox.png"), full_page=True)

            # Filters and search.
            await page.locator('select[name="hamlet"]').select_option("Xóm 3")
            await page.get_by_role("button", name="Lọc").click()
            await expect(table).to_contain_text(code)
            await expect(table).not_to_contain_text(other)
            await page.locator('select[name="hamlet"]').select_option("")
            await page.locator('input[name="q"]').fill(other.lower().replace("-", " "))
            await page.get_by_role("button", name="Lọc").click()
            await expect(table).to_contain_text(other)
            await expect(table).not_to_contain_text(code)
            await page.locator('input[name="q"]').fill("bãi rác")
            await page.get_by_role("button", name="Lọc").click()
            await expect(table).to_contain_text(code)
            await expect(table).not_to_contain_text(other)
            await page.locator('input[name="q"]').fill("")
            await page.locator('select[name="kind"]').select_option("question")
            await page.get_by_role("button", name="Lọc").click()
            await expect(table).to_contain_text(other)
            await expect(table).not_to_contain_text(code)

            # A new item appears without reloading (the page asks every 15 s).
            await page.goto(base + urls.INBOX)
            fresh = await stored_item(world, "Đèn đường ngõ 4 không sáng", "Xóm 2")
            await expect(table.locator("tr.fresh")).to_contain_text(fresh, timeout=40_000)
            await expect(page.locator("#newer")).to_be_visible()

            # The item: details, the photo full size, the map point, the history.
            await table.get_by_role("link", name=code).click()
            await expect(page.locator("h1")).to_have_text(code)
            await expect(page.locator("#details")).to_contain_text("Bãi rác tự phát")
            await expect(page.locator("#details")).to_contain_text("Lan")
            photo = page.locator(".photos img").first
            await expect(photo).to_be_visible()
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=await photo.element_handle()
            )
            osm = page.locator("a#map")
            href = await osm.get_attribute("href")
            assert re.fullmatch(
                r"https://www\.openstreetmap\.org/\?mlat=21\.912\d*&mlon=105\.634\d*"
                r"#map=18/21\.912\d*/105\.634\d*", href
            ), href  # fmt: skip
            await expect(page.locator("#history")).to_contain_text("Các bước đã làm")
            await expect(page.locator("#history")).to_contain_text("gửi phản ánh")
            await page.screenshot(path=str(SHOTS / "console-03-item.png"), full_page=True)

            # The official answers from the item page's form (bot/actions/items.apply, as the
            # chat): back on the item with a "done" line; the resident receives the answer.
            form = page.locator('form[data-action="answer"]')
            await form.locator("textarea").fill(ANSWER)
            await form.get_by_role("button", name="Trả lời người dân").click()
            await expect(page.locator("#notice")).to_have_text(
                f"Đã lưu câu trả lời cho phản ánh {code}. Người dân sẽ nhận được tin báo."
            )
            assert page.url == base + urls.ITEM.format(code=code) + "?done=answer&told=1"
            await expect(page.locator("#history")).to_contain_text(ANSWER)
            await page.screenshot(path=str(SHOTS / "console-03b-answered.png"), full_page=True)
            await world.drain()
            told = [m.text for m in world.emu.messages(await chat_of_sender(world, code))]
            assert any(f"Xã trả lời phản ánh {code}" in t and ANSWER in t for t in told), told
            [row] = await world.store.audit.list_for_item(code)
            assert (row.staff_name, row.via, row.action) == ("Hoa", "web", "answer")

            # On a phone the table becomes cards.
            await page.set_viewport_size({"width": 390, "height": 800})
            await page.goto(base + urls.INBOX)
            await expect(page.locator("table.inbox thead")).to_be_hidden()
            await page.screenshot(path=str(SHOTS / "console-04-inbox-phone.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 900})

            # The link, used once, is refused when opened again.
            await page.goto(link)
            await expect(page.locator("main")).to_contain_text("đã được dùng hoặc đã hết hạn")
            await page.screenshot(path=str(SHOTS / "console-05-used-link.png"))

            # A form on another site posting to the console is refused; the session lives on.
            await page.goto(f"http://{EVIL}:{evil_port}/")
            await expect(page.locator("main")).to_contain_text("không gửi từ trang cán bộ")
            await page.screenshot(path=str(SHOTS / "console-06-cross-site.png"))
            await page.goto(base + urls.INBOX)
            await expect(page.locator("table.inbox")).to_contain_text(code)

            # A link to an item on another site (a chat app's page) opens the item: the
            # SameSite=Strict cookie is not sent with that navigation, so the console looks
            # again from its own page before saying the visitor is not signed in.
            await page.goto(f"http://{EVIL}:{evil_port}/link")
            await page.locator("#go").click()
            await expect(page.locator("h1")).to_have_text(code)

            # Signing out ends the session.
            await page.get_by_role("button", name="Đăng xuất").click()
            await expect(page.locator("main")).to_contain_text("Đã đăng xuất")
            await page.goto(base + urls.ITEM.format(code=code))
            await expect(page.locator("main")).to_contain_text("gửi lệnh /web cho Loa Xã")
            await page.screenshot(path=str(SHOTS / "console-07-signed-out.png"))
            assert [a.action for a in await world.store.web_sessions.audit()] == [
                "sign_out", "sign_in"
            ]  # fmt: skip
            leaks = [u for u in foreign if not u.startswith(f"http://{EVIL}:")]
            assert leaks == [], f"the console asked for something outside itself: {leaks}"
        finally:
            await browser.close()
            await evil.cleanup()
