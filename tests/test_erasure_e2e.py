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
from datetime import time

import pytest

from bot.config import QuietHours
from bot.digest.build import build_digest, send_digest
from bot.digest.period import Period
from bot.i18n import translator
from handlers import consult_results
from storage.db import utcnow
from storage.models import Role
from tests.test_feedback_e2e import CODE, start_feedback
from tests.test_inbox_e2e import open_from_inbox, quiet
from tests.test_onboarding_e2e import onboard
from tests.test_participation_e2e import open_consultation
from tests.test_rating_e2e import rate_fully

NAME = "Quỳnh Hoa Ngõ Bảy"
TEXT_A = "Cống thoát nước trước nhà số 17 bị vỡ, nước thải tràn ra đường suốt tuần"
TEXT_B = "Đèn đường cạnh nhà văn hóa thôn Đông tắt từ tháng trước, tối đi lại rất nguy hiểm"
ADDRESS = "Ngõ Hoa Sữa, cạnh cây đa số 42"
FB_COMMENT = "Cán bộ Hà nói chuyện rất khó nghe với tôi qua điện thoại"
SERVICE_COMMENT = "Chờ một cửa từ bảy giờ đến mười một giờ mới được gọi tên"
LATITUDE, LONGITUDE = 21.9123456, 105.6345678


@pytest.fixture
def commune(commune):
    """No quiet hours: the digest goes out at once."""
    return commune.model_copy(update={"quiet_hours": QuietHours(start=time(0, 0), end=time(0, 0))})


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
    assert "(người gửi đã xóa dữ liệu)" in view.text
    assert "không còn lưu (người gửi đã xóa dữ liệu)" in view.text
    assert "Xem ảnh" not in ha.buttons()  # no photos left to show
    await ha.taps("Trả lời người dân")
    answer = await ha.says("Xã đã cử người sửa cống trong tuần này.")
    assert code_a in answer[0].text
    assert (await world.store.feedback.get_by_code(code_a)).status == "answered"
    await world.drain()
    assert left_in_files(world, wrote) == []


CONSULT_COMMENT = "Nhà tôi ở cuối ngõ 9 chỉ góp được một ngày công thôi"
OTHER_COMMENT = "Nên làm trước mùa mưa"
QUESTION = "Vì sao rác ở ngõ 9 nhà tôi ba ngày mới thu một lần?"


async def test_erasure_reaches_consultations_dialogues_and_the_leaders_digest(world):
    minh = await world.staff("Cán bộ Minh", Role.OFFICIAL)
    leader = await world.staff("Chủ tịch xã", Role.LEADER)
    lan, hoa = world.resident(NAME), world.resident("Hoa")
    await onboard(lan, hamlet="Xóm 1")
    await onboard(hoa, hamlet="Xóm 1")

    await open_consultation(minh)
    await quiet(world, lan, hoa)
    for person, comment in ((lan, CONSULT_COMMENT), (hoa, OTHER_COMMENT)):
        await person.taps("Xem và góp ý")
        await person.taps("Đồng ý")
        await person.says(comment)
    consultation = (await world.store.participation.consultations("open"))[0]
    assert await consult_results.close(world.store, world.commune, consultation)

    await minh.says("/doithoai")
    await minh.taps("Thông báo buổi đối thoại")
    await minh.says("Thu gom rác thải sinh hoạt")
    await minh.says("Hội trường UBND xã")
    await minh.says("08:00 ngày 15/12/2026")
    await minh.taps("Gửi thông báo")
    await quiet(world, lan)
    await lan.taps("Gửi câu hỏi")
    await lan.says(QUESTION)

    await lan.says("/danhgia")
    await rate_fully(lan, scores=(4, 4, 1, 3, 3), comment=SERVICE_COMMENT)
    await lan.taps("Không cần liên hệ")
    now = utcnow()
    year, week, _ = now.astimezone(world.commune.zone).isocalendar()
    week_period = Period.week(year, week, world.commune.zone)
    digest = await build_digest(world.store, world.commune, week_period)
    await send_digest(world.store, world.commune, digest, now)
    await world.drain()
    told = [m.text for m in world.emu.messages(leader.id)]
    assert any(CONSULT_COMMENT in text for text in told)  # the consultation's results
    source = f"digest:{year}-W{week:02d}"
    [text] = await world.store.outbox.list_by_source(f"{source}:text")
    assert text.status == "sent" and SERVICE_COMMENT in text.reply.text and text.reply.text in told

    wrote = {
        "consultation comment": CONSULT_COMMENT.encode(), "question": QUESTION.encode(),
        "service rating comment": SERVICE_COMMENT.encode(), "name": NAME.encode(),
    }  # fmt: skip
    assert left_in_files(world, wrote) == list(wrote)
    await lan.says("/xoadulieu")
    await lan.taps("Xóa dữ liệu của tôi")
    assert left_in_files(world, wrote) == []
    assert left_in_files(world, {"another's comment": OTHER_COMMENT.encode()})  # hers stays

    assert await world.store.participation.tally(consultation.id) == {"Xóm 1": {0: 2}}
    await minh.says("/doithoai")
    listing = await minh.taps("Câu hỏi: Thu gom rác thải sinh hoạt")
    assert "(người gửi đã xóa dữ liệu)" in listing[0].text
    for part in ("text", "workbook"):  # the digest that quoted her: only its counts remain
        [row] = await world.store.outbox.list_by_source(f"{source}:{part}")
        assert (row.status, row.reply.text, row.reply.media) == ("sent", "", None)
    [chart] = await world.store.outbox.list_by_source(f"{source}:chart")
    assert chart.reply.media is not None  # a chart quotes nobody
