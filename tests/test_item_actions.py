"""The staff action layer (bot/actions/items.py, remarks.py) on real SQLite files.

What the chat steps and the web console's routes both call: every action by every role, the
stale-item rule, an assignee who left, an anonymous sender never shown to staff, and the
change, the resident's outbox row and the audit row written in one transaction.
"""

from __future__ import annotations

import json

import pytest

from bot.actions import items, remarks
from bot.actions.items import Result
from bot.config import load_commune
from bot.messages import reply_from_dict
from handlers.feedback_status import NEEDS_TEXT, NOTIFIES_RESIDENT, STAFF_ACTIONS, Action, Status
from handlers.notify import Scope
from storage import Storage
from storage.db import utcnow
from storage.models import Role, Staff
from tests.desk import CHANNEL, Caller, Desk

CONSOLE = "https://xa.example.vn"
ANSWER = "Xã đã cử tổ công tác kiểm tra và sửa đèn trong tuần này."
ROLES = [Role.RESIDENT, Role.HAMLET_HEAD, Role.SUPERVISOR, Role.OFFICIAL, Role.LEADER, Role.ADMIN]


@pytest.fixture
async def desk(tmp_path):
    store = await Storage.open(tmp_path / "actions.db")
    try:
        yield Desk(store, load_commune(None)[0])
    finally:
        await store.close()


@pytest.fixture
def env(desk):
    return Scope(desk.store, desk.commune, CONSOLE)


async def staff_of(desk: Desk, caller: Caller) -> Staff | None:
    return await desk.store.staff.get_by_identity(CHANNEL, caller.user_id)


async def cast(desk: Desk) -> dict[Role, Staff | None]:
    """Someone of every role; a resident has no staff record."""
    people = {Role.RESIDENT: None}
    for role in ROLES[1:]:
        people[role] = await staff_of(desk, await desk.staff(f"{role.value} Hương", role))
    return people


def text_for(action: Action) -> str | None:
    return {Action.TRANSFER: "Công an xã"}.get(action, ANSWER if action in NEEDS_TEXT else None)


async def outbox_rows(desk: Desk, *, source_like: str = "fb:%") -> list:
    return await desk.store.db.fetchall(
        "SELECT channel, chat_id, source, payload FROM outbox WHERE source LIKE ? ORDER BY id",
        (source_like,),
    )


async def apply(env, actor, item, action, **kw):
    kw.setdefault("seen_status", item.status)
    kw.setdefault("text", text_for(action))
    return await items.apply(env, actor, item.id, action, now=utcnow(), via="web", **kw)


@pytest.mark.parametrize("action", STAFF_ACTIONS)
async def test_every_action_by_every_role(desk, env, action):
    people = await cast(desk)
    for role, actor in people.items():
        hoa = await desk.resident(f"Hoa {role.value}")  # one item each: residents have limits
        code = await desk.feedback(hoa, f"Đèn đường ở ngõ {role.value} hỏng đã hai tuần nay")
        item = await desk.store.feedback.get_by_code(code)
        before = await outbox_rows(desk, source_like=f"fb:{item.id}:%")
        extra = {"assignee_id": actor.id} if action is Action.ASSIGN and actor else {}
        outcome = await apply(env, actor, item, action, **extra)
        now = await desk.store.feedback.get(item.id)
        audit = await desk.store.audit.list_for_item(code)
        if role not in (Role.OFFICIAL, Role.LEADER, Role.ADMIN):
            assert outcome.result is Result.NOT_ALLOWED, (action, role)
            assert now == item and audit == []
            assert await outbox_rows(desk, source_like=f"fb:{item.id}:%") == before
            continue
        assert outcome.result is Result.DONE, (action, role, outcome)
        assert outcome.item.status == items.next_status(action, Status.NEW) == now.status
        [entry] = audit
        assert (entry.staff_id, entry.staff_name, entry.via, entry.action) == (
            actor.id, actor.name, "web", action.value,
        )  # fmt: skip
        history = await desk.store.feedback.events(item.id, include_internal=True)
        assert (history[-1].action, history[-1].staff_name) == (action.value, actor.name)
        told = await outbox_rows(desk, source_like=f"fb:{item.id}:{action}:%")
        assert outcome.told is (action in NOTIFIES_RESIDENT) is bool(told)
        if told:
            assert told[0]["chat_id"] == hoa.user_id


async def test_available_actions_follow_the_role_and_the_status(desk):
    people = await cast(desk)
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Cống bị tắc lâu ngày"))
    for role, actor in people.items():
        expected = list(STAFF_ACTIONS) if role in (Role.OFFICIAL, Role.LEADER, Role.ADMIN) else []
        assert items.available(actor, item) == expected, role
    closed = await apply(Scope(desk.store, desk.commune), people[Role.OFFICIAL], item,
                         Action.REJECT)  # fmt: skip
    assert items.available(people[Role.OFFICIAL], closed.item) == [Action.NOTE]


async def test_a_stale_or_missing_item_changes_nothing(desk, env):
    minh = await staff_of(desk, await desk.staff("Cán bộ Minh", Role.OFFICIAL))
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Rác thải bên đường"))
    first = await apply(env, minh, item, Action.ACKNOWLEDGE)
    assert first.done
    rows = await outbox_rows(desk)
    # Someone who saw it "new" acts after the acknowledgement: told it is stale, shown it now.
    second = await apply(env, minh, item, Action.ANSWER)
    assert second.result is Result.STALE and second.item.status == Status.ACKNOWLEDGED
    # An action the status does not allow is stale too, whatever the person says they saw.
    rejected = await apply(env, minh, first.item, Action.REJECT)
    late = await apply(env, minh, first.item, Action.ACKNOWLEDGE, seen_status="rejected")
    assert rejected.done and late.result is Result.STALE
    missing = await items.apply(env, minh, 10**9, Action.ACKNOWLEDGE, seen_status="new",
                                now=utcnow(), via="chat")  # fmt: skip
    assert missing.result is Result.NOT_FOUND and missing.item is None
    assert [e.action for e in await desk.store.audit.list_for_item(item.code)] == [
        "acknowledge", "reject",
    ]  # fmt: skip
    assert len(await outbox_rows(desk)) == len(rows) + 1  # the rejection's only


async def test_an_assignee_who_left_the_staff_is_refused(desk, env):
    minh = await staff_of(desk, await desk.staff("Cán bộ Minh", Role.OFFICIAL))
    lan = await desk.staff("Cán bộ Lan", Role.OFFICIAL)
    admin = await staff_of(desk, await desk.staff("Quản trị Sơn", Role.ADMIN))
    lan_id = (await staff_of(desk, lan)).id
    assert [s.name for s in await items.assignees(env, minh)] == ["Cán bộ Minh", "Cán bộ Lan"]
    assert [s.name for s in await items.assignees(env, None)] == []
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Ổ gà giữa đường"))
    await desk.store.staff.remove(CHANNEL, lan.user_id)
    gone = await apply(env, minh, item, Action.ASSIGN, assignee_id=lan_id)
    assert (gone.result, gone.problem) == (Result.INVALID, "inbox.assignee_gone")
    admin_is_not_assignable = await apply(env, minh, item, Action.ASSIGN, assignee_id=admin.id)
    assert admin_is_not_assignable.result is Result.INVALID
    assert (await desk.store.feedback.get(item.id)).status == Status.NEW
    assert await desk.store.audit.list_for_item(item.code) == []


def test_text_problems_name_a_catalog_key():
    assert items.text_problem(Action.ACKNOWLEDGE, None) is None
    assert items.text_problem(Action.ANSWER, "   ") == "inbox.text_only"
    assert items.text_problem(Action.ANSWER, "x") == "inbox.text_short"
    assert items.text_problem(Action.ANSWER, "x" * 2001) == "inbox.text_long"
    assert items.text_problem(Action.TRANSFER, "x" * 201) == "inbox.text_long"
    assert items.text_problem(Action.TRANSFER, "Công an xã") is None


async def test_a_text_out_of_limits_changes_nothing(desk, env):
    minh = await staff_of(desk, await desk.staff("Cán bộ Minh", Role.OFFICIAL))
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Nước sinh hoạt đục"))
    outcome = await apply(env, minh, item, Action.TRANSFER, text="x" * 201)
    assert (outcome.result, outcome.problem) == (Result.INVALID, "inbox.text_long")
    assert (await desk.store.feedback.get(item.id)).status == Status.NEW


async def test_the_change_the_outbox_row_and_the_audit_are_one_transaction(desk, env):
    minh = await staff_of(desk, await desk.staff("Cán bộ Minh", Role.OFFICIAL))
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Cầu tre bị gãy"))
    # The audit write, the last of the three, fails: nothing of the action may remain.
    await desk.store.db.write("DROP TABLE staff_actions")
    with pytest.raises(Exception, match="staff_actions"):
        await apply(env, minh, item, Action.ANSWER)
    assert await desk.store.feedback.get(item.id) == item
    assert await outbox_rows(desk, source_like=f"fb:{item.id}:answer:%") == []
    history = await desk.store.feedback.events(item.id, include_internal=True)
    assert [e.action for e in history] == ["submit"]


async def test_an_anonymous_sender_is_in_no_staff_push_and_no_audit(desk, env):
    minh = await staff_of(desk, await desk.staff("Cán bộ Minh", Role.OFFICIAL))
    lan = await staff_of(desk, await desk.staff("Cán bộ Lan", Role.OFFICIAL))
    xuan = await desk.resident("Phạm Văn Xuân")
    code = await desk.feedback(xuan, "Có người đổ trộm phế thải ra bờ sông", anonymous=True)
    item = await desk.store.feedback.get_by_code(code)
    assert (await apply(env, minh, item, Action.ASSIGN, assignee_id=lan.id)).done
    to_staff = [r for r in await outbox_rows(desk) if r["chat_id"] != xuan.user_id]
    assert {r["chat_id"] for r in to_staff} >= {lan.user_id}
    texts = [reply_from_dict(json.loads(r["payload"])).text for r in to_staff]
    audit = await desk.store.audit.list_for_item(code)
    assert any(f"{CONSOLE}/web/items/{code}" in text for text in texts)
    for shown in [*texts, *(repr(e) for e in audit)]:
        assert "Xuân" not in shown and xuan.user_id not in shown


async def test_remarks_by_boards_acknowledged_by_officials(desk, env):
    people = await cast(desk)
    minh, thu = people[Role.OFFICIAL], people[Role.SUPERVISOR]
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Đường ngập nước"))
    now = utcnow()
    for role, actor in people.items():
        if role is not Role.SUPERVISOR:
            refused = await remarks.add_remark(env, actor, item.id, "Đề nghị xử lý sớm", now,
                                               via="chat")  # fmt: skip
            assert refused.result is Result.NOT_ALLOWED, role
    short = await remarks.add_remark(env, thu, item.id, "ok", now, via="web")
    assert (short.result, short.problem) == (Result.INVALID, "again.too_short")
    done = await remarks.add_remark(env, thu, item.id, "Đề nghị xử lý trước mùa mưa", now,
                                    via="web")  # fmt: skip
    assert done.done and await remarks.pending(env, item.id) == 1
    [told] = await outbox_rows(desk, source_like="remark:%")
    assert "Đề nghị xử lý trước mùa mưa" in reply_from_dict(json.loads(told["payload"])).text
    assert told["chat_id"] in {people[r].user_id for r in (Role.OFFICIAL,)}
    for role, actor in people.items():
        if role not in (Role.OFFICIAL, Role.LEADER, Role.ADMIN):
            refused = await remarks.acknowledge_remarks(env, actor, item.id, now, via="web")
            assert refused.result is Result.NOT_ALLOWED, role
    seen = await remarks.acknowledge_remarks(env, minh, item.id, now, via="chat")
    assert (seen.result, seen.count) == (Result.DONE, 1)
    assert await remarks.pending(env, item.id) == 0
    entries = await desk.store.audit.list_for_item(item.code)
    audit = [(e.staff_name, e.via, e.action) for e in entries]
    assert audit == [(thu.name, "web", "remark"), (minh.name, "chat", "acknowledge_remarks")]


async def test_a_record_read_before_a_demotion_or_a_removal_no_longer_acts(desk, env):
    minh_caller = await desk.staff("Cán bộ Minh", Role.OFFICIAL)
    thu_caller = await desk.staff("Giám sát Thu", Role.SUPERVISOR)
    minh, thu = await staff_of(desk, minh_caller), await staff_of(desk, thu_caller)
    hoa = await desk.resident("Nguyễn Thị Hoa")
    item = await desk.store.feedback.get_by_code(await desk.feedback(hoa, "Cột điện nghiêng"))
    # A web session signed in as an official; the admin then makes them a supervisor.
    await desk.store.staff.upsert(CHANNEL, minh_caller.user_id, "Cán bộ Minh", Role.SUPERVISOR)
    assert (await apply(env, minh, item, Action.ACKNOWLEDGE)).result is Result.NOT_ALLOWED
    assert await items.assignees(env, minh) == []
    await desk.store.staff.remove(CHANNEL, thu_caller.user_id)
    gone = await remarks.add_remark(env, thu, item.id, "Đề nghị kiểm tra gấp", utcnow(), via="web")
    assert gone.result is Result.NOT_ALLOWED
    assert (await desk.store.feedback.get(item.id)).status == Status.NEW
    assert await desk.store.audit.list_for_item(item.code) == []
