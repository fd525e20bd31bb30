"""A restart in the middle of a conversation resumes it at the same step."""

from __future__ import annotations


async def test_restart_in_the_middle_of_onboarding_resumes_at_the_same_step(world):
    lan = world.resident("Lan")
    await lan.says("/start")
    await lan.taps("Đồng ý")
    assert "xóm nào" in lan.last_text()

    await world.restart()

    answer = await lan.taps("Xóm 4")
    assert "Đã ghi: Xóm 4" in answer[0].text
    await world.restart()
    answer = await lan.says("chi thong bao quan trong")
    assert answer[0].text.startswith("Xong. Ông/bà đã đăng ký.")


async def test_consent_buttons_still_work_after_a_restart(world):
    lan = world.resident("Lan")
    await lan.says("/start")
    await world.restart()
    answer = await lan.taps("Đồng ý")
    assert "xóm nào" in answer[0].text


async def test_an_update_is_not_handled_twice_after_a_restart(world):
    lan = world.resident("Lan")
    await lan.says("/start")
    await world.restart()
    await lan.taps("Đồng ý")
    greetings = [m for m in world.emu.messages(lan.id) if m.text.startswith("Kính chào")]
    assert len(greetings) == 1
