"""The demo page as a visitor sees it at 1280×960 in headless Chromium: the message box is on
screen, the person picker follows what a person does in the chat, and the buttons that fire
scheduled jobs answer in Vietnamese from the catalogs, never with a job's raw counters.

Launched as tests/test_webdemo_browser.py launches it (Debian's Chromium, no download).
"""

from __future__ import annotations

import re

import pytest

from tests.test_webdemo_browser import CHROMIUM, FLAGS, STEP, playwright_api  # noqa: F401
from tests.webdemo_server import running_demo

VIEWPORT = {"width": 1280, "height": 960}
# What a job's raw result looks like when it leaks onto the page: "queued: 3", "job_runs".
RAW_COUNTER = re.compile(
    r"[a-z]+_[a-z]+|[a-z]+-[a-z]+@|\b(?:queued|enqueued|reports|week|sessions|removed)\b|-W\d"
)


@pytest.fixture
async def page(playwright_api, tmp_path, commune, monkeypatch):  # noqa: F811
    """The seeded demo in Chromium at 1280×960, loaded and ready."""
    monkeypatch.chdir(tmp_path)
    playwright_api.expect.set_options(timeout=STEP)
    async with (
        running_demo(tmp_path, commune) as (_world, base),
        playwright_api.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport=VIEWPORT,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        try:
            opened = browser.pages[0] if browser.pages else await browser.new_page()
            await opened.goto(base + "/")
            ready = playwright_api.expect(opened.locator("body"))
            await ready.to_have_attribute("data-ready", "true")
            yield opened
        finally:
            await browser.close()


async def _message_boxes_on_screen(page) -> None:
    """Both phones' message boxes lie wholly inside the window, the page not scrolled."""
    assert await page.evaluate("window.scrollY") == 0
    for slot in ("0", "1"):
        box = await page.locator(f'.phone[data-slot="{slot}"] input.text').bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], box
        assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], box


@pytest.mark.timeout(180)
async def test_the_page_at_1280x960_keeps_the_message_box_on_screen_and_the_picker_current(
    playwright_api,  # noqa: F811
    page,
):
    expect = playwright_api.expect
    await _message_boxes_on_screen(page)

    # The 18 residents the README speaks of are in the picker, the newcomer apart.
    resident = page.locator('.phone[data-slot="0"]')
    picker = resident.locator(".persona-select")
    signed_up = picker.locator('optgroup[label="Người dân đã đăng ký"] option')
    await expect(signed_up).to_have_count(18)
    chosen = picker.locator("option:checked")
    await expect(chosen).to_contain_text("chưa đăng ký")

    async def tap(label: str) -> None:
        keyboard = resident.locator(".keyboard").last
        await keyboard.get_by_role("button", name=label, exact=True).click()

    await resident.locator("input.text").fill("/start")
    await resident.locator("button.send").click()
    await tap("Đồng ý")
    await tap("Xóm 3")
    await tap("Nhận tất cả (nên chọn)")
    await expect(resident.locator(".messages")).to_contain_text("đã đăng ký")
    # After signing up the picker says so, in both phones, with the hamlet chosen.
    await expect(chosen).not_to_contain_text("chưa đăng ký")
    await expect(chosen).to_contain_text("Xóm 3")
    await expect(signed_up).to_have_count(19)
    other = page.locator('.phone[data-slot="1"] .persona-select')
    lan = other.locator('optgroup[label="Người dân đã đăng ký"] option', has_text="Xóm 3")
    await expect(lan.filter(has_text="Chị Lan")).to_have_count(1)
    await _message_boxes_on_screen(page)  # a longer chat does not push it away


@pytest.mark.timeout(240)
async def test_every_job_button_answers_in_vietnamese_from_the_catalog(
    playwright_api,  # noqa: F811
    page,
):
    expect = playwright_api.expect
    expect.set_options(timeout=60_000)
    buttons = page.locator("#jobs-buttons button")
    jobs = [await b.get_attribute("data-job") for b in await buttons.all()]
    assert {"digest", "surveys", "broadcast-reports"} <= set(jobs)
    toasts = {}
    for job in jobs:
        button = page.locator(f'#jobs-buttons button[data-job="{job}"]')
        await page.evaluate("document.getElementById('toast').textContent = ''")
        await button.click()
        await expect(page.locator("#toast")).not_to_have_text("")
        await expect(button).to_be_enabled()
        toasts[job] = await page.locator("#toast").inner_text()
    leaks = {job: text for job, text in toasts.items() if RAW_COUNTER.search(text)}
    assert leaks == {}
    done = ("Đã chạy xong", "Ngày ", "Hôm nay là ngày nghỉ")  # the catalog's openings
    assert [text for text in toasts.values() if not text.startswith(done)] == []
    # The digest says what it queued in the catalog's words, the week named in full.
    assert re.search(r"bản tin Tuần \d+; \d+ tin xếp hàng gửi lãnh đạo", toasts["digest"])
