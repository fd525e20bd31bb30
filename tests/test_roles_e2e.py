"""Roles are enforced on every command and every button press, not only in menus."""

from __future__ import annotations

from storage.models import Role
from tests.test_onboarding_e2e import onboard


async def test_resident_typing_a_staff_command_is_refused(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/thongke")
    assert answer[0].text == "Chức năng này không dành cho ông/bà."
    assert "Xóm" not in " ".join(m.text for m in answer)


async def test_resident_pressing_a_forged_staff_button_is_refused_and_nothing_changes(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/xoadulieu")  # a flow in progress must survive the forged press
    before = await world.store.db.fetchall("SELECT * FROM sessions")
    answer = await lan.presses("tk:start", message_id=999_999)  # a crafted client request
    assert answer[0].text == "Chức năng này không dành cho ông/bà."
    after = await world.store.db.fetchall("SELECT * FROM sessions")
    assert [tuple(r) for r in before] == [tuple(r) for r in after]
    answer = await lan.taps("Không xóa")
    assert "không xóa gì" in answer[0].text


async def test_forged_button_of_another_step_is_stale_and_changes_nothing(world):
    lan = world.resident("Lan")
    await onboard(lan, hamlet="Xóm 1")
    answer = await lan.presses("onb:hamlet:4")
    assert "Nút này đã cũ" in answer[0].text
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.hamlet == "Xóm 1"


async def test_garbage_button_data_gets_a_plain_answer(world):
    lan = world.resident("Lan")
    await onboard(lan)
    for data in ("x", "::::", "onb", "tk:start:' OR 1=1 --", "🙂:start"):
        answer = await lan.presses(data)
        assert answer and "Traceback" not in answer[0].text


async def test_official_can_use_staff_command(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan, hamlet="Xóm 2")
    answer = await minh.says("/thongke")
    assert "- Xóm 2: 1 người" in answer[0].text


async def test_staff_removed_mid_session_loses_access_at_once(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    await minh.says("/start")
    await world.store.staff.remove("telegram", str(minh.id))
    answer = await minh.presses("tk:start")
    assert answer[0].text == "Chức năng này không dành cho ông/bà."


async def test_hamlet_head_cannot_read_statistics(world):
    tu = await world.staff("Trưởng xóm Tư", Role.HAMLET_HEAD)
    answer = await tu.says("/thongke")
    assert answer[0].text == "Chức năng này không dành cho ông/bà."
