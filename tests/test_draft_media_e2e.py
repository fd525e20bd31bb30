"""A draft's photos live as long as the draft, and unsent photos are capped (issue 14.4)."""

from __future__ import annotations

from datetime import timedelta

from bot.jobs import build_jobs
from storage.db import utcnow
from tests.test_feedback_e2e import CODE, png, start_feedback
from tests.test_onboarding_e2e import onboard


async def unsent(world, person) -> tuple[int, int]:
    """The person's photos attached to nothing: how many, and their bytes."""
    row = await world.store.db.fetchone(
        "SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM media"
        " WHERE user_id = ? AND feedback_id IS NULL",
        (str(person.id),),
    )
    return row["n"], row["bytes"]


async def finish(world, person):
    """Send the draft on from the photos step; return the stored item."""
    await person.taps("Xong, tiếp tục")
    await person.taps("Ở Xóm 3")
    await person.taps("Gửi có tên")
    code = CODE.search((await person.taps("Gửi phản ánh"))[0].text).group(0)
    return await world.store.feedback.get_by_code(code)


async def test_starting_feedback_again_keeps_only_the_new_drafts_photos(world):
    lan = world.resident("Lan")
    await onboard(lan)
    for round_ in range(3):  # /phananh again and again, never /huy
        await start_feedback(lan)
        for n in range(2):
            answer = await lan.sends_photo(png(10 * round_ + n))
            assert answer[0].text.startswith("Đã nhận ảnh")
    assert await unsent(world, lan) == (2, len(png(20)) + len(png(21)))

    item = await finish(world, lan)
    assert await world.store.media.for_feedback(item.id) == [png(20), png(21)]
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM media") == 2


async def test_another_flow_taking_over_or_the_draft_expiring_lets_its_photos_go(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(png(1))
    await lan.says("/help")  # answered in passing: the draft and its photo stay
    assert await unsent(world, lan) == (1, len(png(1)))
    await lan.says("/danhgia")  # another flow takes the conversation over
    assert await unsent(world, lan) == (0, 0)

    await start_feedback(lan)
    await lan.sends_photo(png(2))
    assert await unsent(world, lan) == (1, len(png(2)))
    [housekeeping] = [j for j in build_jobs(world.store, world.commune) if j.name == "housekeeping"]
    later = utcnow() + timedelta(minutes=world.commune.session_minutes + 1)
    done = await housekeeping.run(later)
    assert done["sessions"] == 1
    assert await unsent(world, lan) == (0, 0)


async def test_unsent_photos_are_capped_in_bytes_and_count_with_a_plain_message(world):
    world.store.media.max_bytes = len(png(1)) + len(png(2))  # the cap, brought within reach
    lan = world.resident("Lan")
    await onboard(lan)
    await start_feedback(lan)
    await lan.sends_photo(png(1))
    await lan.sends_photo(png(2))
    answer = await lan.sends_photo(png(3))
    assert answer[0].text.startswith("Ảnh này chưa được lưu") and "MB" in answer[0].text
    assert await unsent(world, lan) == (2, len(png(1)) + len(png(2)))

    world.store.media.max_bytes, world.store.media.max_files = 10**6, 1
    await lan.says("/huy")
    await start_feedback(lan)
    await lan.sends_photo(png(4))
    answer = await lan.sends_photo(png(5))
    assert answer[0].text.startswith("Ảnh này chưa được lưu")
    assert await unsent(world, lan) == (1, len(png(4)))
    item = await finish(world, lan)  # what was kept still goes out with the feedback
    assert await world.store.media.for_feedback(item.id) == [png(4)]
