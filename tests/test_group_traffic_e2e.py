"""Group and channel traffic through the real Telegram adapter: nothing reaches the core.

The bot serves people one to one. In a group it only asks people who command it to write
privately; everything else there (media, edits, button presses, other bots' commands) is
ignored without touching anyone's conversation or the database. test_bad_input_e2e.py covers
a command and a text in a group, a channel post and a bot's private /start.
"""

from __future__ import annotations

from datetime import timedelta

from storage.db import utcnow
from storage.models import SessionKey
from tests.test_onboarding_e2e import onboard

PRIVATELY = "Mời ông/bà nhắn riêng cho Loa Xã để được phục vụ."
PDF = b"%PDF-1.4\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0fakejpeg"


async def _counts(world) -> dict[str, int]:
    tables = ("residents", "feedback", "media", "sessions", "outbox", "publication_files")
    return {t: await world.store.db.fetchval(f"SELECT COUNT(*) FROM {t}") for t in tables}


async def _session(world, person):
    key = SessionKey("telegram", str(person.id), str(person.id))
    session = await world.store.sessions.get(key, utcnow() + timedelta(seconds=1))
    return None if session is None else (session.flow, session.step, session.draft)


async def test_media_edits_and_presses_in_a_group_are_ignored_mid_conversation(world):
    emu = world.emu
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    private_before = len(emu.messages(lan.id))
    session_before = await _session(world, lan)
    assert session_before[:2] == ("pa", "pa.category")
    counts = await _counts(world)
    answered = len(emu.answered_callbacks)

    for group in (emu.add_group("Xóm 3"), emu.add_group("Cả xã", supergroup=True)):
        emu.add_member(group, lan.id)
        said = await emu.send_text(lan.id, "Môi trường", chat_id=group)
        await emu.send_photo(lan.id, JPEG, caption="ảnh bãi rác", chat_id=group)
        await emu.send_document(lan.id, PDF, "don.pdf", "application/pdf", chat_id=group)
        await emu.send_location(lan.id, 21.0, 105.8, chat_id=group)
        await emu.send_sticker(lan.id, chat_id=group)
        await emu.send_voice(lan.id, chat_id=group)
        await emu.send_contact(lan.id, "0912345678", chat_id=group)
        await emu.edit_text(lan.id, said["message"]["message_id"], "/phananh", chat_id=group)
        for data in ("pa:cat:moi-truong", "onb:consent:yes", "hs:open:1", "xoa:confirm:yes"):
            await emu.press(lan.id, said["message"]["message_id"], data, chat_id=group)
        await world.settle()
        assert emu.messages(group) == []

    assert len(emu.messages(lan.id)) == private_before  # nothing said to her privately either
    assert await _session(world, lan) == session_before
    assert await _counts(world) == counts
    assert len(emu.answered_callbacks) == answered + 8  # every tap's spinner was stopped
    await lan.taps("Môi trường")  # the conversation goes on where she left it
    assert lan.last_text().startswith("Mời ông/bà kể ngắn gọn: việc gì, ở đâu, từ khi nào.")


async def test_commands_in_a_group_ask_for_a_private_message_and_change_nothing(world):
    emu = world.emu
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/xoadulieu")  # a question is pending in her private chat
    session_before = await _session(world, lan)
    group = emu.add_group("Xóm 3", supergroup=True)
    emu.add_member(group, lan.id)
    for command in ("/huy", "/xoadulieu", "/dung", "/hopthu", "/phananh Bãi rác"):
        await emu.send_text(lan.id, command, chat_id=group)
    await world.settle()
    assert [m.text for m in emu.messages(group)] == [PRIVATELY] * 5
    assert await _session(world, lan) == session_before
    resident = await world.store.residents.get_by_identity("telegram", str(lan.id))
    assert resident.status == "active"  # the /dung typed in the group stopped nothing
    answer = await lan.taps("Không xóa")
    assert "không xóa gì" in answer[0].text


async def test_a_command_for_another_bot_in_a_group_is_not_answered(world):
    emu = world.emu
    lan = world.resident("Lan")
    group = emu.add_group("Xóm 3")
    emu.add_member(group, lan.id)
    ours = world.channel.app.bot.username
    await emu.send_text(lan.id, "/start@OtherVillageBot", chat_id=group)
    await emu.send_text(lan.id, "/help@weather_bot hôm nay", chat_id=group)
    await world.settle()
    assert emu.messages(group) == []
    await emu.send_text(lan.id, f"/start@{ours}", chat_id=group)
    await world.settle()
    assert [m.text for m in emu.messages(group)] == [PRIVATELY]


async def test_other_bots_are_ignored_in_groups_and_in_private(world):
    emu = world.emu
    robot = emu.add_user("Robot", is_bot=True)
    lan = world.resident("Lan")
    group = emu.add_group("Xóm 3")
    emu.add_member(group, robot.id)
    emu.add_member(group, lan.id)
    sent = await emu.send_text(robot.id, "/start", chat_id=group)
    await emu.edit_text(robot.id, sent["message"]["message_id"], "/phananh", chat_id=group)
    await emu.send_photo(robot.id, JPEG, caption="/phananh")
    await emu.send_document(robot.id, PDF, "x.pdf")
    said = await emu.send_text(robot.id, "xin chào")
    await emu.edit_text(robot.id, said["message"]["message_id"], "/xoadulieu")
    await world.settle()
    assert emu.messages(group) == [] and emu.messages(robot.id) == []
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM residents") == 0
