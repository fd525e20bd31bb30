"""A small commune with a known history, for the digest and report tests.

Week 2026-W48 is Monday 23/11 to Sunday 29/11/2026, W47 the week before (commune time,
UTC+7). Every number the tests expect is worked out by hand in the comments below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from storage import Storage
from storage.models import Role
from storage.synthetic import FeedbackRow, RatingRow, Synthetic

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = "Bùi Thị Xuân"  # the anonymous sender: must never appear in what staff read
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in 2026, commune time."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


@dataclass
class Seeded:
    codes: dict[str, str]
    staff_id: int
    leader_chat: str


async def seed(store: Storage) -> Seeded:
    syn = Synthetic(store.db)
    ha = await store.staff.upsert("telegram", "7001", "Cán bộ Hà", Role.OFFICIAL)
    await store.staff.upsert("telegram", "7002", "Lãnh đạo Minh", Role.LEADER)
    # Residents: r1, r5 (and r6, deleted) in October; r2 in W47; r3, r4 in W48.
    r1 = await syn.resident("Lan", "Xóm 1", at(10, 20))
    r2 = await syn.resident("Bình", "Xóm 1", at(11, 18))
    r3 = await syn.resident("Cúc", "Xóm 2", at(11, 24))
    r4 = await syn.resident("Dũng", "Xóm 3", at(11, 25))
    r5 = await syn.resident(SECRET, "Xóm 3", at(10, 20))
    await syn.resident("Đã xóa", "Xóm 2", at(10, 20), status="deleted")
    codes = {f"f{i}": f"PA-TEST{i}" for i in range(1, 11)}
    F = FeedbackRow
    await syn.feedback([
        # W48: f1 on time (3.04 days), f2 late (3.0 days), f3 open not due, f4 open overdue
        # (anonymous), f5 rejected. W47: f6 on time (3.0 days), f7 resolved in W48 late
        # (7.0 days), f8 transferred in W48. Older: f9 open overdue since 09/11, f10 resolved
        # in W47 late (17.0 days).
        F(codes["f1"], "moi-truong", "Xóm 1", "resolved", date(2026, 11, 27), at(11, 23),
          resolved_at=at(11, 26, 10), anonymous=True, resident_id=r5, rating=4,
          rating_comment=f"Cảm ơn xã, tôi là {SECRET}", rated_at=at(11, 26, 12),
          description=f"{SECRET} báo: rác ở đầu xóm"),
        F(codes["f2"], "moi-truong", "Xóm 1", "resolved", date(2026, 11, 25), at(11, 24),
          resolved_at=at(11, 27), resident_id=r1),
        F(codes["f3"], "dat-dai", "Xóm 2", "in_progress", date(2026, 12, 8), at(11, 24, 10),
          resident_id=r3, assignee_id=ha.id),
        F(codes["f4"], "thu-tuc", "Xóm 3", "new", date(2026, 11, 26), at(11, 25, 8),
          anonymous=True, resident_id=r5, description=f"Tôi là {SECRET}, thủ tục chậm"),
        F(codes["f5"], "khac", None, "rejected", date(2026, 12, 10), at(11, 28),
          closed_at=at(11, 29)),
        F(codes["f6"], "moi-truong", "Xóm 2", "resolved", date(2026, 11, 20), at(11, 16),
          resolved_at=at(11, 19), rating=2, rated_at=at(11, 20)),
        F(codes["f7"], "giao-thong", "Xóm 1", "resolved", date(2026, 11, 19), at(11, 17),
          resolved_at=at(11, 24)),
        F(codes["f8"], "dat-dai", "Xóm 3", "transferred", date(2026, 11, 20), at(11, 18),
          closed_at=at(11, 25)),
        F(codes["f9"], "can-bo", "Xóm 2", "in_progress", date(2026, 11, 9), at(11, 2),
          assignee_id=ha.id),
        F(codes["f10"], "thu-tuc", "Xóm 1", "resolved", date(2026, 11, 10), at(11, 3),
          resolved_at=at(11, 20)),
    ])  # fmt: skip
    R = RatingRow
    await syn.ratings([
        R("ho-tich", at(11, 24), (5, 4, 3, 5, 2)),
        R("ho-tich", at(11, 25), (4, 2, 1, 4, None), comment="Phải chờ quá lâu"),
        R("chung-thuc", at(11, 26), overall=2, comment="Không hài lòng"),
        R("dat-dai", at(11, 27), overall=5),
        R("ho-tich", at(11, 18), (3, 3, 3, 3, 3)),  # W47
    ])  # fmt: skip
    # Pulse survey: five completions in W48 (shown: the sample's minimum is 5), one in W47.
    answers = {r1: (5, 1, 0), r2: (4, 0, 1), r3: (2, 1, 0), r4: (3, 1, 0), r5: (5, 0, 0)}
    hamlets = {r1: "Xóm 1", r2: "Xóm 1", r3: "Xóm 2", r4: "Xóm 3", r5: "Xóm 3"}
    for resident, (d1, d2, d4) in answers.items():
        values = {"d1-lang-nghe": d1, "d2-ngan-sach": d2, "d4-chi-them": d4}
        await syn.survey("2026-q4", resident, hamlets[resident], values, at(11, 26))
    await syn.survey("2026-q3", r1, "Xóm 1", {"d1-lang-nghe": 4}, at(11, 18))
    # Outreach: W48 five outreach messages to r1, r2, r3 (one a publication), a notification
    # (not outreach), one chat unreachable; W47 one message.
    await syn.push(r1, "syn-Lan", "campaign", "campaign:a", "sent", at(11, 24), at(11, 24))
    await syn.push(r2, "syn-Bình", "campaign", "campaign:a", "sent", at(11, 24), at(11, 24))
    await syn.push(r1, "syn-Lan", "broadcast", "broadcast:1", "sent", at(11, 25), at(11, 25))
    await syn.push(r3, "syn-Cúc", "survey", "survey:q4", "sent", at(11, 23), at(11, 23))
    await syn.push(r3, "syn-Cúc", "broadcast", "pub:1:announce", "sent", at(11, 26), at(11, 26))
    await syn.push(r4, "syn-Dũng", "notify", "fb:1:answer", "sent", at(11, 26), at(11, 26))
    await syn.push(r5, "syn-x", "campaign", "campaign:a", "unreachable", at(11, 24))
    await syn.push(r1, "syn-Lan", "campaign", "campaign:b", "sent", at(11, 18), at(11, 18))
    # Library: two reads and two quiz answers (one right) in W48.
    await store.content.record_read(r1, "ck-noi-dung", "cong-khai", at(11, 24))
    await store.content.record_read(r2, "ck-hinh-thuc", "cong-khai", at(11, 25))
    await store.content.record_answer(r1, "ck-noi-dung", "cong-khai", "a", True, at(11, 24))
    await store.content.record_answer(r2, "ck-hinh-thuc", "cong-khai", "b", False, at(11, 25))
    # Publications: a budget (opened by r4) and a land-use plan withdrawn, both in W48.
    pubs = store.publications
    for number, category in ((1, "budget"), (2, "land-use")):
        await pubs.add_draft_file("telegram:7001", "document", f"vb{number}.pdf", PDF)
        pub_id = await pubs.publish("telegram:7001", category=category, title=f"Văn bản {number}",
                                    summary="Tóm tắt nội dung công khai", staff_id=ha.id,
                                    staff_name=ha.name, pushed=False)  # fmt: skip
        await syn.retime("publications", "published_at", pub_id, at(11, 26 + number))
    await pubs.withdraw(2, staff_id=ha.id, staff_name=ha.name, reason="Đăng nhầm bản cũ")
    await syn.retime("publications", "withdrawn_at", 2, at(11, 28, 15))
    await pubs.record_view(1, r4)
    await syn.retime("publication_views", "first_at", 1, at(11, 27))
    return Seeded(codes, ha.id, "7002")
