"""Photos, documents and names on the commune's Zalo OA, end to end over the OA emulator.

An official's photo broadcast or published PDF reaches an OA follower as an attachment,
uploaded right before the consultation message that carries it; a photo over 1 MB is
re-encoded under it; a document over 5 MB stays a note in the text. Staff see the
follower's Zalo name, fetched with user/detail, and a follower Zalo will not describe
still gets on with what they came for.
"""

from __future__ import annotations

import io
import random

from PIL import Image

from bot.messages import Media, Reply
from storage.models import ResidentStatus, Role
from storage.outbox import Push
from tests import test_zalo_oa_e2e as oa_e2e
from tests.test_broadcast_e2e import TEXT
from tests.test_emulator import JPEG
from tests.test_publications_e2e import publish
from tests.test_zalo_oa_e2e import onboard

commune, oa, world = oa_e2e.commune, oa_e2e.oa, oa_e2e.world  # the OA world's fixtures

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def noisy_png(side: int) -> bytes:
    """Return a PNG of random pixels: it compresses badly, so it stays large."""
    pixels = random.Random(side).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(out, "PNG")
    return out.getvalue()


def attachments(world, messages, kind: str) -> list[tuple[str, bytes]]:
    return [world.oa.attached(m) for m in messages if m.kind == kind]


async def test_a_photo_broadcast_reaches_a_follower_as_an_uploaded_image(world):
    lan = world.follower("Lan")
    await onboard(lan)
    minh = await world.staff("Minh", Role.OFFICIAL)
    await minh.says("/thongbao")
    await minh.sends_photo(JPEG, caption=TEXT)
    await minh.taps("Mọi người nhận thông báo")
    await minh.taps("Gửi ngay")
    await world.drain()
    got = await lan.catch_up()
    assert [m.text for m in got if m.kind == "text"] == [TEXT]
    [(name, data)] = attachments(world, got, "image")
    assert data == JPEG and name.endswith(".jpg")  # small enough: sent as it is


async def test_a_published_pdf_reaches_a_follower_as_a_file(world):
    lan = world.follower("Lan")
    await onboard(lan)
    official = await world.staff("Cán bộ Hà", Role.OFFICIAL)
    await publish(official, push=True)
    await world.drain()
    got = await lan.catch_up()
    assert got[0].text.startswith("Xã vừa công khai: Công khai dự toán ngân sách xã năm 2027")
    [(name, data)] = attachments(world, got, "file")
    assert name == "du-toan-2027.pdf"
    assert data.startswith(b"%PDF")


async def test_a_3_mb_photo_is_re_encoded_under_1_mb(world):
    lan = world.follower("Lan")
    await onboard(lan)
    big = noisy_png(1000)
    assert len(big) > 2_900_000
    photo = Reply("Ảnh hiện trường", media=Media("photo", "hien-truong.png", big))
    await world.store.outbox.enqueue([Push("zalo_oa", lan.id, photo, "notify", "test:big")])
    await world.drain()
    got = await lan.catch_up()
    [(name, data)] = attachments(world, got, "image")
    assert len(data) <= 1024 * 1024 and name == "hien-truong.jpg"
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.format == "JPEG"


async def test_a_7_mb_pdf_goes_as_a_note_in_the_text(world):
    lan = world.follower("Lan")
    await onboard(lan)
    big = PDF + b"0" * (7 * 1024 * 1024)
    reply = Reply("Quy hoạch sử dụng đất", media=Media("document", "quy-hoach.pdf", big))
    await world.store.outbox.enqueue([Push("zalo_oa", lan.id, reply, "notify", "test:pdf")])
    await world.drain()
    got = await lan.catch_up()
    assert [m.kind for m in got] == ["text"]
    assert got[0].text.startswith("Quy hoạch sử dụng đất")
    assert "quy-hoach.pdf" in got[0].text and "UBND xã" in got[0].text
    assert world.oa.state.uploaded == {}  # nothing was uploaded for it


async def test_staff_see_the_followers_zalo_name(world):
    lan = world.follower("Nguyễn Thị Lan")
    await onboard(lan)
    resident = await world.store.residents.get_by_identity("zalo_oa", lan.id)
    assert resident.display_name == "Nguyễn Thị Lan"


async def test_a_follower_zalo_will_not_describe_still_signs_up(world):
    world.oa.rules.unregistered.add("/v3.0/oa/user/detail")  # user/detail answers -212
    hoa = world.follower("Hoa")
    await onboard(hoa)
    resident = await world.store.residents.get_by_identity("zalo_oa", hoa.id)
    assert resident.status is ResidentStatus.ACTIVE and not resident.display_name


async def test_a_photo_sent_again_after_its_upload_expired_is_uploaded_again(world):
    lan = world.follower("Lan")
    await onboard(lan)
    photo = Reply("Lịch tiêm", media=Media("photo", "lich.jpg", JPEG))
    await world.store.outbox.enqueue([Push("zalo_oa", lan.id, photo, "notify", "test:1")])
    await world.drain()
    world.oa.clock.advance(8 * 86_400)  # the first upload id has expired (7 days)
    await lan.says("/tracuu")  # the follower writes again: inside the window once more
    await world.store.outbox.enqueue([Push("zalo_oa", lan.id, photo, "notify", "test:2")])
    await world.drain()
    images = [m for m in world.oa.messages(lan.id) if m.kind == "image"]
    assert len(images) == 2 and len(world.oa.state.uploaded) == 2
    assert [world.oa.attached(m)[1] for m in images] == [JPEG, JPEG]
