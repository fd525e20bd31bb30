"""Staff registered on Zalo get their notifications on Zalo, with a link into the console.

A Zalo official is told about a new item and about an item assigned to them on their own
channel (not Telegram), in plain text with the console's link, the open button shown as the
numbered line Zalo uses; typing its number opens the item in the chat.
"""

from __future__ import annotations

from bot.web.urls import item_url
from storage.models import Role
from tests.test_zalo_e2e import commune, onboard, submit_with_photo, world, zemu  # noqa: F401
from tests.zalo_world import ZaloPerson


async def zalo_official(world, name: str) -> ZaloPerson:  # noqa: F811
    """An official who works on Zalo, added the way `loaxa staff add --channel zalo` adds one."""
    person = world.zalo_resident(name)
    await world.store.staff.upsert("zalo", person.id, name, Role.OFFICIAL)
    return person


async def test_a_zalo_official_is_told_of_a_new_item_and_an_assignment_on_zalo(world):  # noqa: F811
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)  # on Telegram
    ha = await zalo_official(world, "Cán bộ Hà")
    lan = world.zalo_resident("Lan")
    await onboard(lan)
    code = await submit_with_photo(lan)
    link = item_url(world.settings.console_url, code)
    assert link.startswith("http://127.0.0.1:") and link.endswith(f"/web/items/{code}")

    await world.drain()
    [new] = [m for m in await ha.catch_up() if code in m.text]
    assert new.text.startswith("Có phản ánh mới.")
    assert f"Xem trên trang cán bộ: {link}" in new.text
    assert "Bãi rác tự phát" in new.text and "Lan" not in new.text  # the summary, no sender
    assert [label for _, label in new.choices] == ["Xem phản ánh"]
    assert "<" not in new.text and "*" not in new.text  # plain text, no Telegram markup
    # Minh, on Telegram, got it there too, with the same link.
    assert any(link in m.text for m in world.emu.messages(minh.chat_id))

    await minh.says("/hopthu")
    await minh.taps("Mới")
    await minh.taps(f"1. {code}")
    await minh.taps("Giao xử lý")
    assert await minh.taps("Cán bộ Hà") == []  # the card, redrawn in place
    assert minh.edited[0].text.startswith(f"Đã giao phản ánh {code} cho Cán bộ Hà.")
    await world.drain()
    [assigned] = [m for m in await ha.catch_up() if "được giao" in m.text]
    assert assigned.text.startswith(f"Anh/chị được giao xử lý phản ánh {code}.")
    assert link in assigned.text

    # The open button is the numbered line: typing its number opens the item on Zalo.
    opened = await ha.picks("Xem phản ánh")
    assert opened[0].text.startswith(f"Phản ánh {code}\n")
    assert "Báo đã giải quyết" in [label for _, label in opened[-1].choices]
