"""The console's inbox and item pages over real HTTP: overdue in red by the chat's rule,
keyset pages (never OFFSET), the poll for new rows, and what an item page never shows."""

from __future__ import annotations

import re
from datetime import date, timedelta

import aiohttp
import pytest

from bot.web import urls
from storage.db import utcnow
from storage.feedback import NewFeedback
from storage.models import Role
from tests.test_feedback_e2e import send_feedback
from tests.test_onboarding_e2e import onboard
from tests.test_web_signin_e2e import base_of


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(world, http, role: Role = Role.OFFICIAL, name: str = "Hoa") -> None:
    person = await world.staff(name, role)
    staff = await world.store.staff.get_by_identity("telegram", str(person.id))
    token = await world.store.web_sessions.issue_token(staff.id, utcnow())
    link = base_of(world) + urls.LOGIN.format(token=token)
    async with http.post(link, headers={"Origin": base_of(world)}, allow_redirects=False) as ans:
        assert ans.status == 303


async def get(world, http, path: str) -> str:
    async with http.get(base_of(world) + path) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.text()


async def item(world, deadline: date, *, kind="petition", hamlet="Xóm 1", text="Cống tắc") -> str:
    new = NewFeedback(channel="telegram", kind=kind, category="moi-truong", description=text,
                      deadline=deadline, hamlet=hamlet)  # fmt: skip
    return (await world.store.feedback.create(new)).code


def row_of(html: str, code: str) -> str:
    return re.search(rf"<tr[^>]*>\s*<td[^>]*><a href=\"/web/items/{code}\">.*?</tr>", html,
                     re.S).group(0)  # fmt: skip


async def test_overdue_items_are_red_by_the_chat_rule_and_filtered(world, http):
    past = date.today() - timedelta(days=20)
    late = await item(world, past)
    complaint = await item(world, past, kind="complaint")  # the law's time limits, not ours
    later = await item(world, date.today() + timedelta(days=30))
    await sign_in(world, http)
    html = await get(world, http, urls.INBOX)
    assert 'class="overdue"' in row_of(html, late) and "quá hạn" in row_of(html, late)
    assert "overdue" not in row_of(html, complaint) and "overdue" not in row_of(html, later)
    only = await get(world, http, urls.INBOX + "?overdue=1")
    assert late in only and complaint not in only and later not in only


async def test_pages_follow_each_other_by_keyset_never_offset(world, http):
    start = date(2030, 1, 1)
    codes = [await item(world, start + timedelta(days=n % 7)) for n in range(120)]
    await sign_in(world, http)
    statements: list[str] = []
    await world.store.db.set_trace_callback(statements.append)
    seen, path, pages = [], urls.INBOX, 0
    while path:
        html = await get(world, http, path)
        seen += re.findall(r'<a href="/web/items/(PA-\w+)">', html)
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    await world.store.db.set_trace_callback(None)
    assert pages == 3 and len(seen) == 120 and sorted(seen) == sorted(codes)
    assert not [s for s in statements if "OFFSET" in s.upper()]


async def test_the_poll_returns_rows_newer_than_the_page(world, http):
    await item(world, date(2030, 1, 1))
    await sign_in(world, http)
    html = await get(world, http, urls.INBOX)
    latest = re.search(r'data-latest="(\d+)"', html).group(1)
    fresh = await item(world, date(2030, 1, 2), hamlet="Xóm 2")
    other = await item(world, date(2030, 1, 2), hamlet="Xóm 3")
    async with http.get(
        base_of(world) + urls.INBOX_NEWER, params={"since": latest, "hamlet": "Xóm 2"}
    ) as answer:
        data = await answer.json()
    assert [r["code"] for r in data["rows"]] == [fresh] and other not in str(data)
    assert data["rows"][0]["hamlet"] == "Xóm 2" and data["latest"] > int(latest)


async def test_an_anonymous_item_never_shows_its_sender(world, http):
    lan = world.resident("Lan Nguyễn")
    await onboard(lan)
    code = await send_feedback(lan, anonymous=True)
    await sign_in(world, http)
    page = await get(world, http, urls.ITEM.format(code=code))
    assert "Ẩn danh" in page or "ẩn danh" in page
    assert "Lan Nguyễn" not in page and str(lan.id) not in page
    assert "Lan Nguyễn" not in await get(world, http, urls.INBOX)


async def test_an_erased_senders_item_says_so_as_chat_does(world, http):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan, photos=1)
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    await world.store.erasure.erase(resident)
    await sign_in(world, http)
    page = await get(world, http, urls.ITEM.format(code=code))
    assert "người gửi đã xóa dữ liệu" in page and "Bãi rác" not in page
    assert 'id="map"' not in page


@pytest.mark.parametrize("role, sees", [(Role.OFFICIAL, True), (Role.SUPERVISOR, False)])
async def test_internal_notes_only_for_those_who_see_them(world, http, role, sees):
    code = await item(world, date(2030, 1, 1))
    found = await world.store.feedback.get_by_code(code)
    await world.store.feedback.apply(found.id, action="note", expect_status="new",
                                     to_status="new", actor="staff", staff_name="Hoa",
                                     text="Đã gọi tổ trưởng", internal=True)  # fmt: skip
    await sign_in(world, http, role, name="Người xem")
    page = await get(world, http, urls.ITEM.format(code=code))
    assert ("Đã gọi tổ trưởng" in page) is sees


async def test_media_are_served_with_their_type_and_only_to_readers(world, http):
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan, photos=1)
    await sign_in(world, http)
    page = await get(world, http, urls.ITEM.format(code=code))
    src = re.search(r'<img src="(/web/media/\d+)"', page).group(1)
    async with http.get(base_of(world) + src) as answer:
        assert answer.content_type == "image/png" and (await answer.read())[:4] == b"\x89PNG"
    async with aiohttp.ClientSession() as stranger, stranger.get(base_of(world) + src) as ans:
        assert ans.status == 401 and (await ans.read())[:4] != b"\x89PNG"


async def test_voice_notes_play_and_remarks_show_on_the_item_page(world, http):
    voice = b"OggS" + bytes(60)
    media_id = await world.store.media.add("telegram", "7", "ref", voice, kind="voice", seconds=4)
    new = NewFeedback(channel="telegram", kind="petition", category="moi-truong",
                      description="Nói thay vì gõ", deadline=date(2030, 1, 1))  # fmt: skip
    found = await world.store.feedback.create(new, media_ids=[media_id], user_id="7")
    board = await world.store.staff.upsert("telegram", "77", "Ban giám sát", Role.SUPERVISOR)
    await world.store.dialogues.add_remark(found.id, board.id, board.name, "Cần xử lý sớm")
    await sign_in(world, http)
    page = await get(world, http, urls.ITEM.format(code=found.code))
    assert f'<audio controls preload="none" src="/web/media/{media_id}">' in page
    assert "Nhận xét của ban giám sát" in page and "Cần xử lý sớm" in page
    async with http.get(base_of(world) + urls.MEDIA.format(media_id=media_id)) as answer:
        assert answer.content_type == "audio/ogg" and await answer.read() == voice


async def test_housekeeping_forgets_expired_links_and_sessions(world, http):
    from bot.jobs import build_jobs

    await sign_in(world, http)
    staff = (await world.store.staff.list_all())[0]
    await world.store.web_sessions.issue_token(staff.id, utcnow())
    [job] = [j for j in build_jobs(world.store, world.commune) if j.name == "housekeeping"]
    done = await job.run(utcnow() + timedelta(hours=8, seconds=1))
    assert done["web_sign_ins"] == 3  # the used link, the unused one, the session
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM web_sessions") == 0
