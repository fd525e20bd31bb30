"""A tidy chat on Telegram: a button's answer replaces the message the button was on.

Multi-select lists toggle in place, the official's item card is one message that updates
in place, the place is a map link, list lines cut at a word, and /tracuu tells the whole
story as the resident may see it. Zalo, which cannot edit, is in tests/test_zalo_e2e.py.
"""

from __future__ import annotations

from bot.messages import Choice, Reply, reply_from_dict, reply_to_dict
from bot.text import snippet
from storage.models import Role
from tests.test_campaigns_e2e import sign_up
from tests.test_feedback_e2e import CODE, send_feedback, start_feedback
from tests.test_inbox_e2e import onboard, open_from_inbox, quiet


def calls_since(world, mark: int) -> list[str]:
    """The Bot API methods the bot called since `mark` (an index into the emulator's calls)."""
    return [method for method, _ in world.emu.calls[mark:] if method != "getUpdates"]


async def test_a_hamlet_list_toggles_in_place_with_one_edit_per_tap(world):
    await sign_up(world, "An", "Xóm 1")
    minh = await world.staff("Minh", Role.OFFICIAL)
    await minh.says("/thongbao")
    await minh.says("Mời bà con họp xóm tối thứ Bảy.")
    await minh.taps("Không đính kèm")
    assert await minh.taps("Chọn xóm") == []  # the audience question turns into the list
    (picker,) = minh.edited
    for hamlet in ("Xóm 1", "Xóm 2"):
        mark = len(world.emu.calls)
        assert await minh.taps(hamlet) == []  # no new message...
        assert minh.edited == [picker]  # ...the list itself changed
        assert calls_since(world, mark) == ["answerCallbackQuery", "editMessageText"]
    assert minh.buttons()[:2] == ["✓ Xóm 1", "✓ Xóm 2"]
    assert await minh.taps("✓ Xóm 2") == [] and minh.buttons()[:2] == ["✓ Xóm 1", "Xóm 2"]
    preview = await minh.taps("Xong")  # leaving the list: new messages, its keyboard retired
    assert "Xóm 1: 1 người" in preview[-1].text and picker.buttons == []


async def test_the_same_screen_again_is_no_error_and_an_uneditable_message_gets_a_new_one(world):
    lan = world.resident("Lan")
    await onboard(lan)
    (screen,) = await lan.says("/theodoi")
    mark = len(world.emu.calls)
    # The screen pressed to show itself: Telegram answers "message is not modified", which
    # is no failure: nothing new is sent and the keyboard stays.
    assert await lan.presses("td:show", message_id=screen.message_id) == []
    assert calls_since(world, mark) == ["answerCallbackQuery", "editMessageText"]
    assert "✓ Thông báo của xã" in lan.buttons()
    # A message Telegram will not edit (here the resident's own; in life one older than
    # 48 hours, or a photo): the answer comes as a new message.
    update = await world.emu.send_text(lan.id, "theo dõi")
    await lan._answers()
    own = update["message"]["message_id"]
    (again,) = await lan.presses("td:topic:announcements", message_id=own)
    assert "○ Thông báo của xã" in [label for label, _ in again.buttons]


async def test_the_card_is_one_message_with_a_map_link_and_photos_on_request(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    await lan.taps("Xong, tiếp tục")
    await world.emu.send_location(lan.id, 21.912, 105.634)
    await lan._answers()
    await lan.taps("Gửi có tên")
    code = CODE.search((await lan.taps("Gửi phản ánh"))[0].text).group(0)
    await quiet(world, ha, lan)

    card = await open_from_inbox(ha, code)  # one message: details, history, actions
    link = "https://www.openstreetmap.org/?mlat=21.91200&mlon=105.63400#map=18/21.91200/105.63400"
    assert link in card.text and "Diễn biến" not in card.text
    assert "gửi phản ánh" in card.text and not card.photo
    assert ha.buttons()[-3:] == ["Xem ảnh", "↩ Về danh sách", "↩ Về hộp thư"]
    assert [m.photo is not None for m in await ha.taps("Xem ảnh")] == [True]
    assert ha.edited == []  # the card stays as it was, buttons and all
    assert await ha.taps("Tiếp nhận") == [] and ha.edited == [card]
    assert card.text.startswith(f"Đã tiếp nhận phản ánh {code}.")
    await ha.taps("↩ Về hộp thư")
    assert ha.last_text().startswith("Hộp thư")


async def test_list_snippets_end_at_a_word(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    text = "Đường liên xóm đoạn qua nhà văn hóa Xóm 3 bị sạt lở một bên taluy sau mưa lớn đêm qua"
    assert len(text) > 80  # SNIPPET: cut at 80 characters, where "đêm" would be broken
    code = await send_feedback(lan, text=text)
    await quiet(world, ha, lan)
    await ha.says("/hopthu")
    (listing,) = await ha.taps("Mới")
    lines = listing.text.splitlines()
    line = lines[next(n for n, line in enumerate(lines) if code in line) + 1].strip()
    assert line == "Đường liên xóm đoạn qua nhà văn hóa Xóm 3 bị sạt lở một bên taluy sau mưa lớn…"


def test_snippet_cuts_at_a_word_and_marks_the_cut():
    assert snippet("Bãi rác  tự phát\ncạnh đường", 40) == "Bãi rác tự phát cạnh đường"
    assert snippet("Bãi rác tự phát cạnh đường liên xóm", 20) == "Bãi rác tự phát…"
    assert snippet("Bãi rác tự phát, cạnh đường", 18) == "Bãi rác tự phát…"
    assert snippet("Mộttừrấtdàikhôngcókhoảngtrắng", 10) == "Mộttừrấtd…"
    assert len(snippet("x " * 100, 60)) <= 60


async def test_tracuu_shows_the_history_the_resident_may_see_and_their_rating(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    lan = world.resident("Lan")
    await onboard(lan)
    code = await send_feedback(lan)
    await quiet(world, ha, lan)
    await open_from_inbox(ha, code)
    await ha.taps("Giao xử lý")
    await ha.taps("Cho tôi (Cán bộ Hà)")
    await ha.taps("Ghi chú nội bộ")
    await ha.says("Chờ ý kiến chủ tịch xã về kinh phí.")
    await ha.taps("Báo đã giải quyết")
    await ha.says("Đã dọn sạch bãi rác và đặt biển cấm đổ rác.")
    await world.drain()
    await lan._answers()
    await lan.taps("Đã giải quyết xong")
    await lan.taps("4 - Hài lòng")
    await lan.says("Cảm ơn xã đã làm nhanh.")

    (tracked,) = await lan.says(f"/tracuu {code}")
    history = tracked.text.split("Diễn biến:\n", 1)[1]
    lines = [line for line in history.splitlines() if line.startswith("- ")]
    assert [line.split(": ", 1)[1] for line in lines] == [
        "Ông/bà gửi đến xã",
        "Xã giao cán bộ phụ trách xử lý",
        "Xã báo đã giải quyết",
        "Ông/bà xác nhận đã giải quyết xong và chấm điểm",
    ]
    assert "“Đã dọn sạch bãi rác và đặt biển cấm đổ rác.”" in history
    assert "Cán bộ Hà" not in tracked.text  # no staff name, not even the assignee's
    assert "kinh phí" not in tracked.text  # never an internal note
    assert "Ông/bà đã chấm: 4 - Hài lòng" in history
    assert "Ý kiến của ông/bà: Cảm ơn xã đã làm nhanh." in history


def test_the_replaces_mark_is_for_answers_only_and_never_reaches_the_outbox():
    marked = Reply("Chọn xóm", choices=(Choice("bc:h:0", "Xóm 1"),), replaces=True)
    assert marked.replaces and not Reply("Chọn xóm").replaces
    pushed = reply_from_dict(reply_to_dict(marked))  # a push has no button press to replace
    assert not pushed.replaces and pushed.choices == marked.choices
