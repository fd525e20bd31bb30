"""`loaxa demo` in a real browser: headless Chromium from Debian, driven by Playwright.

Playwright's Python package drives the system Chromium through `executable_path`; its own
browser download (`playwright install`) is never used. A resident and an official sit side
by side: the resident signs up and sends feedback with a photo and a location, the official
opens it from the notification and answers, and the answer arrives on the resident's phone.
Screenshots go to build/screenshots/ (CI keeps them as artefacts).

Without /usr/bin/chromium the test fails in CI (CI set) and is skipped on a developer's
machine; LOAXA_CHROMIUM points it at another Chromium.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.webdemo.seed import demo_png
from tests.webdemo_server import CODE, running_demo

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path(os.environ.get("LOAXA_CHROMIUM", "/usr/bin/chromium"))
# As the machine's notes say: no sandbox as root, and no calls home from a closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
STEP = 20_000  # ms: the longest a person waits for one answer


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def playwright_api():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)")
    try:
        from playwright import async_api
    except ImportError:
        _unavailable("the playwright package is missing; pip install -e '.[test]'")
    return async_api


@pytest.mark.timeout(180)
async def test_feedback_and_answer_cross_over_between_two_phones(
    playwright_api, tmp_path, commune, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect = playwright_api.expect
    expect.set_options(timeout=STEP)
    async with (
        running_demo(tmp_path, commune) as (world, base),
        playwright_api.async_playwright() as pw,
    ):
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh, empty user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 960},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        try:
            page = browser.pages[0] if browser.pages else await browser.new_page()
            foreign = []
            page.on(
                "request",
                lambda r: None if r.url.startswith((base, "data:")) else foreign.append(r.url),
            )
            await page.goto(base + "/")
            await expect(page.locator("body")).to_have_attribute("data-ready", "true")
            resident = page.locator('.phone[data-slot="0"]')
            official = page.locator('.phone[data-slot="1"]')
            await expect(resident.locator(".persona-select option:checked")).to_contain_text(
                "chưa đăng ký"
            )
            await expect(official.locator(".persona-select option:checked")).to_contain_text(
                "cán bộ xã"
            )

            async def say(phone, text: str) -> None:
                await phone.locator("input.text").fill(text)
                await phone.locator("button.send").click()

            async def tap(phone, label: str) -> None:
                keyboard = phone.locator(".keyboard").last
                await keyboard.get_by_role("button", name=label, exact=True).click()

            async def pick(phone, label: str) -> None:
                """On the Zalo OA phone: type the number the newest list shows beside `label`."""
                listed = phone.locator(".msg.bot", has_text=re.compile(r"^\d+\. ", re.M)).last
                await expect(listed).to_contain_text(label)
                number = re.search(
                    rf"^(\d+)\. {re.escape(label)}$", await listed.inner_text(), re.M
                )
                count = await phone.locator(".msg").count()
                await say(phone, number.group(1))
                await expect(phone.locator(".msg")).not_to_have_count(count)

            # The resident signs up by tapping buttons.
            await say(resident, "/start")
            await expect(resident.locator(".messages")).to_contain_text("xã Ví Dụ")
            await tap(resident, "Đồng ý")
            await tap(resident, "Xóm 3")
            await tap(resident, "Nhận tất cả (nên chọn)")
            await expect(resident.locator(".press").last).to_contain_text("Nhận tất cả")
            await page.screenshot(path=str(SHOTS / "01-resident-signed-up.png"))

            # ... and sends feedback with a photo and the demo location.
            await say(resident, "/phananh")
            await tap(resident, "Phản ánh, kiến nghị")
            await tap(resident, "Môi trường")
            await say(resident, "Bãi rác tự phát cạnh đường liên xóm, bốc mùi cả tuần nay")
            await expect(resident.locator(".msg.bot").last).to_contain_text("ảnh")
            await resident.locator("input.photo-input").set_input_files(
                {"name": "bai-rac.png", "mimeType": "image/png", "buffer": demo_png(3)}
            )
            await expect(resident.locator(".msg.me img.photo")).to_have_count(1)
            await expect(resident.locator(".msg.bot").last).to_contain_text("Đã nhận ảnh")
            await tap(resident, "Xong, tiếp tục")
            await resident.locator("button.send-location").click()
            await expect(resident.locator(".msg.me .location")).to_have_count(1)
            await tap(resident, "Gửi có tên")
            await expect(resident.locator(".msg.bot").last).to_contain_text("vị trí bản đồ")
            await tap(resident, "Gửi phản ánh")
            sent = resident.locator(".msg.bot", has_text="Đã nhận phản ánh")
            await expect(sent).to_have_count(1)
            code = CODE.search(await sent.inner_text()).group(0)
            await page.screenshot(path=str(SHOTS / "02-feedback-sent.png"))

            # The official is told at once and answers from the notification.
            notice = official.locator(".msg.bot", has_text=code)
            await expect(notice.first).to_contain_text("Có phản ánh mới")
            await page.screenshot(path=str(SHOTS / "03-official-notified.png"))
            await notice.first.get_by_role("button", name="Xem phản ánh").click()
            await tap(official, "Trả lời người dân")
            answer = "Xã đã cử tổ môi trường dọn bãi rác trong tuần này."
            await say(official, answer)
            await expect(official.locator(".messages")).to_contain_text(
                f"Đã lưu câu trả lời cho phản ánh {code}"
            )

            # The answer crosses over to the resident's phone.
            arrived = resident.locator(".msg.bot", has_text=f"Xã trả lời phản ánh {code}")
            await expect(arrived).to_contain_text(answer)
            await page.screenshot(path=str(SHOTS / "04-answer-arrived.png"))

            # The photo the resident sent is stored with the item, and shown to the official
            # when asked for (the card is one message; "Xem ảnh" sends the photos).
            item = await world.store.feedback.get_by_code(code)
            assert (item.status, item.last_answer) == ("answered", answer)
            assert await world.store.media.for_feedback(item.id) == [demo_png(3)]
            await tap(official, "Xem ảnh")
            await expect(official.locator(".msg.bot img.photo").first).to_be_visible()

            # A follower of the commune's Zalo OA, on the third phone: greeted on following,
            # signs up and sends feedback by numbered lists, and the answer reaches Zalo too.
            follower = page.locator('.phone[data-slot="2"]')
            await expect(follower).to_have_attribute("data-channel", "zalo_oa")
            await expect(follower.locator(".press").first).to_contain_text("Quan tâm")
            await pick(follower, "Đồng ý")
            await pick(follower, "Xóm 3")
            await pick(follower, "Nhận tất cả (nên chọn)")
            await say(follower, "/phananh")
            await pick(follower, "Phản ánh, kiến nghị")
            await pick(follower, "Môi trường")
            await say(follower, "Cống thoát nước trước chợ bị tắc, nước tràn ra đường")
            await expect(follower.locator(".msg.bot").last).to_contain_text("ảnh")
            await follower.locator("input.photo-input").set_input_files(
                {"name": "cong.png", "mimeType": "image/png", "buffer": demo_png(5)}
            )
            await expect(follower.locator(".msg.me img.photo")).to_have_count(1)
            await expect(follower.locator(".msg.bot").last).to_contain_text("Đã nhận ảnh")
            await pick(follower, "Xong, tiếp tục")
            await follower.locator("button.send-location").click()
            await expect(follower.locator(".msg.me .location")).to_have_count(1)
            await pick(follower, "Gửi có tên")
            await pick(follower, "Gửi phản ánh")
            sent = follower.locator(".msg.bot", has_text="Đã nhận phản ánh")
            await expect(sent).to_have_count(1)
            oa_code = CODE.search(await sent.inner_text()).group(0)
            oa_item = await world.store.feedback.get_by_code(oa_code)
            assert oa_item.channel == "zalo_oa" and oa_item.latitude is not None
            assert await world.store.media.for_feedback(oa_item.id) == [demo_png(5)]

            notice = official.locator(".msg.bot", has_text=oa_code)
            await notice.first.get_by_role("button", name="Xem phản ánh").click()
            await tap(official, "Trả lời người dân")
            oa_answer = "Xã đã cho thông cống trước chợ sáng nay."
            await say(official, oa_answer)
            arrived = follower.locator(".msg.bot", has_text=f"Xã trả lời phản ánh {oa_code}")
            await expect(arrived).to_contain_text(oa_answer)
            await page.screenshot(path=str(SHOTS / "04b-zalo-oa-answer-arrived.png"))

            # A scheduled job fired from the page: overdue seeded items reach the leader.
            job = page.locator('#jobs-buttons button[data-job="deadlines"]')
            if await job.count():
                await job.click()
                await expect(page.locator("#toast")).to_contain_text("báo lãnh đạo")
                leader = next(p for p in world.personas.values() if p.role == "leader")
                await official.locator(".persona-select").select_option(leader.id)
                await expect(official.locator(".msg.bot").first).to_contain_text(
                    re.compile("quá hạn", re.IGNORECASE)
                )
                await page.screenshot(path=str(SHOTS / "05-leader-alerted.png"))

            # The weekly digest: a chart shown inline and a workbook to download.
            digest = page.locator('#jobs-buttons button[data-job="digest"]')
            if await digest.count() and await job.count():
                await digest.click()
                chart = official.locator(".msg.bot img.photo").last
                await expect(chart).to_be_visible(timeout=60_000)
                await page.wait_for_function(
                    "img => img.complete && img.naturalWidth > 100",
                    arg=await chart.element_handle(),
                )
                workbook = official.locator(".msg.bot a.document").last
                await expect(workbook).to_contain_text(".xlsx")
                fetched = await page.request.get(base + await workbook.get_attribute("href"))
                assert fetched.ok and (await fetched.body())[:2] == b"PK"
                await official.locator(".messages").evaluate(
                    "box => box.scrollTop = box.scrollHeight"
                )
                await page.screenshot(path=str(SHOTS / "06-leader-digest.png"))

            assert foreign == [], f"the page asked for something outside the demo: {foreign}"
        finally:
            await browser.close()
