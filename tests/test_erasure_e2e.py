"""/xoadulieu removes all a resident wrote or sent, down to the file's bytes (issue 14.3).

The resident sends feedback with a text, a photo, a map point and a typed address, rates
the handling and a service with comments; officials and a leader are told. After erasure
neither the database file nor its WAL holds any of it, and the officials still work the
open item, shown as sent by someone who deleted their data.
"""

from __future__ import annotations

import secrets
import struct
import zlib

from bot.i18n import translator
from storage.models import Role
from tests.test_feedback_e2e import CODE, start_feedback
from tests.test_inbox_e2e import open_from_inbox, quiet
from tests.test_onboarding_e2e import onboard
from tests.test_rating_e2e import rate_fully

NAME = "Quỳnh Hoa Ngõ Bảy"
TEXT_A = "Cống thoát nước trước nhà số 17 bị vỡ, nước thải tràn ra đường suốt tuần"
TEXT_B = "Đèn đường cạnh nhà văn hóa thôn Đông tắt từ tháng trước, tối đi lại rất nguy hiểm"
ADDRESS = "Ngõ Hoa Sữa, cạnh cây đa số 42"
FB_COMMENT = "Cán bộ Hà nói chuyện rất khó nghe với tôi qua điện thoại"
SERVICE_COMMENT = "Chờ một cửa từ bảy giờ đến mười một giờ mới được gọi tên"
LATITUDE, LONGITUDE = 21.9123456, 105.6345678


def photo(noise: bytes) -> bytes:
    """A valid PNG carrying `noise` in a private chunk: bytes found nowhere else."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"prVt", noise)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))  # fmt: skip


def left_in_files(world, secrets_: dict[str, bytes]) -> list[str]:
    """Which of the secrets the database file or its WAL still hold, byte for byte."""
    raw = b"".join(
        path.read_bytes()
        for path in (world.db_path, world.db_path.with_name(world.db_path.name + "-wal"))
        if path.exists()
    )
    return [name for name, needle in secrets_.items() if needle in raw]


async def test_erasure_leaves_nothing_the_resident_wrote_and_staff_still_work_the_item(world):
    ha = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    leader = await world.staff("Chủ tịch xã", Role.LEADER)
    lan = world.resident(NAME)
    await onboard(lan)
    noise = secrets.token_bytes(3000)

    await start_feedback(lan, text=TEXT_A)  # item A: text, photo, map point; stays open
    await lan.sends_photo(photo(noise))
    await lan.taps("Xong, tiếp tục")
    await world.emu.send_location(lan.id, LATITUDE, LONGITUDE)
    await lan._answers()
    await lan.taps("Gửi có tên")
    code_a = CODE.search((await lan.taps("Gửi phản ánh"))[0].text).group(0)

    await start_feedback(lan, text=TEXT_B)  # item B: typed address; resolved, then rated
    await lan.taps("Không có ảnh")
    await lan.taps("Gõ địa chỉ")
    await lan.says(ADDRESS)
    await lan.taps("Gửi có tên")
    code_b = CODE.search((await lan.taps("Gửi phản ánh"))[0].text).group(0)
    await quiet(world, ha, lan)
    await open_from_inbox(ha, code_b)
    await ha.taps("Báo đã giải quyết")
    await ha.says("Đã thay bóng đèn mới.")
    await quiet(world, ha, lan)
    await lan.taps("Đã giải quyết xong")
    await lan.taps(translator("vi")("fb.rating_2"))
    await lan.says(FB_COMMENT)

    await lan.says("/danhgia")  # a service rating with a comment: the leader is alerted
    await rate_fully(lan, scores=(4, 4, 1, 3, 3), comment=SERVICE_COMMENT)
    await lan.taps("Đồng ý để xã liên hệ")
    await quiet(world, ha, leader, lan)
    assert any(TEXT_A in m.text for m in world.emu.messages(ha.id))  # the officials were told
    assert any(SERVICE_COMMENT in m.text for m in world.emu.messages(leader.id))

    wrote = {
        "text A": TEXT_A.encode(), "text B": TEXT_B.encode(), "address": ADDRESS.encode(),
        "feedback rating comment": FB_COMMENT.encode(), "name": NAME.encode(),
        "service rating comment": SERVICE_COMMENT.encode(), "photo": noise,
        "map point": struct.pack(">d", LATITUDE),
    }  # fmt: skip
    assert left_in_files(world, wrote) == list(wrote)  # all of it is stored before erasure

    await lan.says("/xoadulieu")
    answer = await lan.taps("Xóa dữ liệu của tôi")
    assert answer[0].text.startswith("Đã xóa dữ liệu của ông/bà")
    assert "lĩnh vực, xóm, ngày, trạng thái, điểm đánh giá" in answer[0].text
    assert left_in_files(world, wrote) == []

    item = await world.store.feedback.get_by_code(code_a)  # what carries no personal data stays
    assert (item.category, item.hamlet, item.status, item.kind) == (
        "moi-truong", "Xóm 3", "new", "petition",
    )  # fmt: skip
    assert (item.latitude, item.longitude, item.address) == (None, None, None)
    assert item.erased_at is not None and item.created_at is not None
    rated = await world.store.feedback.get_by_code(code_b)
    assert (rated.rating, rated.rating_comment, rated.status) == (2, None, "resolved")
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM media") == 0

    view = await open_from_inbox(ha, code_a)  # the official still opens and answers it
    assert "(người gửi đã xóa dữ liệu)" in view[0].text
    assert "không còn lưu (người gửi đã xóa dữ liệu)" in view[0].text
    assert not [m for m in view if m.photo]
    await ha.taps("Trả lời người dân")
    answer = await ha.says("Xã đã cử người sửa cống trong tuần này.")
    assert code_a in answer[0].text
    assert (await world.store.feedback.get_by_code(code_a)).status == "answered"
    await world.drain()
    assert left_in_files(world, wrote) == []
