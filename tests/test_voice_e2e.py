"""Residents who speak: a voice note where a description is asked for is kept with the item,
the resident is told it arrived, and officials hear it when they open the item."""

from __future__ import annotations

import re

from bot.i18n import translator
from storage.feedback import CODE_ALPHABET
from storage.models import Role
from tests.test_inbox_e2e import open_from_inbox
from tests.test_onboarding_e2e import onboard

CODE = re.compile(rf"PA-[{CODE_ALPHABET}]{{5}}")
t = translator("vi")
VOICE = b"OggS\x00\x02" + bytes(range(200))  # what Telegram's voice notes start with


async def describe_by_voice(world, lan, seconds=7):
    await lan.says("/phananh")
    await lan.taps("Phản ánh, kiến nghị")
    await lan.taps("Môi trường")
    await world.emu.send_voice(lan.id, VOICE, seconds)
    return await lan._answers()


async def test_a_voice_note_is_the_description_and_the_official_hears_it(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await describe_by_voice(world, lan)
    assert answer[0].text == t("voice.received", seconds=7)
    assert "Không có ảnh" in lan.buttons()  # on to the photos, as after a typed description
    await lan.taps("Không có ảnh")
    await lan.taps("Ở Xóm 3")
    await lan.taps("Gửi có tên")
    review = lan.last_text()
    assert "Ảnh: 0" in review and t("voice.description", seconds=7) in review
    answer = await lan.taps("Gửi phản ánh")
    code = CODE.search(answer[0].text).group(0)
    item = await world.store.feedback.get_by_code(code)
    assert item.description == t("voice.description", seconds=7)
    assert await world.store.media.voices_for_feedback(item.id) == [(VOICE, 7)]
    assert await world.store.media.for_feedback(item.id) == []  # not shown as a photo

    await world.drain()
    await ha._answers()
    await open_from_inbox(ha, code)
    opened = await ha.taps("Xem ảnh")  # photos and voice notes follow when asked for
    [played] = [m for m in opened if m.voice]
    assert world.emu.file_bytes(played.voice["file_id"]) == VOICE
    assert played.caption == t("voice.caption", n=1, total=1, code=code, seconds=7)


async def test_a_voice_note_is_never_sent_anonymously(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await describe_by_voice(world, lan, seconds=3)
    await lan.taps("Không có ảnh")
    await lan.taps("Ở Xóm 3")
    answer = await lan.taps("Gửi ẩn danh")
    assert answer[0].text == t("voice.named")
    assert "Gửi phản ánh" in lan.buttons()
    answer = await lan.taps("Gửi phản ánh")
    item = await world.store.feedback.get_by_code(CODE.search(answer[0].text).group(0))
    assert not item.anonymous


async def test_a_voice_note_elsewhere_still_gets_the_explanation(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await world.emu.send_voice(lan.id, VOICE, 2)
    answer = await lan._answers()
    assert answer[0].text == t("error.unsupported")
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM media") == 0
