"""The item page's actions over real HTTP against the running bot: the same functions as the
chat (bot/actions/), the stale-item check, the role check on the server, the notifications
on the emulator, and POST/redirect/GET with a "done" line."""

from __future__ import annotations

import re
from datetime import date

import aiohttp
import pytest

from bot.actions import items
from bot.web import urls
from handlers.feedback_status import Action
from storage.db import utcnow
from storage.feedback import NewFeedback
from storage.models import Role
from tests.test_web_signin_e2e import base_of

FORM = re.compile(r'<form method="post" action="[^"]+/act" class="action" data-action="(\w+)">')


@pytest.fixture
async def http():
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(world, http, name: str, role: Role):
    """Sign `name` in (a new staff member on Telegram); return their emulator person."""
    person = await world.staff(name, role)
    staff = await world.store.staff.get_by_identity("telegram", str(person.id))
    token = await world.store.web_sessions.issue_token(staff.id, world.bot.console.clock())
    link = base_of(world) + urls.LOGIN.format(token=token)
    async with http.post(link, headers={"Origin": base_of(world)}, allow_redirects=False) as ans:
        assert ans.status == 303
    return person


async def new_item(world):
    new = NewFeedback(channel="telegram", kind="petition", category="moi-truong",
                      description="Cống tắc ở ngõ 4", deadline=date(2030, 1, 1),
                      hamlet="Xóm 1")  # fmt: skip
    return await world.store.feedback.create(new)


async def page_of(world, http, code: str) -> str:
    async with http.get(base_of(world) + urls.ITEM.format(code=code)) as answer:
        assert answer.status == 200
        return await answer.text()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def post(world, http, code: str, html: str, **fields) -> aiohttp.ClientResponse:
    """Post one action form of the page `html` (its CSRF token), as the browser does."""
    data = {"csrf": csrf_of(html), **fields}
    answer = await http.post(base_of(world) + urls.ITEM_ACT.format(code=code), data=data,
                             headers={"Origin": base_of(world)}, allow_redirects=False)  # fmt: skip
    await answer.read()
    return answer


async def test_an_answer_redirects_to_the_item_with_a_done_line_and_the_audit(world, http):
    item = await new_item(world)
    await sign_in(world, http, "Hoa", Role.OFFICIAL)
    html = await page_of(world, http, item.code)
    answer = await post(world, http, item.code, html, action="answer", seen="new",
                        text="Xã sẽ cho thông cống trong tuần này.")  # fmt: skip
    assert answer.status == 303
    done = "?done=answer&told=0"  # an item stored without a sender: nobody to tell
    assert answer.headers["Location"] == urls.ITEM.format(code=item.code) + done
    shown = await page_of(world, http, item.code + done)
    assert f"Đã lưu câu trả lời cho phản ánh {item.code}. Người gửi đã xóa" in shown
    assert (await world.store.feedback.get(item.id)).status == "answered"
    [row] = await world.store.audit.list_for_item(item.code)
    assert (row.staff_name, row.via, row.action, row.item_code) == (
        "Hoa", "web", "answer", item.code
    )  # fmt: skip


async def test_a_stale_action_is_refused_with_the_message_and_the_item_as_now(world, http):
    item = await new_item(world)
    await sign_in(world, http, "Hoa", Role.OFFICIAL)
    html = await page_of(world, http, item.code)  # shows the item "new"
    other = await world.store.staff.upsert("telegram", "901", "Minh", Role.OFFICIAL)
    first = await items.apply(world.bot.router, other, item.id, Action.REJECT, seen_status="new",
                              now=utcnow(), via="chat",
                              text="Không thuộc thẩm quyền")  # fmt: skip
    assert first.done
    answer = await post(world, http, item.code, html, action="acknowledge", seen="new")
    assert answer.status == 409
    shown = await answer.text()
    assert f"Phản ánh {item.code} vừa được người khác xử lý trước" in shown
    assert (await world.store.feedback.get(item.id)).status == "rejected"
    assert 'data-action="acknowledge"' not in shown  # the forms are those of the item as now
    assert [r.via for r in await world.store.audit.list_for_item(item.code)] == ["chat"]


async def test_a_text_out_of_limits_is_shown_on_the_page_and_nothing_changes(world, http):
    item = await new_item(world)
    await sign_in(world, http, "Hoa", Role.OFFICIAL)
    html = await page_of(world, http, item.code)
    long = "x" * 2001
    answer = await post(world, http, item.code, html, action="answer", seen="new", text=long)
    assert answer.status == 400
    shown = await answer.text()
    assert "Nội dung dài 2001 ký tự, quá giới hạn 2000 ký tự." in shown
    assert long in shown  # what was typed is kept in the form
    empty = await post(world, http, item.code, html, action="reject", seen="new", text=" ")
    assert empty.status == 400 and "Chưa có nội dung." in await empty.text()
    assert (await world.store.feedback.get(item.id)).status == "new"
    assert await world.store.audit.list_for_item(item.code) == []


async def test_a_supervisor_remarks_and_the_official_is_notified(world, http):
    hoa = await world.staff("Hoa", Role.OFFICIAL)
    hoa_staff = await world.store.staff.get_by_identity("telegram", str(hoa.id))
    item = await new_item(world)
    assigned = await items.apply(world.bot.router, hoa_staff, item.id, Action.ASSIGN,
                                 seen_status="new", now=utcnow(), via="chat",
                                 assignee_id=hoa_staff.id)  # fmt: skip
    assert assigned.done
    await sign_in(world, http, "Ban giám sát", Role.SUPERVISOR)
    html = await page_of(world, http, item.code)
    answer = await post(world, http, item.code, html, action="remark",
                        text="Cần trả lời người dân sớm hơn.")  # fmt: skip
    assert answer.status == 303
    shown = await page_of(world, http, item.code + "?done=remark")
    assert f"Đã ghi nhận xét về {item.code} và báo cán bộ phụ trách." in shown
    assert "Cần trả lời người dân sớm hơn." in shown
    await world.drain()
    told = [m.text for m in world.emu.messages(hoa.id)]
    assert any("Ban giám sát (Ban giám sát) có nhận xét về " + item.code in t for t in told), told

    # The official sees "Đã xem nhận xét", and pressing it records who saw the remark.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as hers:
        token = await world.store.web_sessions.issue_token(hoa_staff.id, world.bot.console.clock())
        async with hers.post(base_of(world) + urls.LOGIN.format(token=token),
                             headers={"Origin": base_of(world)}) as signed:  # fmt: skip
            assert signed.status == 200
        mine = await page_of(world, hers, item.code)
        assert 'data-action="seen"' in mine
        seen = await post(world, hers, item.code, mine, action="seen")
        assert seen.status == 303 and seen.headers["Location"].endswith("?done=seen&n=1")
        after = await page_of(world, hers, item.code + "?done=seen&n=1")
        assert "Đã xác nhận xem 1 nhận xét." in after and "Hoa đã xem" in after
        assert 'data-action="seen"' not in after


async def test_a_supervisors_forged_resolve_is_refused_and_nothing_changes(world, http):
    item = await new_item(world)
    await sign_in(world, http, "Ban giám sát", Role.SUPERVISOR)
    html = await page_of(world, http, item.code)
    events = await world.store.feedback.count_events(item.id)
    answer = await post(world, http, item.code, html, action="resolve", seen="new",
                        text="Đã xong")  # fmt: skip
    assert answer.status == 403
    assert "không dành cho vai trò" in await answer.text()
    after = await world.store.feedback.get(item.id)
    assert after.status == "new" and await world.store.feedback.count_events(item.id) == events
    assert await world.store.audit.list_for_item(item.code) == []


@pytest.mark.parametrize(
    ("role", "forms"),
    [
        (Role.OFFICIAL, ["acknowledge", "assign", "answer", "note", "resolve", "transfer",
                         "reject"]),
        (Role.LEADER, ["acknowledge", "assign", "answer", "note", "resolve", "transfer",
                       "reject"]),
        (Role.ADMIN, ["acknowledge", "assign", "answer", "note", "resolve", "transfer", "reject"]),
        (Role.SUPERVISOR, ["remark"]),
    ],
)  # fmt: skip
async def test_each_role_sees_the_forms_it_may_use(world, http, role, forms):
    item = await new_item(world)
    await sign_in(world, http, "Người xem", role)
    assert FORM.findall(await page_of(world, http, item.code)) == forms


async def test_assign_offers_the_assignees_and_tells_the_one_chosen(world, http):
    item = await new_item(world)
    minh = await world.staff("Minh", Role.OFFICIAL)
    minh_staff = await world.store.staff.get_by_identity("telegram", str(minh.id))
    await sign_in(world, http, "Hoa", Role.LEADER)
    html = await page_of(world, http, item.code)
    assert f'<option value="{minh_staff.id}">Minh</option>' in html
    answer = await post(world, http, item.code, html, action="assign", seen="new",
                        assignee=str(minh_staff.id))  # fmt: skip
    assert answer.status == 303
    assert f"Đã giao phản ánh {item.code} cho Minh." in await page_of(
        world, http, item.code + "?done=assign"
    )
    await world.drain()
    assert any(item.code in m.text for m in world.emu.messages(minh.id))
