"""SIPAS ratings: QR deep link, the five components, quick path, low-score alerts, aggregates."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import zxingcpp
from PIL import Image

from bot.i18n import translator
from storage.models import Role
from storage.ratings import NewRating
from tests.test_onboarding_e2e import onboard

ROOT = Path(__file__).resolve().parents[1]


async def rate_fully(person, scores=(5, 4, 4, 5, None), comment=None):
    await person.taps("Hộ tịch (khai sinh, kết hôn, khai tử)")
    await person.taps("Đầy đủ: 5 câu")
    labels = {
        5: "5 - Rất hài lòng",
        4: "4 - Hài lòng",
        3: "3 - Bình thường",
        2: "2 - Không hài lòng",
        1: "1 - Rất không hài lòng",
    }
    for score in scores:
        await person.taps(labels[score] if score else "Chưa góp ý bao giờ")
    if comment:
        return await person.says(comment)
    return await person.taps("Không góp ý")


async def test_qr_deep_link_leads_a_newcomer_through_onboarding_to_the_rating(world):
    lan = world.resident("Lan")
    await lan.says("/start rate_mot-cua")
    await lan.taps("Đồng ý")
    await lan.taps("Xóm 2")
    answer = await lan.taps("Nhận tất cả (nên chọn)")
    assert "Trung tâm Phục vụ hành chính công xã" in answer[-1].text
    answer = await rate_fully(lan)
    assert answer[0].text.startswith("Cảm ơn ông/bà đã đánh giá")
    row = await world.store.db.fetchone(
        "SELECT desk, service, mode, c1, c2, c3, c4, c5 FROM ratings"
    )
    assert tuple(row) == ("mot-cua", "ho-tich", "full", 5, 4, 4, 5, None)
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM outbox") == 0


async def test_registered_resident_scanning_the_qr_goes_straight_to_the_rating(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/start rate_mot-cua")
    assert "Ông/bà vừa làm thủ tục gì?" in answer[-1].text


async def test_quick_rating_and_one_rating_per_visit(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/danhgia")
    await lan.taps("Chứng thực bản sao, chữ ký")
    await lan.taps("Nhanh: 1 câu")
    await lan.taps("4 - Hài lòng")
    await lan.taps("Không góp ý")
    assert await world.store.db.fetchval("SELECT overall FROM ratings") == 4
    await lan.says("/danhgia")
    answer = await lan.taps("Chứng thực bản sao, chữ ký")
    assert "đã đánh giá" in answer[0].text
    assert await world.store.db.fetchval("SELECT COUNT(*) FROM ratings") == 1


async def test_low_rating_alerts_leaders_with_the_comment(world):
    leader = await world.staff("Chủ tịch xã", Role.LEADER)
    await world.store.staff.upsert("zalo", "za-7", "Phó chủ tịch xã", Role.LEADER)  # on Zalo
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/danhgia")
    await rate_fully(lan, scores=(4, 4, 1, 3, 3), comment="Cán bộ bắt chờ cả buổi sáng")
    await lan.taps("Đồng ý để xã liên hệ")
    payloads = await world.store.db.fetchall(
        "SELECT channel, chat_id, kind, payload FROM outbox ORDER BY channel"
    )
    assert [(r["channel"], r["chat_id"], r["kind"]) for r in payloads] == [
        ("telegram", str(leader.id), "alert"), ("zalo", "za-7", "alert"),
    ]  # fmt: skip
    assert "Cán bộ bắt chờ cả buổi sáng" in payloads[0]["payload"]
    assert "Sự phục vụ của công chức: 1" in payloads[0]["payload"]
    assert await world.store.db.fetchval("SELECT contact_ok FROM ratings") == 1


async def test_aggregates_match_hand_computed_numbers(world):
    ratings = world.store.ratings
    day = date(2026, 11, 20)
    rows = [
        ({1: 5, 2: 4, 3: 3, 4: 5, 5: 2}, None),
        ({1: 4, 2: 2, 3: 5, 4: 4}, None),
        ({}, 5),
        ({}, 1),
    ]
    for scores, overall in rows:
        await ratings.add(NewRating(None, "telegram", "mot-cua", "ho-tich", day,
                                    "quick" if overall else "full", scores, overall))  # fmt: skip
    start = datetime.now(UTC) - timedelta(hours=1)
    end = datetime.now(UTC) + timedelta(hours=1)
    by = await ratings.by_component(start, end)
    assert (by[1].count, by[1].mean, by[1].satisfied_share) == (2, 4.5, 1.0)
    assert (by[2].count, by[2].mean, by[2].satisfied_share) == (2, 3.0, 0.5)
    assert (by[5].count, by[5].mean, by[5].satisfied_share) == (1, 2.0, 0.0)
    overall = await ratings.overall(start, end)
    assert (overall.count, overall.mean, overall.satisfied_share) == (2, 3.0, 0.5)
    service = (await ratings.by_service(start, end))["ho-tich"]
    assert service.count == 11 and round(service.mean, 4) == round(40 / 11, 4)


def test_qr_cli_writes_a_png_that_decodes_to_the_deep_link(tmp_path):
    out = tmp_path / "desk.png"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LOAXA_DB": str(tmp_path / "x.db")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--desk", "mot-cua", "--out", str(out),
         "--bot", "loaxa_td_bot"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(out))]
    assert decoded == ["https://t.me/loaxa_td_bot?start=rate_mot-cua"]


def test_qr_cli_refuses_an_unknown_desk(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LOAXA_DB": str(tmp_path / "x.db")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--desk", "nowhere", "--out", "x.png", "--bot", "b"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "nowhere" in done.stderr


async def test_rating_from_the_menu_does_not_thank_for_coming_to_the_desk(world):
    lan = world.resident("Lan")
    await onboard(lan)
    answer = await lan.says("/danhgia")
    assert answer[-1].text == "Ông/bà vừa làm thủ tục gì?"
    answer = await lan.says("/start rate_mot-cua")  # scanned at the desk: thanked for coming
    desk = world.commune.desk("mot-cua").name
    assert answer[-1].text == translator("vi")("rate.ask_service", desk=desk)


def test_qr_cli_makes_a_zalo_poster_with_the_given_link_and_the_words_to_type(tmp_path):
    out = tmp_path / "desk-zalo.png"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LOAXA_DB": str(tmp_path / "x.db")}
    link = "https://zalo.me/s/botexample"  # what the operator copied from Zalo, taken as is
    done = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--desk", "mot-cua", "--out", str(out),
         "--zalo-link", link],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(": đánh giá mot-cua")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(out))] == [link]

    done = subprocess.run(
        [sys.executable, "-m", "bot", "qr", "--desk", "mot-cua", "--out", str(out),
         "--zalo-link", "zalo bot"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--zalo-link" in done.stderr


async def test_a_sticker_for_the_comment_is_told_why_it_is_asked_again(world):
    lan = world.resident("Lan")
    await onboard(lan)
    await lan.says("/danhgia")
    await lan.taps("Hộ tịch (khai sinh, kết hôn, khai tử)")
    await lan.taps("Nhanh: 1 câu")
    await lan.taps("4 - Hài lòng")
    answer = await lan.sends_sticker()
    assert answer[0].text.startswith("Bước này cần gõ chữ.\n")
    assert "Không góp ý" in lan.buttons()
