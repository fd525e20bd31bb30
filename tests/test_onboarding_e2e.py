"""Onboarding, consent and data deletion, end to end over the emulator."""

from __future__ import annotations

from storage.models import ResidentStatus, Topic


async def onboard(person, hamlet="Xóm 3"):
    await person.says("/start")
    await person.taps("Đồng ý")
    await person.taps(hamlet)
    return await person.taps("Nhận tất cả (nên chọn)")


async def test_resident_onboards_from_start_to_main_menu(world):
    lan = world.resident("Lan")
    greeting = await lan.says("/start")
    assert "xã Ví Dụ" in greeting[0].text
    assert lan.buttons() == ["Đồng ý", "Không đồng ý"]
    assert await world.store.residents.get_by_identity("telegram", str(lan.id)) is None

    await lan.taps("Đồng ý")
    assert "xóm nào" in lan.last_text()
    assert lan.buttons()[:3] == ["Xóm 1", "Xóm 2", "Xóm 3"]

    await lan.taps("Xóm 3")
    assert "Xóm 3" in lan.last_text()
    final = await lan.taps("Nhận tất cả (nên chọn)")
    assert final[0].text.startswith("Xong. Ông/bà đã đăng ký.")
    assert final[-1].text.startswith("Ông/bà cần gì?")
    assert "Hướng dẫn sử dụng" in lan.buttons()

    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.hamlet == "Xóm 3"
    assert resident.display_name == "Lan"
    assert resident.consent_at is not None
    assert await world.store.residents.subscriptions(resident.id) == set(Topic)


async def test_typed_hamlet_without_diacritics_is_understood(world):
    hoa = world.resident("Hoa")
    await hoa.says("/start")
    await hoa.taps("Đồng ý")
    await hoa.says("xom 2")
    assert "Đã ghi: Xóm 2" in hoa.last_text()
    await hoa.says("chi thong bao quan trong")
    resident = await world.store.residents.get_by_identity("telegram", str(hoa.id))
    assert await world.store.residents.subscriptions(resident.id) == {Topic.ANNOUNCEMENTS}


async def test_unclear_hamlet_is_asked_again_without_losing_the_step(world):
    minh = world.resident("Minh")
    await minh.says("/start")
    await minh.taps("Đồng ý")
    answer = await minh.says("o gan cho")
    assert "chưa rõ ông/bà ở xóm nào" in answer[0].text
    await minh.taps("Xóm 1")
    assert "Đã ghi: Xóm 1" in minh.last_text()


async def test_consent_declined_stores_nothing(world):
    nam = world.resident("Nam")
    await nam.says("/start")
    answer = await nam.taps("Không đồng ý")
    assert "không lưu gì" in answer[0].text
    db = world.store.db
    assert await db.fetchval("SELECT COUNT(*) FROM residents") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM sessions") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM subscriptions") == 0


async def test_newcomer_writing_anything_gets_the_greeting(world):
    ba = world.resident("Bà Tư")
    answer = await ba.says("cho hoi xa minh o dau")
    assert answer[0].text.startswith("Kính chào ông/bà!")
    assert ba.buttons() == ["Đồng ý", "Không đồng ý"]
    await ba.says("dong y")
    assert "xóm nào" in ba.last_text()


async def test_delete_my_data_removes_personal_data_and_keeps_a_count(world):
    lan = world.resident("Lan")
    await onboard(lan)
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))

    await lan.says("/xoadulieu")
    assert lan.buttons() == ["Xóa dữ liệu của tôi", "Không xóa"]
    answer = await lan.taps("Xóa dữ liệu của tôi")
    assert "Đã xóa" in answer[0].text

    assert await world.store.residents.get_by_identity("telegram", str(lan.id)) is None
    row = await world.store.db.fetchone(
        "SELECT channel, user_id, chat_id, display_name, status, hamlet"
        " FROM residents WHERE id = ?",
        (resident.id,),
    )
    assert tuple(row) == (None, None, None, None, "deleted", "Xóm 3")
    assert await world.store.residents.subscriptions(resident.id) == set()
    assert await world.store.residents.count_deleted() == 1
    name_anywhere = await world.store.db.fetchval(
        "SELECT COUNT(*) FROM sessions WHERE user_id = ?", (str(lan.id),)
    )
    assert name_anywhere == 0


async def test_delete_my_data_can_be_declined(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/xoadulieu")
    answer = await lan.taps("Không xóa")
    assert "không xóa gì" in answer[0].text
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.status is ResidentStatus.ACTIVE


async def test_stop_and_start_again(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/dung")
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.status is ResidentStatus.STOPPED
    answer = await lan.says("/start")
    assert "nhận lại tin" in answer[0].text
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.status is ResidentStatus.ACTIVE


async def test_help_lists_the_resident_commands_only(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/help")
    assert "/xoadulieu" in answer[0].text and "/huy" in answer[0].text
    assert "/thongke" not in answer[0].text


async def test_typed_menu_label_opens_that_flow(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("huong dan su dung")
    assert "/help" in answer[0].text


async def test_deep_link_payload_is_kept_through_onboarding(world):
    lan = world.resident("Lan")
    await lan.says("/start rate_motcua")
    consent = world.emu.messages(lan.id)[-1]
    assert ("Đồng ý", "onb:consent:yes:rate_motcua") in consent.buttons


async def test_command_menus_are_set_per_role(world):
    from storage.models import Role

    world_staff = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    await world.bot.refresh_command_menus()
    resident_cmds = [c["command"] for c in world.emu.commands("default")]
    staff_cmds = [c["command"] for c in world.emu.commands(world_staff.id)]
    assert "thongke" not in resident_cmds and "xoadulieu" in resident_cmds
    assert "thongke" in staff_cmds
